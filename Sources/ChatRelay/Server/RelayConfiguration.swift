import Shared

/// The relay's settings: the shared service variables (CONTRACT.md "Running") plus the
/// relay's own, each documented in `--help`.
struct RelayConfiguration: Sendable {
    var service: ServiceConfiguration
    /// Bytes queued to one connection past which it is closed with 1008.
    var sendQueueBytes: Int
    /// Threads running Redis commands (SMEMBERS, XRANGE, XREVRANGE, EXISTS, PUBLISH).
    var redisWorkers: Int
    /// Socket.IO long-polling GETs held at once (each an open connection, no thread).
    var maxHeldPolls: Int

    static let relayVariables: [(name: String, meaning: String, fallback: String)] = [
        ("CHAT_RELAY_SEND_QUEUE_BYTES", "per-connection send queue cap; a reader past it is closed with 1008", "1048576"),
        ("CHAT_RELAY_REDIS_WORKERS", "threads for Redis commands, each with its own connection", "4"),
        ("CHAT_RELAY_MAX_HELD_POLLS", "Socket.IO long-polls held at once; past it 503 (use WebSocket)", "10000"),
    ]

    /// Reads and checks every variable; the error names the one that is wrong.
    init(environment: Environment) throws(ConfigError) {
        service = try ServiceConfiguration(environment: environment, service: .relay)
        sendQueueBytes = try environment.int("CHAT_RELAY_SEND_QUEUE_BYTES", default: 1 << 20, range: 4096...(1 << 30))
        redisWorkers = try environment.int("CHAT_RELAY_REDIS_WORKERS", default: 4, range: 1...64)
        maxHeldPolls = try environment.int("CHAT_RELAY_MAX_HELD_POLLS", default: 10_000, range: 0...1_000_000)
    }

    static var help: String {
        var text = "ChatRelay: the real-time WebSocket relay (GET /ws) fed by Redis.\n\n"
        text += ServiceConfiguration.helpText(for: .relay, usage: ["ChatRelay", "ChatRelay --help"])
        for variable in relayVariables {
            text += "  \(variable.name)  \(variable.meaning) (default: \(variable.fallback))\n"
        }
        text += """

        Endpoints: GET /ws (access token as Authorization: Bearer or ?token=), /socket.io/ (Socket.IO v4),
          /actuator/health (DOWN, 503, while Redis is unreachable), /actuator/health/liveness,
          /actuator/health/readiness, /actuator/info, /actuator/prometheus.

        """
        return text
    }

    /// The verifier the JWT settings describe.
    func keySet() throws(ConfigError) -> JWTKeySet {
        do {
            if service.jwtKeys.isEmpty {
                return try JWTKeySet(secret: service.jwtSecret ?? "")
            }
            return try JWTKeySet(keys: service.jwtKeys.map { (kid: $0.kid, secret: $0.secret) })
        } catch {
            let variable = service.jwtKeys.isEmpty ? "CHAT_JWT_SECRET" : "CHAT_JWT_KEYS"
            throw ConfigError(variable: variable, value: "<redacted>", reason: error.detail)
        }
    }
}
