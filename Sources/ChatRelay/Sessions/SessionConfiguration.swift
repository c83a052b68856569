import Shared

/// Timings and limits of one relay connection; milliseconds on the loop's monotonic clock.
struct SessionConfiguration: Sendable {
    /// Server ping period (CONTRACT.md: every 25 s); nil when the socket layer pings.
    var pingInterval: UInt64? = 25_000
    /// A peer silent this long is dropped (CONTRACT.md: 60 s); nil when the socket layer does it.
    var silenceTimeout: UInt64? = 60_000
    /// Subscribing and reading the membership set must finish within this, else 1011.
    var welcomeTimeout: UInt64 = 15_000
    /// Typing: a burst of this many, then this many per second.
    var typingBurst: Double = 5
    var typingPerSecond: Double = 1
    /// Events held for a channel whose position is not known yet (before welcome).
    var maxPendingEvents = 1_000
}

/// What a session asks its I/O wrapper to do, in order.
enum SessionAction: Equatable, Sendable {
    /// A frame for this connection only.
    case sendText(String)
    /// Queue the shared, once-encoded frame of the event being delivered.
    case sendEvent
    case sendPing
    /// Close handshake with `code`, then close after the frame is flushed.
    case close(code: UInt16, reason: String)
    /// The peer is gone: close the socket without waiting for anything.
    case drop(reason: String)
    /// Become a member of the channel; the registry answers with `channelReady`.
    case join(ChannelName)
    case leave(ChannelName)
    /// SMEMBERS chat:user:{id}:rooms off the loop; answer `roomsFetched` or `roomsFetchFailed`.
    case fetchRooms(userId: Int64)
    /// Verify a fresh access token (signature, claims, revoked sid) off the loop.
    case verifyToken(String)
    case replay(ReplayRequest)
    case publishTyping(roomId: Int64, userId: Int64)
}

/// Close codes of the relay protocol (CONTRACT.md), kept here so the pure core needs no I/O module.
enum RelayCloseCode {
    static let normal: UInt16 = 1000
    static let goingAway: UInt16 = 1001
    static let policy: UInt16 = 1008
    static let internalError: UInt16 = 1011
    static let tokenExpired: UInt16 = 4001
    static let sessionRevoked: UInt16 = 4002
    static let userDeleted: UInt16 = 4003
}
