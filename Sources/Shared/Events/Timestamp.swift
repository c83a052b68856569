import Foundation

/// Times as the contract writes them: RFC 3339, UTC, milliseconds (`2026-11-24T10:00:00.123Z`).
public enum Timestamp {
    /// The current time.
    public static func now() -> String { string(Date()) }

    /// Formats `date`, truncated to whole milliseconds.
    public static func string(_ date: Date) -> String {
        let totalMs = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = totalMs >= 0 ? totalMs / 1000 : (totalMs - 999) / 1000
        let ms = Int(totalMs - seconds * 1000)
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                      Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), ms)
    }
}
