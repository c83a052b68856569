import Foundation
import Synchronization
@testable import Shared

/// A WebSocket echo server at `GET /ws` of a real `HTTPServer`, for network tests.
final class WebSocketEchoServer: Sendable {
    let group: EventLoopGroup
    let workers: WorkerPool
    let server: HTTPServer
    /// Close codes the server's sockets reported to their delegate, in order.
    let closes = Closes()
    var port: Int { server.port }

    final class Closes: Sendable {
        let codes = Mutex<[UInt16]>([])
        /// Waits up to `seconds` for at least one close; returns the codes so far.
        func wait(seconds: Double = 5) -> [UInt16] {
            let deadline = Date().addingTimeInterval(seconds)
            while codes.withLock({ $0.isEmpty }) && Date() < deadline { usleep(5000) }
            return codes.withLock { $0 }
        }
    }

    init(configuration: WebSocketConnection.Configuration = .init()) throws {
        let closes = self.closes
        let routes = RouterBuilder()
        routes.get("/ws", kind: .inline) { request in
            WebSocketHandshake.upgradeResponse(for: request) { connection in
                WebSocketConnection(connection: connection, delegate: EchoDelegate(closes: closes),
                                    configuration: configuration)
            }
        }
        group = EventLoopGroup(count: 1)
        group.start()
        workers = WorkerPool(threads: 1, queueLimit: 4)
        server = HTTPServer(router: routes.build(), group: group, workers: workers)
        try server.start(host: "127.0.0.1", port: 0)
    }

    func stop() {
        server.drain(deadline: .seconds(1))
        group.stop()
        workers.shutdown()
    }
}

/// Echoes text and binary; "close" makes the server start a close with 4001.
private final class EchoDelegate: WebSocketDelegate {
    let closes: WebSocketEchoServer.Closes
    init(closes: WebSocketEchoServer.Closes) { self.closes = closes }
    func webSocket(_ socket: WebSocketConnection, receivedText text: String) {
        if text == "close" { socket.close(code: CloseCode.tokenExpired, reason: "bye") } else { socket.send(text: text) }
    }
    func webSocket(_ socket: WebSocketConnection, receivedBinary bytes: [UInt8]) { socket.send(binary: bytes) }
    func webSocketClosed(_ socket: WebSocketConnection, code: UInt16, reason: String) {
        closes.codes.withLock { $0.append(code) }
    }
}
