import Foundation
import TestSupport
import Glibc
import Shared

/// A blocking WebSocket client over a plain socket, for tests: the handshake, masked text
/// frames out, server frames in (with a timeout), and raw bytes for protocol violations.
final class TestWebSocketClient {
    enum Frame: Equatable {
        case text(String)
        case binary([UInt8])
        case close(code: UInt16?, reason: String)
        case ping([UInt8])
        case pong([UInt8])
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var peerClosed = false

    private init(fd: Int32) { self.fd = fd }

    deinit { Glibc.close(fd) }

    /// Connects and sends the upgrade request; returns the status and, for 101, the client.
    static func connect(port: Int, target: String = "/ws", headers: [String: String] = [:],
                        receiveBuffer: Int32? = nil) throws -> (status: Int, head: String, client: TestWebSocketClient) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let rc = Loopback.connect(fd, port: port)
        let client = TestWebSocketClient(fd: fd)
        guard rc == 0 else { throw Failure(description: "connect to \(port) failed: errno \(errno)") }
        var request = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try client.write(Array(request.utf8))
        let head = try client.readHead(timeout: 5)
        let statusText = head.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        return (Int(statusText) ?? 0, head, client)
    }

    func write(_ bytes: [UInt8]) throws {
        if let code = Loopback.sendAll(fd, bytes) { throw Failure(description: "send failed: errno \(code)") }
    }

    func send(text: String) throws {
        try write(WebSocketFrameEncoder.frame(.text, payload: Array(text.utf8), masked: true))
    }

    func sendClose(code: UInt16) throws {
        try write(WebSocketFrameEncoder.close(code: code, masked: true))
    }

    /// Reads more bytes; false on timeout or when the peer closed.
    private func fill(timeout: Double) throws -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(timeout * 1000))
        guard ready > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 {
            peerClosed = true
            return false
        }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func readHead(timeout: Double) throws -> String {
        let end = Array("\r\n\r\n".utf8)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let range = findSubsequence(end) {
                let head = String(decoding: buffer[..<range], as: UTF8.self)
                buffer.removeFirst(range + 4)
                return head
            }
            guard Date() < deadline, try fill(timeout: deadline.timeIntervalSinceNow) else {
                throw Failure(description: "no HTTP response head")
            }
        }
    }

    private func findSubsequence(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where buffer[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }

    /// The body after a non-101 head (Content-Length bytes).
    func readBody(head: String, timeout: Double = 5) throws -> String {
        let length = head.split(separator: "\r\n").compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first ?? 0
        let deadline = Date().addingTimeInterval(timeout)
        while buffer.count < length {
            guard Date() < deadline, try fill(timeout: deadline.timeIntervalSinceNow) else { break }
        }
        return String(decoding: buffer.prefix(length), as: UTF8.self)
    }

    /// The next frame, or nil on timeout / connection end.
    func receive(timeout: Double = 5) throws -> Frame? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let frame = parseFrame() { return frame }
            guard Date() < deadline, try fill(timeout: max(0.001, deadline.timeIntervalSinceNow)) else { return nil }
        }
    }

    /// The next text frame, answering pings on the way; nil on timeout, close or connection end.
    func receiveText(timeout: Double = 5) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while let frame = try receive(timeout: max(0.001, deadline.timeIntervalSinceNow)) {
            switch frame {
            case .text(let text): return text
            case .ping(let payload): try write(WebSocketFrameEncoder.pong(payload, masked: true))
            default: return nil
            }
        }
        return nil
    }

    /// Text frames until `predicate` holds for one (returned last) or the time runs out.
    func receiveTexts(timeout: Double = 5, until predicate: (String) -> Bool) throws -> [String] {
        var out: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        while let text = try receiveText(timeout: max(0.001, deadline.timeIntervalSinceNow)) {
            out.append(text)
            if predicate(text) { break }
        }
        return out
    }

    /// Waits for the server's close frame (skipping anything else); its code.
    func receiveClose(timeout: Double = 5) throws -> UInt16? {
        let deadline = Date().addingTimeInterval(timeout)
        while let frame = try receive(timeout: max(0.001, deadline.timeIntervalSinceNow)) {
            if case .close(let code, _) = frame { return code }
        }
        return nil
    }

    private func parseFrame() -> Frame? {
        guard buffer.count >= 2 else { return nil }
        let opcode = buffer[0] & 0x0F
        var length = Int(buffer[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard buffer.count >= 4 else { return nil }
            length = Int(buffer[2]) << 8 | Int(buffer[3])
            offset = 4
        } else if length == 127 {
            guard buffer.count >= 10 else { return nil }
            length = (2..<10).reduce(0) { $0 << 8 | Int(buffer[$1]) }
            offset = 10
        }
        guard buffer.count >= offset + length else { return nil }
        let payload = Array(buffer[offset..<(offset + length)])
        buffer.removeFirst(offset + length)
        switch opcode {
        case 1: return .text(String(decoding: payload, as: UTF8.self))
        case 2: return .binary(payload)
        case 8:
            let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
            return .close(code: code, reason: String(decoding: payload.dropFirst(2), as: UTF8.self))
        case 9: return .ping(payload)
        case 10: return .pong(payload)
        default: return .binary(payload)
        }
    }
}
