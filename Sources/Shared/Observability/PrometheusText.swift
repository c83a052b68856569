import Foundation

/// Rendering rules of the Prometheus text exposition format 0.0.4.
enum PrometheusText {
    static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !isDigit(first) else { return false }
        return name.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ":") }
    }

    static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !isDigit(first), !name.hasPrefix("__") else { return false }
        return name.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    private static func isLetter(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// Label values escape backslash, double quote and line feed.
    static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for ch in value.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// HELP text escapes backslash and line feed only.
    static func escapeHelp(_ help: String) -> String {
        help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// `a="x",b="y"` sorted by label name; empty for no labels.
    static func renderLabels(_ labels: [String: String]) -> String {
        labels.keys.sorted().map { "\($0)=\"\(escapeLabelValue(labels[$0]!))\"" }.joined(separator: ",")
    }

    static func formatValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static func series(_ name: String, _ labels: String, _ value: String) -> String {
        labels.isEmpty ? "\(name) \(value)\n" : "\(name){\(labels)} \(value)\n"
    }

    static func appendFamily(_ family: MetricsRegistry.Family, to out: inout String) {
        out += "# HELP \(family.name) \(escapeHelp(family.help))\n"
        out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
        for labels in family.children.keys.sorted() {
            switch family.children[labels]! {
            case .counter(let counter):
                out += series(family.name, labels, String(counter.current))
            case .gauge(let gauge):
                out += series(family.name, labels, formatValue(gauge.current))
            case .histogram(let histogram):
                let counts = histogram.cumulativeCounts
                let prefix = labels.isEmpty ? "" : labels + ","
                for (i, bound) in histogram.upperBounds.enumerated() {
                    out += series(family.name + "_bucket", prefix + "le=\"\(formatValue(bound))\"", String(counts[i]))
                }
                out += series(family.name + "_bucket", prefix + "le=\"+Inf\"", String(counts.last!))
                out += series(family.name + "_sum", labels, formatValue(histogram.sum))
                out += series(family.name + "_count", labels, String(counts.last!))
            }
        }
    }
}
