import Foundation

/// Typed access to environment variables; every failure is a `ConfigError` naming the variable.
///
/// An empty value counts as unset, so `CHAT_X=` falls back to the default like a missing one.
public struct Environment: Sendable {
    public let variables: [String: String]

    public init(_ variables: [String: String] = ProcessInfo.processInfo.environment) {
        self.variables = variables
    }

    /// The trimmed value, or nil when unset or blank.
    public func string(_ name: String) -> String? {
        guard let raw = variables[name] else { return nil }
        let trimmed = raw.trimmingWhitespace
        return trimmed.isEmpty ? nil : trimmed
    }

    public func string(_ name: String, default fallback: String) -> String {
        string(name) ?? fallback
    }

    public func requiredString(_ name: String, _ meaning: String) throws(ConfigError) -> String {
        guard let value = string(name) else { throw ConfigError.missing(name, "is required (\(meaning))") }
        return value
    }

    /// Parses the value with `parse`, attributing its errors to `name`; nil when unset.
    public func value<T>(_ name: String, _ parse: (String) throws(ConfigError) -> T) throws(ConfigError) -> T? {
        guard let text = string(name) else { return nil }
        do {
            return try parse(text)
        } catch {
            throw error.named(name)
        }
    }

    public func int(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        try value(name) { text throws(ConfigError) in
            guard let parsed = Int(text), range.contains(parsed) else {
                throw ConfigError(value: text, reason: "expected a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return parsed
        } ?? fallback
    }

    public func double(_ name: String, default fallback: Double, range: ClosedRange<Double>) throws(ConfigError) -> Double {
        try value(name) { text throws(ConfigError) in
            guard let parsed = Double(text), parsed.isFinite, range.contains(parsed) else {
                throw ConfigError(value: text, reason: "expected a number in \(range.lowerBound)...\(range.upperBound)")
            }
            return parsed
        } ?? fallback
    }

    public func bool(_ name: String, default fallback: Bool) throws(ConfigError) -> Bool {
        try value(name) { text throws(ConfigError) in
            switch text.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw ConfigError(value: text, reason: "expected true or false")
            }
        } ?? fallback
    }

    /// Comma-separated items, trimmed, empty items dropped; empty when unset.
    public func list(_ name: String) -> [String] {
        guard let text = string(name) else { return [] }
        return text.split(separator: ",").map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
    }

    public func databaseURL(_ name: String) throws(ConfigError) -> DatabaseURL? {
        try value(name) { text throws(ConfigError) in try DatabaseURL(parsing: text) }
    }

    /// Each comma-separated item as a database URL; errors name the item's position.
    public func databaseURLs(_ name: String) throws(ConfigError) -> [DatabaseURL] {
        var urls: [DatabaseURL] = []
        for (index, item) in list(name).enumerated() {
            do {
                urls.append(try DatabaseURL(parsing: item))
            } catch {
                var named = error.named(name)
                named.reason = "item \(index + 1): " + named.reason
                throw named
            }
        }
        return urls
    }

    public func redisURL(_ name: String, default fallback: RedisURL) throws(ConfigError) -> RedisURL {
        try value(name) { text throws(ConfigError) in try RedisURL(parsing: text) } ?? fallback
    }

    public func cidrs(_ name: String, default fallback: [CIDR]) throws(ConfigError) -> [CIDR] {
        try value(name) { text throws(ConfigError) in try CIDR.parseList(text) } ?? fallback
    }

    public func logLevel(_ name: String, default fallback: LogLevel) throws(ConfigError) -> LogLevel {
        try value(name) { text throws(ConfigError) in
            guard let level = LogLevel(parsing: text) else {
                throw ConfigError(value: text, reason: "expected one of debug, info, warning, error")
            }
            return level
        } ?? fallback
    }
}
