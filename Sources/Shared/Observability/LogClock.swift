import Glibc

/// The `time` field of log lines, with the `"YYYY-MM-DDTHH:MM:SS.` part formatted once per
/// second: `gmtime_r` per line was a visible cost of the access log.
struct LogClock {
    private var second = Int.min
    private var prefix: [UInt8] = []

    /// Appends the current wall-clock time as quoted RFC 3339 UTC with milliseconds.
    mutating func appendNow(to out: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        append(seconds: Int(now.tv_sec), milliseconds: Int(now.tv_nsec / 1_000_000), to: &out)
    }

    mutating func append(seconds: Int, milliseconds: Int, to out: inout [UInt8]) {
        if seconds != second {
            var full: [UInt8] = []
            JSONWriter.appendTimestamp(seconds: seconds, milliseconds: 0, to: &full)
            prefix = Array(full.dropLast(5))  // drop `000Z"`
            second = seconds
        }
        out.append(contentsOf: prefix)
        out.append(UInt8(ascii: "0") + UInt8(milliseconds / 100))
        out.append(UInt8(ascii: "0") + UInt8(milliseconds / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(milliseconds % 10))
        out.append(UInt8(ascii: "Z"))
        out.append(UInt8(ascii: "\""))
    }
}
