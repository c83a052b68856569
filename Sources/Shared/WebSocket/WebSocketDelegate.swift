/// What an application does with a WebSocket; called on the connection's loop only.
///
/// `WebSocketConnection` holds its delegate strongly until `webSocketClosed`; a delegate that
/// keeps the socket should hold it weakly or drop it there.
public protocol WebSocketDelegate: AnyObject {
    /// The socket is ready (after the 101 was written).
    func webSocketOpened(_ socket: WebSocketConnection)
    /// A complete text message.
    func webSocket(_ socket: WebSocketConnection, receivedText text: String)
    /// A complete binary message. Default: close with 1003 (the relay speaks text only).
    func webSocket(_ socket: WebSocketConnection, receivedBinary bytes: [UInt8])
    /// The socket is gone: `code` is what the peer sent or we sent (1006 when the TCP
    /// connection ended without a close handshake). Called exactly once.
    func webSocketClosed(_ socket: WebSocketConnection, code: UInt16, reason: String)
}

extension WebSocketDelegate {
    public func webSocketOpened(_ socket: WebSocketConnection) {}
    public func webSocket(_ socket: WebSocketConnection, receivedBinary bytes: [UInt8]) {
        socket.close(code: CloseCode.unsupportedData, reason: "binary messages are not supported")
    }
}
