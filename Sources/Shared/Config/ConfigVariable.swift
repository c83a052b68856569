/// One documented environment variable: the source of `--help` and the README table.
public struct ConfigVariable: Sendable, Equatable {
    public let name: String
    /// The default as shown to people (`none` when required).
    public let defaultValue: String
    public let meaning: String
    public let services: Set<ServiceConfiguration.Service>

    public init(_ name: String, default defaultValue: String, _ meaning: String,
                services: Set<ServiceConfiguration.Service> = [.api, .relay]) {
        self.name = name
        self.defaultValue = defaultValue
        self.meaning = meaning
        self.services = services
    }

    public static let all: [ConfigVariable] = [
        ConfigVariable("CHAT_HOST", default: "127.0.0.1", "address to listen on"),
        ConfigVariable("CHAT_API_PORT", default: "8081", "ChatAPI HTTP port", services: [.api]),
        ConfigVariable("CHAT_RELAY_PORT", default: "8091", "ChatRelay WebSocket port", services: [.relay]),
        ConfigVariable("CHAT_EVENT_LOOPS", default: "number of cores", "event loop threads"),
        ConfigVariable("CHAT_DB_PRIMARY", default: "none (required)",
                       "primary database, mysql://user:password@host:port/database", services: [.api]),
        ConfigVariable("CHAT_DB_REPLICAS", default: "none",
                       "read replicas, comma-separated mysql:// URLs", services: [.api]),
        ConfigVariable("CHAT_DB_MIGRATE", default: "CHAT_DB_PRIMARY",
                       "database URL of the user that applies migrations", services: [.api]),
        ConfigVariable("CHAT_DB_MAX_REPLICA_LAG", default: "2",
                       "seconds of replica lag before reads go to the primary", services: [.api]),
        ConfigVariable("CHAT_HTTP_MAX_BODY", default: "1048576", "largest accepted request body, bytes"),
        ConfigVariable("CHAT_TRUSTED_PROXIES", default: "127.0.0.0/8,::1/128",
                       "CIDRs whose X-Forwarded-For is believed (comma-separated)"),
        ConfigVariable("CHAT_JWT_SECRET", default: "none", "HS256 secret for access tokens, at least 32 bytes"),
        ConfigVariable("CHAT_JWT_KEYS", default: "none",
                       "instead of CHAT_JWT_SECRET: kid:secret,... (the first signs, all verify)"),
        ConfigVariable("CHAT_REDIS_URL", default: "redis://127.0.0.1:6379", "Redis, redis://host:port[/db]"),
        ConfigVariable("CHAT_LOG_LEVEL", default: "info", "debug, info, warning or error"),
        ConfigVariable("CHAT_RATE_LOGIN_PER_USER", default: "10",
                       "log-in attempts per username per minute", services: [.api]),
        ConfigVariable("CHAT_RATE_LOGIN_PER_ADDRESS", default: "300",
                       "log-in attempts per client address per minute", services: [.api]),
        ConfigVariable("CHAT_RATE_SIGNUP_PER_ADDRESS", default: "100",
                       "sign-ups per client address per minute", services: [.api]),
        ConfigVariable("CHAT_RATE_REFRESH_PER_ADDRESS", default: "1200",
                       "token refreshes per client address per minute", services: [.api]),
    ]
}
