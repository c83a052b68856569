import Shared
import Synchronization

/// The relay's metrics, registered in the kit's `MetricsRegistry` (so `/actuator/prometheus`
/// renders them in the same format as ChatAPI's, next to the kit's HTTP metrics). Counters and
/// gauges are atomics, cheap to bump from any loop.
final class RelayStats: Sendable {
    let registry: MetricsRegistry

    /// WebSocket connections open now.
    let openConnections: Gauge
    /// Room channels the Pub/Sub connection wants now (`chat:room:*`).
    let roomsSubscribed: Gauge
    /// User channels the Pub/Sub connection wants now (`chat:user:*`).
    let userChannelsSubscribed: Gauge
    let redisUp: Gauge
    let eventsReceived: Counter
    let deliveries: Counter
    let slowConsumersClosed: Counter
    /// Pub/Sub connections established again after a loss (failed attempts are not counted).
    let redisReconnects: Counter
    let resumeReplays: Counter
    let replayedEvents: Counter
    let backfilled: Counter
    let connectionsEvicted: Counter
    let upgradesRefused: Counter

    /// Read by health and by waits (drain, tests) without going through a `Gauge`'s Double.
    let redisConnected = Atomic<Bool>(false)

    init(registry: MetricsRegistry = MetricsRegistry()) {
        self.registry = registry
        openConnections = registry.gauge("chat_relay_open_connections", help: "WebSocket connections open now")
        roomsSubscribed = registry.gauge("chat_relay_rooms_subscribed", help: "Room channels subscribed in Redis now")
        userChannelsSubscribed = registry.gauge("chat_relay_user_channels_subscribed",
                                                help: "User channels subscribed in Redis now")
        redisUp = registry.gauge("chat_relay_redis_up", help: "1 while the Redis Pub/Sub connection is up")
        eventsReceived = registry.counter("chat_relay_events_received_total", help: "Events received from Redis Pub/Sub")
        deliveries = registry.counter("chat_relay_deliveries_total", help: "Frames queued to client connections")
        slowConsumersClosed = registry.counter("chat_relay_slow_consumers_closed_total",
                                               help: "Connections closed with 1008 for a full send queue")
        redisReconnects = registry.counter("chat_relay_redis_reconnects_total",
                                           help: "Redis Pub/Sub connections re-established after a loss")
        resumeReplays = registry.counter("chat_relay_resume_replays_total", help: "Channel replays asked by resume")
        replayedEvents = registry.counter("chat_relay_replayed_events_total",
                                          help: "Events sent by resume and live-join catch-up replays")
        backfilled = registry.counter("chat_relay_backfilled_events_total",
                                      help: "Events read from the logs after a Redis reconnect")
        connectionsEvicted = registry.counter("chat_relay_connections_evicted_total",
                                              help: "Oldest connections closed with 1008 over the per-user limit")
        upgradesRefused = registry.counter("chat_relay_upgrades_refused_total",
                                           help: "WebSocket upgrades refused with 401")
    }

    var openConnectionCount: Int { Int(openConnections.current) }

    func setRedisConnected(_ up: Bool) {
        redisConnected.store(up, ordering: .relaxed)
        redisUp.set(up ? 1 : 0)
    }
}
