import Foundation

/// A typed statement parameter or decoded column value.
///
/// Decoding rules: integer columns → `.int` (TINYINT(1)/BOOLEAN → `.bool`), DOUBLE/FLOAT →
/// `.double`, DECIMAL → `.string`, DATETIME/TIMESTAMP/DATE → `.date` read as UTC (every
/// connection runs with `time_zone = '+00:00'`), text (utf8mb4) → `.string`, binary
/// strings and BLOBs → `.bytes`, SQL NULL → `.null`.
public enum SQLValue: Sendable, Equatable {
    case int(Int64)
    case string(String)
    case date(Date)
    case bool(Bool)
    case null
    case double(Double)
    case bytes([UInt8])
}

extension SQLValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension SQLValue {
    /// `.int`, or `.null` for nil: convenient for optional ids.
    public static func int(_ value: Int64?) -> SQLValue { value.map { .int($0) } ?? .null }
    /// `.string`, or `.null` for nil.
    public static func string(_ value: String?) -> SQLValue { value.map { .string($0) } ?? .null }
    /// `.date`, or `.null` for nil.
    public static func date(_ value: Date?) -> SQLValue { value.map { .date($0) } ?? .null }

    public var isNull: Bool { self == .null }
}
