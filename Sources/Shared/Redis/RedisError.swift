/// A failure talking to Redis. Error *replies* are not errors: they come back as `RedisReply.error`.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Code: String { case connect, io, protocolError, reply, poolTimeout }
        private let code: Code

        /// The connection could not be opened.
        public static let connect = Kind(code: .connect)
        /// Read/write failed or timed out, or the server closed the connection.
        public static let io = Kind(code: .io)
        /// The bytes received are not valid RESP.
        public static let protocolError = Kind(code: .protocolError)
        /// The server answered with an error reply where success was required (`checked()`).
        public static let reply = Kind(code: .reply)
        /// No pooled connection became free in time.
        public static let poolTimeout = Kind(code: .poolTimeout)

        public var description: String { code.rawValue }
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "redis \(kind): \(message)" }
}
