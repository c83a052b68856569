/// A missing or malformed configuration value; the message names the variable and the value.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment variable, once known (parsers leave it nil, `Environment` fills it in).
    public var variable: String?
    /// The offending value as it may be shown: secrets are already redacted. Nil when missing.
    public var value: String?
    /// What is wrong and what is expected.
    public var reason: String

    public init(variable: String? = nil, value: String?, reason: String) {
        self.variable = variable
        self.value = value
        self.reason = reason
    }

    /// The variable is required and unset.
    public static func missing(_ variable: String, _ reason: String) -> ConfigError {
        ConfigError(variable: variable, value: nil, reason: reason)
    }

    /// The same error attributed to `variable` (keeps an already set name).
    func named(_ variable: String) -> ConfigError {
        var copy = self
        if copy.variable == nil { copy.variable = variable }
        return copy
    }

    /// The same error with the value replaced by `shown` (for secrets).
    func showing(_ shown: String?) -> ConfigError {
        var copy = self
        copy.value = shown
        return copy
    }

    public var description: String {
        let name = variable ?? "value"
        guard let value else { return "\(name): \(reason)" }
        return "\(name)=\"\(value)\" is invalid: \(reason)"
    }
}
