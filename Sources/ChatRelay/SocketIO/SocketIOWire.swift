import Shared
import Synchronization

/// A WebSocket carrying one Engine.IO session, which may live on another loop than the
/// socket: a polling session upgrades over whatever connection (and loop) the client's
/// WebSocket reached. What the socket receives goes to the session's loop by sid; what the
/// session sends comes here and is written on the socket's loop.
///
/// Safety of `@unchecked Sendable`: `socket` is touched only on `loop` (each method hops there
/// when called elsewhere); `queued` is atomic, the one value read from the session's loop.
final class SocketIOWire: WebSocketDelegate, @unchecked Sendable {
    let loop: EventLoop
    let sid: String
    private let hub: SocketIOHub
    private var socket: WebSocketConnection?
    private let queued = Atomic<Int>(0)
    private let open = Atomic<Bool>(true)

    init(loop: EventLoop, sid: String, hub: SocketIOHub) {
        self.loop = loop
        self.sid = sid
        self.hub = hub
    }

    var isOpen: Bool { open.load(ordering: .relaxed) }
    /// The socket's unsent bytes as of its last write.
    var queuedBytes: Int { queued.load(ordering: .relaxed) }

    func send(_ text: String) {
        onLoop { wire in
            guard let socket = wire.socket, socket.isOpen else { return }
            socket.send(text: text)
            wire.queued.store(socket.connection.queuedBytes, ordering: .relaxed)
        }
    }

    func close(code: UInt16, reason: String) {
        onLoop { $0.socket?.close(code: code, reason: reason) }
    }

    func drop() {
        onLoop { $0.socket?.connection.close() }
    }

    private func onLoop(_ work: @escaping @Sendable (SocketIOWire) -> Void) {
        if loop.inEventLoop { work(self) } else { loop.execute { work(self) } }
    }

    // MARK: WebSocketDelegate (on `loop`)

    func webSocketOpened(_ socket: WebSocketConnection) {
        self.socket = socket
        hub.withSession(sid) { $0.wireOpened(self) } missing: { [self] in
            close(code: RelayCloseCode.policy, reason: "unknown Engine.IO session")
        }
    }

    func webSocket(_ socket: WebSocketConnection, receivedText text: String) {
        hub.withSession(sid) { $0.wire(self, received: text) }
    }

    func webSocket(_ socket: WebSocketConnection, receivedBinary bytes: [UInt8]) {
        hub.withSession(sid) { $0.wire(self, received: "b") }  // refused by the decoder, clearly
    }

    func webSocketClosed(_ socket: WebSocketConnection, code: UInt16, reason: String) {
        self.socket = nil
        open.store(false, ordering: .relaxed)
        hub.withSession(sid) { $0.wireClosed(self, code: code) }
    }
}
