/// Severity of a log line; a logger drops lines below its configured level.
public enum LogLevel: String, Sendable, Comparable, CaseIterable {
    case debug, info, warning, error

    var severity: Int {
        switch self {
        case .debug: 0
        case .info: 1
        case .warning: 2
        case .error: 3
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.severity < rhs.severity }

    /// Parses a level name as written in `CHAT_LOG_LEVEL` (case-insensitive; `warn` is accepted).
    public init?(parsing text: String) {
        let lowered = text.lowercased()
        if lowered == "warn" { self = .warning; return }
        guard let level = LogLevel(rawValue: lowered) else { return nil }
        self = level
    }
}
