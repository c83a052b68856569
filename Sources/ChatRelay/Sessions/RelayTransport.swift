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
    /// A reader past the send-queue cap: whatever it has not started to receive is dropped,
    /// and it is told `code` if it reads on (bounded by the close handshake's timeout).
    func abandon(code: UInt16, reason: String)
}

extension RelayTransport {
    func abandon(code: UInt16, reason: String) {
        close(code: code, reason: reason)
        drop()
    }
}

/// The `/ws` transport: the `WebSocketConnection` itself, written as is (no wrapper object:
/// one heap object fewer per connection, and one pointer fewer to chase per delivery).
extension WebSocketConnection: RelayTransport {
    var queuedBytes: Int { connection.queuedBytes }
    func sendText(_ text: String) { send(WebSocketFrameEncoder.text(text)) }
    func sendEvent(_ event: EventEnvelope, frame: SharedBytes) { send(frame) }
    func sendPing() { connection.write(WebSocketFrameEncoder.ping()) }
    func drop() { connection.close() }
    func abandon(code: UInt16, reason: String) {
        // Every frame is its own write, so the backlog goes frame by frame and the close
        // frame follows the last one the reader started on.
        connection.discardUnsent()
        close(code: code, reason: reason)
    }
}
