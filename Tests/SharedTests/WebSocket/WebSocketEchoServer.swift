import Foundation
@testable import Shared

/// A WebSocket echo server on a real event loop, for network tests. It does the HTTP upgrade
/// itself (headers only, enough for a handshake) so that it needs nothing but the loop.
final class WebSocketEchoServer: Sendable {
    let group: EventLoopGroup
    let server: TCPServer
    var port: Int { server.port }

    init(configuration: WebSocketConnection.Configuration = .init()) throws {
        group = EventLoopGroup(count: 1)
        group.start()
        server = try TCPServer(host: "127.0.0.1", port: 0, group: group) { _ in
            UpgradeHandler(configuration: configuration)
        }
    }

    func stop() {
        server.stopAccepting()
        group.stop()
    }
}

/// Reads the upgrade request, answers 101 (or the validation error) and hands over.
private final class UpgradeHandler: ConnectionHandler {
    let configuration: WebSocketConnection.Configuration
    var buffer: [UInt8] = []
    init(configuration: WebSocketConnection.Configuration) { self.configuration = configuration }

    func connectionOpened(_ connection: Connection) {}
    func connectionClosed(_ connection: Connection) {}

    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        guard let range = buffer.firstRange(of: end) else { return }
        let head = String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
        let leftover = Array(buffer[range.upperBound...])
        let lines = head.components(separatedBy: "\r\n")
        let method = lines[0].split(separator: " ").first.map(String.init) ?? ""
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        switch WebSocketHandshake.validate(method: method, header: { headers[$0] }) {
        case .failure(let error):
            var response = "HTTP/1.1 \(error.status) Refused\r\nContent-Length: 0\r\nConnection: close\r\n"
            for (name, value) in error.headers { response += "\(name): \(value)\r\n" }
            connection.write(Array((response + "\r\n").utf8))
            connection.closeAfterFlush()
        case .success(let accept):
            var response = "HTTP/1.1 101 Switching Protocols\r\n"
            for (name, value) in WebSocketHandshake.responseHeaders(acceptKey: accept) { response += "\(name): \(value)\r\n" }
            connection.write(Array((response + "\r\n").utf8))
            let socket = WebSocketConnection(connection: connection, delegate: EchoDelegate(),
                                             configuration: configuration, initialBytes: leftover)
            connection.handler = socket
            socket.start()
        }
    }
}

/// Echoes text and binary; "close" makes the server start a close with 4001.
private final class EchoDelegate: WebSocketDelegate {
    func webSocket(_ socket: WebSocketConnection, receivedText text: String) {
        if text == "close" { socket.close(code: CloseCode.tokenExpired, reason: "bye") } else { socket.send(text: text) }
    }
    func webSocket(_ socket: WebSocketConnection, receivedBinary bytes: [UInt8]) { socket.send(binary: bytes) }
    func webSocketClosed(_ socket: WebSocketConnection, code: UInt16, reason: String) {}
}
