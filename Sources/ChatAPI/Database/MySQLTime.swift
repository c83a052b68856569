import CMariaDB
import Foundation

/// Date ↔ MYSQL_TIME, always in UTC: every connection sets `time_zone = '+00:00'`, so what
/// the server's NOW() writes and what we bind agree, whatever the host's zone.
enum MySQLTime {
    /// Microsecond precision, rounded first so 0.123 s does not become 0.122999 and then
    /// truncate to .122 in a DATETIME(3) column.
    static func make(_ date: Date) -> MYSQL_TIME {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        var value = MYSQL_TIME()
        value.year = UInt32(parts.tm_year + 1900)
        value.month = UInt32(parts.tm_mon + 1)
        value.day = UInt32(parts.tm_mday)
        value.hour = UInt32(parts.tm_hour)
        value.minute = UInt32(parts.tm_min)
        value.second = UInt32(parts.tm_sec)
        value.second_part = UInt(fraction)
        value.neg = 0
        value.time_type = MYSQL_TIMESTAMP_DATETIME
        return value
    }

    /// nil for MariaDB's zero date ('0000-00-00'), which strict mode keeps out of our tables.
    static func date(from value: MYSQL_TIME) -> Date? {
        guard value.year != 0 || value.month != 0 || value.day != 0 else { return nil }
        var parts = tm()
        parts.tm_year = Int32(value.year) - 1900
        parts.tm_mon = Int32(value.month) - 1
        parts.tm_mday = Int32(value.day)
        parts.tm_hour = Int32(value.hour)
        parts.tm_min = Int32(value.minute)
        parts.tm_sec = Int32(value.second)
        let seconds = timegm(&parts)
        return Date(timeIntervalSince1970: Double(seconds) + Double(value.second_part) / 1_000_000)
    }
}
