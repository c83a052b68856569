/// A channel of the event contract: `room:{id}` or `user:{id}`.
///
/// The same name appears in envelopes, in `welcome.positions` and in `resume.since`;
/// Redis keys derive from it (`chat:room:12`, `chat:room:12:log`).
public enum ChannelName: Hashable, Sendable, CustomStringConvertible {
    case room(Int64)
    case user(Int64)

    /// Parses `room:12` or `user:7`; nil for anything else.
    public init?(_ text: some StringProtocol) {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let kind = text[..<colon]
        let digits = text[text.index(after: colon)...]
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let id = Int64(digits), id > 0 else { return nil }
        switch kind {
        case "room": self = .room(id)
        case "user": self = .user(id)
        default: return nil
        }
    }

    /// Parses a Redis channel name such as `chat:room:12`.
    public init?(redisChannel: some StringProtocol) {
        guard redisChannel.hasPrefix("chat:") else { return nil }
        self.init(redisChannel.dropFirst(5))
    }

    public var description: String {
        switch self {
        case .room(let id): return "room:\(id)"
        case .user(let id): return "user:\(id)"
        }
    }

    /// The Pub/Sub channel: `chat:room:{id}` / `chat:user:{id}`.
    public var redisChannel: String { "chat:\(description)" }
    /// The stream that logs this channel's events for resume.
    public var redisLogKey: String { "chat:\(description):log" }
}

/// Redis keys of the contract that are not channels.
public enum RedisKeys {
    /// Set of room ids the user belongs to; the relay reads it on connect.
    public static func userRooms(_ userId: Int64) -> String { "chat:user:\(userId):rooms" }
    /// Present while a session (refresh token family) is revoked.
    public static func revokedSession(_ sid: String) -> String { "chat:revoked:sid:\(sid)" }
    /// Marker that an outbox row was already published (kept a day).
    public static func publishedMarker(_ outboxId: Int64) -> String { "chat:published:\(outboxId)" }
}
