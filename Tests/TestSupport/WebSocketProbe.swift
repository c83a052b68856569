import Foundation
import Glibc

/// A minimal blocking WebSocket client for infrastructure tests: the upgrade from a chosen
/// loopback source address (nginx's `hash $remote_addr` stickiness), the response head, and
/// the server's text frames. Not a full client: no fragmentation, no outgoing data frames.
public final class WebSocketProbe {
    public let status: Int
    /// Header names lowercased.
    public let headers: [String: String]
    private let fd: Int32
    private var buffer: [UInt8]

    /// Opens a connection and sends the upgrade for `path` (e.g. `/ws?token=...`); the probe is
    /// returned whatever the answer (101 or a refusal: see `status`).
    public init(port: Int, path: String, host: String = "127.0.0.1", headers extra: [String: String] = [:],
                sourceAddress: String? = nil, timeout: Double = 5) throws {
        fd = try HTTPProbe.connectedSocket(host: host, port: port, sourceAddress: sourceAddress, timeout: timeout)
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: \(Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())\r\n"
        request += "Sec-WebSocket-Version: 13\r\n"
        for (name, value) in extra { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        do {
            try HTTPProbe.sendAll(fd, Array(request.utf8), to: "\(host):\(port)")
            var received: [UInt8] = []
            var end: Int?
            while end == nil {
                received += try Self.read(fd)
                end = Self.headEnd(received)
            }
            let head = String(decoding: received[..<end!], as: UTF8.self).split(separator: "\r\n")
            guard let line = head.first, let code = Int(line.split(separator: " ").dropFirst().first ?? "") else {
                throw FixtureError("bad WebSocket handshake answer: \(head.first ?? "")")
            }
            var parsed: [String: String] = [:]
            for field in head.dropFirst() {
                guard let colon = field.firstIndex(of: ":") else { continue }
                parsed[field[..<colon].lowercased()] = field[field.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            status = code
            headers = parsed
            buffer = Array(received[(end! + 4)...])
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { Glibc.close(fd) }

    /// The next text frame's payload (pings and other control frames skipped); throws on close
    /// or timeout.
    public func receiveText() throws -> String {
        while true {
            let (opcode, payload) = try nextFrame()
            switch opcode {
            case 1: return String(decoding: payload, as: UTF8.self)
            case 8: throw FixtureError("the server closed the WebSocket: \(payload.prefix(2).map(String.init)) \(String(decoding: payload.dropFirst(2), as: UTF8.self))")
            default: continue
            }
        }
    }

    /// Sends a close frame and shuts the socket.
    public func close() {
        // Masked close, code 1000, zero mask key: the payload goes as is.
        let frame: [UInt8] = [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8]
        _ = Loopback.sendAll(fd, frame)
        shutdown(fd, Int32(SHUT_RDWR))
    }

    private func nextFrame() throws -> (UInt8, [UInt8]) {
        func need(_ n: Int) throws { while buffer.count < n { buffer += try Self.read(fd) } }
        try need(2)
        let opcode = buffer[0] & 0x0F
        var length = Int(buffer[1] & 0x7F), offset = 2
        if length == 126 {
            try need(4)
            length = Int(buffer[2]) << 8 | Int(buffer[3])
            offset = 4
        } else if length == 127 {
            try need(10)
            length = buffer[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        try need(offset + length)
        let payload = Array(buffer[offset..<(offset + length)])
        buffer.removeFirst(offset + length)
        return (opcode, payload)
    }

    private static func read(_ fd: Int32) throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { throw FixtureError("the WebSocket connection was closed") }
        guard n > 0 else { throw FixtureError("WebSocket recv: errno \(errno) (timeout?)") }
        return Array(chunk[0..<n])
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }
}
