/// A frame's opcode (RFC 6455 §5.2); the other ten values are reserved and refused.
public enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10

    /// Close, ping and pong: at most 125 bytes, never fragmented, may come between fragments.
    public var isControl: Bool { rawValue & 0x08 != 0 }
}
