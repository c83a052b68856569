import Foundation
import Shared

/// The relay's settings, read from environment variables (README and `--help` list them).
struct RelayConfiguration: Sendable, Equatable {
    var host = "127.0.0.1"
    var port = 8091
    var eventLoops = ProcessInfo.processInfo.activeProcessorCount
    var redisHost = "127.0.0.1"
    var redisPort = 6379
    /// `CHAT_JWT_KEYS` (`kid:secret,...`) or `CHAT_JWT_SECRET`; no default.
    var jwtKeys: String
    var jwtKeysAreNamed: Bool
    var logLevel = "info"
    var sendQueueBytes = 1 << 20
    var redisWorkers = 4

    static let help = """
    ChatRelay: the real-time WebSocket relay (GET /ws) fed by Redis.

    Environment:
      CHAT_HOST                   listen address (default 127.0.0.1)
      CHAT_RELAY_PORT             listen port (default 8091)
      CHAT_EVENT_LOOPS            event loop threads (default: the number of cores)
      CHAT_REDIS_URL              redis://host:port (default redis://127.0.0.1:6379)
      CHAT_JWT_SECRET             HS256 secret, at least 32 bytes (or CHAT_JWT_KEYS)
      CHAT_JWT_KEYS               kid:secret,... ; the first signs, all verify
      CHAT_LOG_LEVEL              debug, info, warning, error (default info)
      CHAT_RELAY_SEND_QUEUE_BYTES per-connection send queue cap; past it: close 1008 (default 1048576)
      CHAT_RELAY_REDIS_WORKERS    threads for Redis commands (default 4)

    Endpoints: GET /ws, /actuator/health (DOWN while Redis is unreachable),
    /actuator/health/liveness, /actuator/health/readiness, /actuator/info, /actuator/prometheus.
    """

    /// Reads and checks every variable; the error names the one that is wrong.
    init(environment env: [String: String]) throws(RelayConfigurationError) {
        func value(_ name: String) -> String? {
            guard let text = env[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(RelayConfigurationError) -> Int {
            guard let text = value(name) else { return fallback }
            guard let number = Int(text), range.contains(number) else {
                throw RelayConfigurationError("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
            }
            return number
        }
        if let keys = value("CHAT_JWT_KEYS") {
            jwtKeys = keys
            jwtKeysAreNamed = true
        } else if let secret = value("CHAT_JWT_SECRET") {
            jwtKeys = secret
            jwtKeysAreNamed = false
        } else {
            throw RelayConfigurationError("CHAT_JWT_SECRET (or CHAT_JWT_KEYS) is required")
        }
        host = value("CHAT_HOST") ?? host
        port = try integer("CHAT_RELAY_PORT", default: port, range: 0...65535)
        eventLoops = try integer("CHAT_EVENT_LOOPS", default: max(1, eventLoops), range: 1...1024)
        if let url = value("CHAT_REDIS_URL") {
            (redisHost, redisPort) = try Self.parseRedisURL(url)
        }
        if let level = value("CHAT_LOG_LEVEL") {
            guard ["debug", "info", "warning", "error"].contains(level.lowercased()) else {
                throw RelayConfigurationError("CHAT_LOG_LEVEL must be debug, info, warning or error, got \"\(level)\"")
            }
            logLevel = level.lowercased()
        }
        sendQueueBytes = try integer("CHAT_RELAY_SEND_QUEUE_BYTES", default: sendQueueBytes, range: 4096...(1 << 30))
        redisWorkers = try integer("CHAT_RELAY_REDIS_WORKERS", default: redisWorkers, range: 1...64)
    }

    /// `redis://host:port` (port optional, 6379).
    static func parseRedisURL(_ url: String) throws(RelayConfigurationError) -> (String, Int) {
        guard url.hasPrefix("redis://") else {
            throw RelayConfigurationError("CHAT_REDIS_URL must look like redis://host:port, got \"\(url)\"")
        }
        var rest = Substring(url.dropFirst("redis://".count))
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard let host = parts.first, !host.isEmpty, parts.count <= 2 else {
            throw RelayConfigurationError("CHAT_REDIS_URL must look like redis://host:port, got \"\(url)\"")
        }
        guard parts.count == 2 else { return (String(host), 6379) }
        guard let port = Int(parts[1]), (1...65535).contains(port) else {
            throw RelayConfigurationError("CHAT_REDIS_URL has an invalid port, got \"\(url)\"")
        }
        return (String(host), port)
    }

    /// The verifier the settings describe.
    func keySet() throws(RelayConfigurationError) -> JWTKeySet {
        do {
            return jwtKeysAreNamed ? try JWTKeySet(keyList: jwtKeys) : try JWTKeySet(secret: jwtKeys)
        } catch {
            throw RelayConfigurationError("\(jwtKeysAreNamed ? "CHAT_JWT_KEYS" : "CHAT_JWT_SECRET"): \(error.detail)")
        }
    }
}

struct RelayConfigurationError: Error, CustomStringConvertible, Equatable {
    let description: String
    init(_ description: String) { self.description = description }
}
