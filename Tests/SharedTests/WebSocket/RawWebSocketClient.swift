import Foundation
import Glibc
@testable import Shared

/// A blocking TCP client that speaks raw bytes, to send what no real client would.
final class RawWebSocketClient {
    let fd: Int32
    var decoder = WebSocketFrameDecoder(configuration: .init(maxMessageSize: 1 << 20, role: .client))
    var leftover: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Bytes read, or nil at EOF / timeout / error.
    func read() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Array(buffer[..<n]) : nil
    }

    /// Sends an upgrade request; returns the response head (status line and headers).
    func handshake(version: String = "13", key: String = "dGhlIHNhbXBsZSBub25jZQ==", extra: [UInt8] = []) -> String {
        send(Array(("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: \(version)\r\n\r\n").utf8) + extra)
        var bytes: [UInt8] = []
        let end = Array("\r\n\r\n".utf8)
        while bytes.firstRange(of: end) == nil {
            guard let more = read() else { break }
            bytes += more
        }
        guard let range = bytes.firstRange(of: end) else { return String(decoding: bytes, as: UTF8.self) }
        leftover = Array(bytes[range.upperBound...])
        return String(decoding: bytes[..<range.lowerBound], as: UTF8.self)
    }

    /// The next message from the server, or nil when the connection ended.
    func nextEvent() -> WebSocketMessageEvent? {
        if !leftover.isEmpty { decoder.feed(leftover); leftover = [] }
        while true {
            if let event = try? decoder.next() { return event }
            guard let bytes = read() else { return nil }
            decoder.feed(bytes)
        }
    }

    /// Whether the server closed TCP (EOF), reading and dropping anything before it.
    func readsEOF() -> Bool {
        while true {
            var byte: UInt8 = 0
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return false }  // timeout: still open
        }
    }
}
