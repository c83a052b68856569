import Shared

/// What a `RelayConnection` writes to: the plain WebSocket at `/ws`, or a Socket.IO session
/// (`SocketIO/`), which frames the same relay messages as Socket.IO events. Loop-confined
/// like the connection: called on the loop that owns the `RelayConnection`.
protocol RelayTransport: AnyObject {
    var isOpen: Bool { get }
    /// Bytes written but not yet taken by the kernel (the send-queue cap judges them).
    var queuedBytes: Int { get }
    /// One relay JSON message for this connection only (welcome, error, resumed, replayed events).
    func sendText(_ text: String)
    /// A live event; `frame` is its WebSocket text frame, encoded once for every `/ws` client.
    func sendEvent(_ event: EventEnvelope, frame: SharedBytes)
    func sendPing()
    /// Close handshake with `code`, after what is queued.
    func close(code: UInt16, reason: String)
    /// Gone now, nothing more written.
    func drop()
}

/// The `/ws` transport: a `WebSocketConnection`, written as is.
final class WebSocketRelayTransport: RelayTransport {
    let socket: WebSocketConnection

    init(_ socket: WebSocketConnection) { self.socket = socket }

    var isOpen: Bool { socket.isOpen }
    var queuedBytes: Int { socket.connection.queuedBytes }
    func sendText(_ text: String) { socket.send(WebSocketFrameEncoder.text(text)) }
    func sendEvent(_ event: EventEnvelope, frame: SharedBytes) { socket.send(frame) }
    func sendPing() { socket.connection.write(WebSocketFrameEncoder.ping()) }
    func close(code: UInt16, reason: String) { socket.close(code: code, reason: reason) }
    func drop() { socket.connection.close() }
}
