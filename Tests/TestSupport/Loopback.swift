import Glibc

/// `127.0.0.1:port` for the tests' plain POSIX sockets: one place for the `sockaddr_in` dance.
public enum Loopback {
    /// `connect(2)` of `fd` to 127.0.0.1:`port`; 0 on success, -1 with `errno` set.
    public static func connect(_ fd: Int32, port: Int) -> Int32 {
        withAddress(port) { Glibc.connect(fd, $0, $1) }
    }

    /// Writes all of `bytes` to the blocking socket `fd` (without SIGPIPE); nil when all went,
    /// else the `errno` that stopped it (0: the peer took nothing more).
    public static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return n == 0 ? 0 : errno }
            sent += n
        }
        return nil
    }

    /// `bind(2)` of `fd` to 127.0.0.1:`port`; 0 on success, -1 with `errno` set.
    public static func bind(_ fd: Int32, port: Int) -> Int32 {
        withAddress(port) { Glibc.bind(fd, $0, $1) }
    }

    private static func withAddress(_ port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
