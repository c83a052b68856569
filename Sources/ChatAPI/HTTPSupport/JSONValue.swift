import Foundation

/// Any JSON value, keeping booleans, numbers and strings apart so a wrong type is reported
/// as such instead of being coerced.
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// A positive integer id below 2^53 (ids are JSON numbers JavaScript reads exactly).
    var id: Int64? {
        guard case .number(let number) = self, number >= 1, number < 9_007_199_254_740_992,
              number.rounded() == number else { return nil }
        return Int64(number)
    }
}
