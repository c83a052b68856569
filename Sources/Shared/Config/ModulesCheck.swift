import CLinux
import CHiredis
import COpenSSL
