/// A whole message or control frame out of `WebSocketFrameDecoder`.
public enum WebSocketMessageEvent: Sendable, Equatable {
    /// A complete text message (all fragments joined, UTF-8 checked).
    case text(String)
    /// A complete binary message.
    case binary([UInt8])
    /// A ping: answer with a pong carrying the same payload.
    case ping([UInt8])
    /// A pong (its payload is of no use to a server, so it is not kept).
    case pong
    /// The peer's close frame: `code` is nil when it sent none. Answer with a close and stop.
    case close(code: UInt16?, reason: String)
}
