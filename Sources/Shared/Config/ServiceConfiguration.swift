import Foundation

/// Everything a service reads from the environment at start-up (CONTRACT.md "Running").
///
/// Reading fails on the first missing or malformed value with a `ConfigError` naming it,
/// so a bad deployment stops at start-up instead of misbehaving later.
public struct ServiceConfiguration: Sendable, Equatable {
    public enum Service: String, Sendable, Hashable { case api, relay }

    /// One entry of `CHAT_JWT_KEYS`.
    public struct JWTKey: Sendable, Equatable {
        public var kid: String
        public var secret: String
        public init(kid: String, secret: String) {
            self.kid = kid
            self.secret = secret
        }
    }

    public var service: Service
    public var host: String
    public var apiPort: Int
    public var relayPort: Int
    public var eventLoops: Int
    /// Required for ChatAPI; nil for the relay when unset.
    public var databasePrimary: DatabaseURL?
    public var databaseReplicas: [DatabaseURL]
    /// Defaults to `databasePrimary`.
    public var databaseMigrate: DatabaseURL?
    /// Seconds.
    public var maxReplicaLag: Double
    public var httpMaxBody: Int
    public var trustedProxies: [CIDR]
    /// Raw `CHAT_JWT_SECRET`; length is checked by the Auth code that builds the key set.
    public var jwtSecret: String?
    /// Parsed `CHAT_JWT_KEYS`, in order (the first signs); empty when `jwtSecret` is used.
    public var jwtKeys: [JWTKey]
    public var redisURL: RedisURL
    public var logLevel: LogLevel

    /// The port this service listens on.
    public var port: Int { service == .api ? apiPort : relayPort }

    public static let defaultRedisURL = RedisURL(host: "127.0.0.1", port: 6379)

    public init(environment: Environment = Environment(), service: Service) throws(ConfigError) {
        self.service = service
        host = environment.string("CHAT_HOST", default: "127.0.0.1")
        apiPort = try environment.int("CHAT_API_PORT", default: 8081, range: 1...65535)
        relayPort = try environment.int("CHAT_RELAY_PORT", default: 8091, range: 1...65535)
        eventLoops = try environment.int("CHAT_EVENT_LOOPS", default: max(1, ProcessInfo.processInfo.activeProcessorCount),
                                         range: 1...1024)
        databasePrimary = try environment.databaseURL("CHAT_DB_PRIMARY")
        if service == .api, databasePrimary == nil {
            throw ConfigError.missing("CHAT_DB_PRIMARY", "is required (mysql://user:password@host:port/database)")
        }
        databaseReplicas = try environment.databaseURLs("CHAT_DB_REPLICAS")
        databaseMigrate = try environment.databaseURL("CHAT_DB_MIGRATE") ?? databasePrimary
        maxReplicaLag = try environment.double("CHAT_DB_MAX_REPLICA_LAG", default: 2, range: 0...86_400)
        httpMaxBody = try environment.int("CHAT_HTTP_MAX_BODY", default: 1_048_576, range: 1...(1 << 31))
        trustedProxies = try environment.cidrs("CHAT_TRUSTED_PROXIES", default: CIDR.loopback)
        (jwtSecret, jwtKeys) = try ServiceConfiguration.readJWT(environment)
        redisURL = try environment.redisURL("CHAT_REDIS_URL", default: ServiceConfiguration.defaultRedisURL)
        logLevel = try environment.logLevel("CHAT_LOG_LEVEL", default: .info)
    }

    private static func readJWT(_ environment: Environment) throws(ConfigError) -> (String?, [JWTKey]) {
        // Secrets never appear in messages: only their shape.
        let secret = environment.variables["CHAT_JWT_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        let keysText = environment.string("CHAT_JWT_KEYS")
        switch (secret, keysText) {
        case (nil, nil):
            throw ConfigError.missing("CHAT_JWT_SECRET", "is required (or CHAT_JWT_KEYS as kid:secret,...)")
        case (_?, _?):
            throw ConfigError(variable: "CHAT_JWT_KEYS", value: "<redacted>",
                              reason: "set either CHAT_JWT_SECRET or CHAT_JWT_KEYS, not both")
        case (let secret?, nil):
            return (secret, [])
        case (nil, let text?):
            return (nil, try parseJWTKeys(text))
        }
    }

    /// Parses `kid:secret,...`; a secret may itself contain `:` (only the first one splits).
    public static func parseJWTKeys(_ text: String) throws(ConfigError) -> [JWTKey] {
        var keys: [JWTKey] = []
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        for (index, item) in items.enumerated() {
            let shown = "<redacted item \(index + 1) of \(items.count)>"
            guard let colon = item.firstIndex(of: ":") else {
                throw ConfigError(variable: "CHAT_JWT_KEYS", value: shown, reason: "item \(index + 1) must be kid:secret")
            }
            let kid = String(item[..<colon]).trimmingWhitespace
            let secret = String(item[item.index(after: colon)...])
            guard !kid.isEmpty, kid.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") }) else {
                throw ConfigError(variable: "CHAT_JWT_KEYS", value: shown,
                                  reason: "item \(index + 1) has an empty or non-printable key id")
            }
            guard !secret.isEmpty else {
                throw ConfigError(variable: "CHAT_JWT_KEYS", value: shown, reason: "key \(kid) has an empty secret")
            }
            guard !keys.contains(where: { $0.kid == kid }) else {
                throw ConfigError(variable: "CHAT_JWT_KEYS", value: shown, reason: "key id \(kid) appears twice")
            }
            keys.append(JWTKey(kid: kid, secret: secret))
        }
        return keys
    }

    /// `--help` text: usage lines, then each variable of `service` with its default and meaning.
    public static func helpText(for service: Service, usage: [String]) -> String {
        let variables = ConfigVariable.all.filter { $0.services.contains(service) }
        let width = (variables.map(\.name.count).max() ?? 0) + 2
        var text = usage.enumerated().map { ($0.offset == 0 ? "Usage: " : "       ") + $0.element }
            .joined(separator: "\n") + "\n\nEnvironment variables:\n"
        for variable in variables {
            let padded = variable.name.padding(toLength: width, withPad: " ", startingAt: 0)
            text += "  \(padded)\(variable.meaning) (default: \(variable.defaultValue))\n"
        }
        return text
    }
}
