import Shared

/// Timings of the Pub/Sub connection, in ms of the owning loop's monotonic clock.
struct SubscriberConfiguration: Sendable {
    /// Send PING when nothing was heard for this long.
    var pingInterval: UInt64 = 5_000
    /// No PONG within this after a PING: the link is dead.
    var pongTimeout: UInt64 = 5_000
    var connectTimeout: UInt64 = 3_000
    var backoff = Backoff()
    /// Retry of a failed position or backfill read.
    var fetchRetry: UInt64 = 1_000
    /// Entries per XRANGE page while backfilling.
    var backfillPageSize = 500
    /// Live events held per channel while its log is read; past it, read the log again.
    var maxBufferedEvents = 10_000
    /// Channels per SUBSCRIBE command when resubscribing everything.
    var subscribeBatch = 1_000
}

/// Exponential reconnect delay: `initial · 2^attempt`, capped, scaled by a jitter factor.
struct Backoff: Sendable {
    var initial: UInt64 = 100
    var maximum: UInt64 = 5_000

    /// `jitter` in 0...1 spreads reconnecting relays; the delay is at least half the step.
    func delay(attempt: Int, jitter: Double) -> UInt64 {
        let step = min(maximum, initial << UInt64(min(attempt, 20)))
        let factor = 0.5 + 0.5 * min(max(jitter, 0), 1)
        return max(1, UInt64(Double(step) * factor))
    }
}

/// A subscribed-mode RESP reply, as the subscriber reads it (the I/O layer maps RedisReply).
enum SubscriberReply: Equatable, Sendable {
    case subscribed(channel: String)
    case unsubscribed(channel: String)
    case message(channel: String, payload: String)
    case pong
    case error(String)
    case unexpected(String)
}

/// What the subscriber asks its I/O wrapper to do.
enum SubscriberAction: Equatable, Sendable {
    /// Open a new socket to Redis; report `socketOpened(link:)` / `socketClosed(link:)` with this id.
    case connect(link: UInt64)
    /// Write one command on the Pub/Sub socket.
    case send([String])
    /// Close the current socket (the machine already counts it as gone).
    case closeSocket
    /// XREVRANGE log + - COUNT 1 on a command connection → `positionFetched` / `fetchFailed`.
    case fetchPosition(ChannelName, token: UInt64)
    /// XRANGE log (after + COUNT n on a command connection → `backfillFetched` / `fetchFailed`.
    case fetchBackfill(ChannelName, after: StreamID, count: Int, token: UInt64)
    /// Tell these loops the channel is ready at `position`.
    case ready(ChannelName, position: StreamID, loops: [Int])
    /// Hand the event to these loops (encode its frame once for all).
    case deliver(EventEnvelope, loops: [Int])
    /// Something arrived that cannot be used; log it.
    case discarded(reason: String)
}

/// Counters the metrics endpoint exports.
struct SubscriberStats: Equatable, Sendable {
    /// Links lost (including attempts that never opened).
    var linkLosses = 0
    /// Links opened again after a loss: successful reconnects only.
    var reconnects = 0
    var eventsReceived = 0
    var duplicatesDropped = 0
    var discarded = 0
    var backfilled = 0
}
