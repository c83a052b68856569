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

    /// RFC 3339 UTC with milliseconds, as the contract writes times: `2026-11-24T10:00:00.123Z`.
    public static func rfc3339(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var t = time_t(ms >= 0 ? ms / 1000 : (ms - 999) / 1000)
        let millis = Int(ms - Int64(t) * 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(millis, 3))Z"
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
