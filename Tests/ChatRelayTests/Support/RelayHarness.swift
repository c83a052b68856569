import Foundation
import Shared
@testable import ChatRelay

/// A relay on real loops and a real HTTP server on a free port, over `MemoryRedis`.
final class RelayHarness {
    static let secret = String(repeating: "k", count: 32)

    let redis = MemoryRedis()
    let metrics = MetricsRegistry()
    let group: EventLoopGroup
    let hub: RelayHub
    let server: HTTPServer
    let keys: JWTKeySet
    private let httpWorkers: WorkerPool
    private let workers: CommandWorkers

    static var fastSubscriber: SubscriberConfiguration {
        var config = SubscriberConfiguration()
        config.pingInterval = 300
        config.pongTimeout = 300
        config.backoff = Backoff(initial: 20, maximum: 100)
        config.fetchRetry = 50
        return config
    }

    init(loops: Int = 2, options: RelayOptions = RelayOptions()) throws {
        group = EventLoopGroup(count: loops)
        group.start()
        keys = try JWTKeySet(secret: Self.secret)
        let redis = self.redis
        workers = CommandWorkers(threads: 2, queueLimit: 1_000) { _ in redis }
        let transport = MemoryTransport(redis: redis, loop: group.loops[0])
        hub = RelayHub(group: group, transport: transport, workers: workers, keys: keys, options: options,
                       stats: RelayStats(registry: metrics), subscriberConfiguration: Self.fastSubscriber)
        let router = RouterBuilder()
        let endpoint = WebSocketEndpoint(relay: hub, revocations: { try redis.isSessionRevoked($0) })
        router.get("/ws", kind: .blocking) { try endpoint.handle($0) }
        Actuator(stats: hub.stats, startedAt: "now", version: "test").register(on: router)
        httpWorkers = WorkerPool(threads: 2, queueLimit: 64)
        // As RelayServer: the kit's HTTP telemetry reports into the relay's registry.
        server = HTTPServer(router: router.build(), group: group, workers: httpWorkers,
                            logger: Logger(label: "relay-test", level: .error), metrics: metrics)
        hub.start()
        try server.start(host: "127.0.0.1", port: 0)
        try waitUntil { hub.stats.redisConnected.load(ordering: .relaxed) }
    }

    var port: Int { server.port }

    func stop() {
        server.drain(deadline: .milliseconds(200))
        hub.subscriber.stop()
        group.stop()
        workers.shutdown()
        httpWorkers.shutdown()
    }

    func token(user: Int64, sid: String? = nil, lifetime: Int64 = 900) -> String {
        keys.sign(AccessClaims(userId: user, sessionId: sid ?? "s\(user)", lifetime: lifetime))
    }

    /// A connected, welcomed client of `user`; returns it with the parsed welcome.
    func connect(user: Int64, sid: String? = nil, receiveBuffer: Int32? = nil) throws -> (TestWebSocketClient, [String: Any]) {
        let (status, head, client) = try TestWebSocketClient.connect(
            port: port, headers: ["Authorization": "Bearer \(token(user: user, sid: sid))"], receiveBuffer: receiveBuffer)
        guard status == 101 else { throw TestWebSocketClient.Failure(description: "upgrade refused: \(head)") }
        guard let text = try client.receiveText(), let welcome = json(text), welcome["type"] as? String == "welcome" else {
            throw TestWebSocketClient.Failure(description: "no welcome")
        }
        return (client, welcome)
    }
}

func json(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

/// Polls `condition` for up to `timeout` seconds.
func waitUntil(timeout: Double = 5, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        guard Date() < deadline else { throw TestWebSocketClient.Failure(description: "condition not met in \(timeout) s") }
        usleep(5_000)
    }
}
