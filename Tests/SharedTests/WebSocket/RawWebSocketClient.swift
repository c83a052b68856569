import Foundation
import TestSupport
import Glibc
@testable import Shared

/// A blocking TCP client that speaks raw bytes, to send what no real client would.
final class RawWebSocketClient {
    private(set) var fd: Int32
    var decoder = WebSocketFrameDecoder(configuration: .init(maxMessageSize: 1 << 20, role: .client))
    var leftover: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = Loopback.connect(fd, port: port)
        guard result == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
    }

    deinit { closeSocket() }

    /// Closes our side (so the server's lingering close ends at once).
    func closeSocket() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    /// Best effort: once the peer hung up the rest is not sent (the tests then read its answer).
    func send(_ bytes: [UInt8]) { _ = Loopback.sendAll(fd, bytes) }

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

    /// Everything read until EOF, or nil when the connection stayed open (timeout) or failed.
    func readUntilEOF() -> [UInt8]? {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return all }
            if n < 0 { return nil }
            all += buffer[..<n]
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
