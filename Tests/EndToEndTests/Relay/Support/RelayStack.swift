import Foundation
import Synchronization
import TestSupport

/// The real relay path: Redis, two ChatRelay processes (the built binary) and nginx in front
/// (sticky by client address, as deployed). No ChatAPI: the tests publish events themselves,
/// through ChatAPI's own Lua script (`RelayEvents`).
final class RelayStack: Sendable {
    let redis: RedisFixture
    let jwtSecret: String
    let relays: [ServiceProcess]
    let nginx: NginxFixture
    let directory: URL

    /// Per-connection send queue cap of the relays under test: small, so a reader that stops
    /// reading is cut off after kernel buffers plus 64 KiB rather than 1 MiB more.
    static let sendQueueBytes = 65_536

    /// Starts two relays on `redis` and nginx over them.
    static func start(redis: RedisFixture, jwtSecret: String, label: String) throws -> RelayStack {
        let directory = try FixtureDirectories.make("relay-\(label)")
        let executable = ServiceProcess.executable("ChatRelay")
        var relays: [ServiceProcess] = []
        for index in 0..<2 {
            let port = FreePort.next()
            let environment = [
                "CHAT_HOST": "127.0.0.1",
                "CHAT_RELAY_PORT": String(port),
                "CHAT_REDIS_URL": redis.url,
                "CHAT_JWT_SECRET": jwtSecret,
                "CHAT_EVENT_LOOPS": "2",   // fan-out crosses loops inside each process too
                "CHAT_LOG_LEVEL": "info",
                "CHAT_RELAY_SEND_QUEUE_BYTES": String(sendQueueBytes),
            ]
            relays.append(try ServiceProcess.start(executable: executable, environment: environment, port: port,
                                                   name: "\(label)-relay\(index)", in: directory))
        }
        // No ChatAPI here: nginx still needs an upstream for /api/, which stays unused.
        let nginx = try NginxFixture.start(apiPorts: [FreePort.next()], relayPorts: relays.map(\.port), in: directory)
        return RelayStack(redis: redis, jwtSecret: jwtSecret, relays: relays, nginx: nginx, directory: directory)
    }

    private init(redis: RedisFixture, jwtSecret: String, relays: [ServiceProcess], nginx: NginxFixture, directory: URL) {
        self.redis = redis
        self.jwtSecret = jwtSecret
        self.relays = relays
        self.nginx = nginx
        self.directory = directory
    }

    func stop() {
        nginx.stop()
        for relay in relays { relay.stop(timeout: 5) }
    }

    /// Access tokens this stack's relays accept (or, with `secret`, refuse).
    func token(user: Int64, sid: String? = nil, lifetime: Int = 900, issuedAgo: Int = 0,
               claims extra: [String: Any] = [:], secret: String? = nil) -> String {
        RelayTokens.access(user: user, sid: sid ?? "sid-\(user)", secret: secret ?? jwtSecret,
                           lifetime: lifetime, issuedAgo: issuedAgo, extra: extra)
    }

    /// What every client script's configuration starts with.
    var baseConfiguration: [String: Any] {
        ["frontPort": nginx.port, "relayPorts": relays.map(\.port), "redisPort": redis.port,
         "publishScript": RelayEvents.publishScript]
    }

    /// The relays' log lines (JSON) so far, for what clients cannot see (the server's close code).
    func relayLogLines() -> [[String: Any]] {
        relays.flatMap { relay -> [[String: Any]] in
            let text = (try? String(contentsOf: relay.logURL, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
        }
    }

    /// Shared by the tests that break nothing: on the process-wide Redis of `Fixtures.shared()`.
    static func shared() async throws -> RelayStack { try await sharedStack.value }
    private static let sharedStack = Task<RelayStack, any Error> {
        let stack = try await Fixtures.shared()
        return try start(redis: stack.redis, jwtSecret: stack.jwtSecret, label: "shared")
    }
}

/// Ids no other test in this run (or a previous run on the shared Redis) uses.
enum RelayIds {
    private static let base = Int64.random(in: 1_000...900_000) * 1_000
    private static let counter = Atomic<Int64>(0)
    static func next() -> Int64 { base + counter.add(1, ordering: .relaxed).newValue }
}
