import Foundation
import Synchronization

/// The IMF-fixdate for the `Date` header, formatted at most once per second per process.
public enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    /// The current date, e.g. `Tue, 01 Dec 2026 18:00:00 GMT`.
    public static func now() -> String {
        let second = Int(Date().timeIntervalSince1970)
        if let text = cache.withLock({ $0.second == second ? $0.text : nil }) { return text }
        let text = format(epochSecond: second)
        cache.withLock { $0 = (second, text) }
        return text
    }

    /// RFC 9110 §5.6.7 IMF-fixdate of a Unix time, without locale or formatter objects.
    static func format(epochSecond: Int) -> String {
        var t = time_t(epochSecond)
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(1900 + parts.tm_year) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
