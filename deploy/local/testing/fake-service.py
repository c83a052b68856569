#!/usr/bin/env python3
"""A stand-in for ChatAPI / ChatRelay while they are stubs: serves GET /actuator/health (and
any path) on CHAT_API_PORT or CHAT_RELAY_PORT at CHAT_HOST, answering which port it is, so the
infrastructure tests can show nginx reaching every upstream. Exits on SIGTERM.
Used only by Tests/EndToEndTests/Infrastructure*.swift; remove once the services serve health."""
import http.server, json, os, signal, sys

host = os.environ.get("CHAT_HOST", "127.0.0.1")
port = int(os.environ.get("CHAT_API_PORT") or os.environ.get("CHAT_RELAY_PORT") or "0")
if port == 0:
    sys.exit("fake-service: set CHAT_API_PORT or CHAT_RELAY_PORT")

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = json.dumps({"status": "UP", "port": port, "path": self.path,
                           "requestId": self.headers.get("X-Request-Id"),
                           "forwardedFor": self.headers.get("X-Forwarded-For")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer((host, port), Handler)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
server.serve_forever()
