import Foundation
import Shared

/// The relay process assembled from its configuration: loops, Redis (one Pub/Sub socket,
/// a pool for commands), the hub, the HTTP server with `/ws` and the actuator.
final class RelayServer: Sendable {
    let configuration: RelayConfiguration
    let logger: Logger
    let group: EventLoopGroup
    let hub: RelayHub
    let http: HTTPServer
    let metrics: MetricsRegistry
    private let store: RedisRelayStore
    private let httpWorkers: WorkerPool

    init(configuration: RelayConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let service = configuration.service
        let keys = try configuration.keySet()
        group = EventLoopGroup(count: service.eventLoops)
        // Upgrades check the revoked sid on the HTTP workers; both kinds of thread borrow from
        // one pool, sized so neither waits for the other.
        let httpThreads = max(4, configuration.redisWorkers)
        let pool = RedisPool(url: service.redisURL, size: configuration.redisWorkers + httpThreads)
        let store = RedisRelayStore(pool: pool)
        self.store = store
        let workers = CommandWorkers(threads: configuration.redisWorkers, queueLimit: 100_000) { _ in store }
        var options = RelayOptions()
        options.sendQueueCap = configuration.sendQueueBytes
        // The relay's own check (RelayConnection) enforces the cap on what the kernel refused;
        // the socket's is only a backstop against a runaway burst within one loop turn.
        options.webSocket.maxQueuedBytes = configuration.sendQueueBytes * 4
        // One registry for the relay's metrics and the HTTP server's, rendered by the actuator.
        let metrics = MetricsRegistry()
        self.metrics = metrics
        hub = RelayHub(group: group, transport: RedisPubSubTransport(url: service.redisURL, loop: group.loops[0]),
                       workers: workers, keys: keys, options: options, stats: RelayStats(registry: metrics),
                       logger: logger)
        let router = RouterBuilder()
        let endpoint = WebSocketEndpoint(relay: hub, revocations: { try store.isSessionRevoked($0) })
        router.get("/ws", kind: .blocking) { try endpoint.handle($0) }
        // Socket.IO v4 clients (Engine.IO v4), over the same relay sessions (SocketIO/).
        // Inline on the loops: nothing there blocks, and held polls are deferred answers.
        var engineIO = EngineIOConfiguration()
        engineIO.maxHeldPolls = configuration.maxHeldPolls
        let socketIO = SocketIOEndpoint(hub: SocketIOHub(relay: hub, configuration: engineIO))
        for path in ["/socket.io/", "/socket.io"] {
            router.get(path, kind: .inline) { try socketIO.handle($0) }
            router.post(path, kind: .inline) { try socketIO.handle($0) }
        }
        Actuator(stats: hub.stats, startedAt: Timestamp.now(), version: "1.0.0").register(on: router)
        // Connect storms (thousands of upgrades at once) queue here rather than see 503.
        httpWorkers = WorkerPool(threads: httpThreads, queueLimit: 16_384, name: "relay-http")
        var httpConfiguration = HTTPServerConfiguration()
        httpConfiguration.maxBodyBytes = service.httpMaxBody
        http = HTTPServer(configuration: httpConfiguration, router: router.build(), group: group, workers: httpWorkers,
                          logger: logger, metrics: metrics)
    }

    /// Starts the loops, the subscriber and the listener.
    /// - Throws: `ServerError` naming host:port when the port cannot be taken.
    func start() throws {
        group.start()
        hub.start()
        let service = configuration.service
        try http.start(host: service.host, port: service.relayPort)
        logger.info("relay listening", ["host": .string(service.host), "port": .int(Int64(http.port)),
                                        "loops": .int(Int64(service.eventLoops)), "redis": .string(service.redisURL.description)])
    }

    /// SIGTERM: stop accepting, close every WebSocket with 1001, let HTTP requests finish,
    /// then stop the subscriber and the workers. Bounded by `deadline`.
    func drain(deadline: Duration = .seconds(5)) {
        logger.info("draining", ["connections": .int(Int64(hub.stats.openConnectionCount))])
        hub.drain()
        http.drain(deadline: deadline)
        let end = ContinuousClock.now.advanced(by: .seconds(2))
        while hub.stats.openConnectionCount > 0 && ContinuousClock.now < end { usleep(10_000) }
        hub.stop()
        logger.info("drained", ["connections": .int(Int64(hub.stats.openConnectionCount))])
    }
}

extension RelayServer {
    /// Drains, then stops the loops (tests; the process itself just exits after `drain`).
    func stop() {
        drain(deadline: .milliseconds(200))
        group.stop()
    }
}
