import Foundation

/// One result row: values by column index or by column name (the SELECT's label).
public struct SQLRow: Sendable {
    public let columns: SQLColumns
    public let values: [SQLValue]

    public subscript(_ index: Int) -> SQLValue { values[index] }
    /// The value of column `name`; `.null` when there is no such column (see `has`).
    public subscript(_ name: String) -> SQLValue {
        guard let index = columns.index(of: name) else { return .null }
        return values[index]
    }
    public func has(_ name: String) -> Bool { columns.index(of: name) != nil }

    /// The column as an integer (booleans read as 0/1); nil for NULL or another type.
    public func int(_ name: String) -> Int64? { Self.int(self[name]) }
    public func int(_ index: Int) -> Int64? { Self.int(values[index]) }
    public func string(_ name: String) -> String? { Self.string(self[name]) }
    public func string(_ index: Int) -> String? { Self.string(values[index]) }
    public func date(_ name: String) -> Date? { if case .date(let d) = self[name] { d } else { nil } }
    public func date(_ index: Int) -> Date? { if case .date(let d) = values[index] { d } else { nil } }
    /// The column as a boolean (any integer: non-zero is true); nil for NULL.
    public func bool(_ name: String) -> Bool? { Self.bool(self[name]) }
    public func bool(_ index: Int) -> Bool? { Self.bool(values[index]) }
    public func double(_ name: String) -> Double? { Self.double(self[name]) }
    public func bytes(_ name: String) -> [UInt8]? { if case .bytes(let b) = self[name] { b } else { nil } }

    /// Like `int(_:)` but throws when the column is NULL or not an integer: for NOT NULL ids.
    public func requireInt(_ name: String) throws(DatabaseError) -> Int64 {
        guard let value = int(name) else { throw .decoding("column \(name) is \(self[name]), expected an integer") }
        return value
    }
    public func requireString(_ name: String) throws(DatabaseError) -> String {
        guard let value = string(name) else { throw .decoding("column \(name) is \(self[name]), expected a string") }
        return value
    }
    public func requireDate(_ name: String) throws(DatabaseError) -> Date {
        guard let value = date(name) else { throw .decoding("column \(name) is \(self[name]), expected a date") }
        return value
    }

    private static func int(_ v: SQLValue) -> Int64? {
        switch v {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }
    private static func string(_ v: SQLValue) -> String? {
        switch v {
        case .string(let s): s
        case .bytes(let b): String(validating: b, as: UTF8.self)
        default: nil
        }
    }
    private static func bool(_ v: SQLValue) -> Bool? {
        switch v {
        case .bool(let b): b
        case .int(let i): i != 0
        default: nil
        }
    }
    private static func double(_ v: SQLValue) -> Double? {
        switch v {
        case .double(let d): d
        case .int(let i): Double(i)
        case .string(let s): Double(s)   // DECIMAL arrives as text
        default: nil
        }
    }
}

/// Column names of a result, shared by all its rows (one allocation per result, not per row).
public final class SQLColumns: Sendable {
    public let names: [String]
    private let positions: [String: Int]

    init(names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        for (i, name) in names.enumerated() where positions[name] == nil { positions[name] = i }
        self.positions = positions
    }

    func index(of name: String) -> Int? { positions[name] }
}
