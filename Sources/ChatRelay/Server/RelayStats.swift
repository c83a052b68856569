import Synchronization

/// Process-wide counters and gauges of the relay, cheap to bump from any loop; the metrics
/// endpoint renders them.
final class RelayStats: Sendable {
    let openConnections = Atomic<Int>(0)
    let roomsSubscribed = Atomic<Int>(0)
    let eventsReceived = Atomic<Int>(0)
    let deliveries = Atomic<Int>(0)
    let slowConsumersClosed = Atomic<Int>(0)
    let redisReconnects = Atomic<Int>(0)
    let redisConnected = Atomic<Bool>(false)
    let resumeReplays = Atomic<Int>(0)
    let replayedEvents = Atomic<Int>(0)
    let backfilled = Atomic<Int>(0)
    let connectionsEvicted = Atomic<Int>(0)
    let upgradesRefused = Atomic<Int>(0)

    init() {}
}
