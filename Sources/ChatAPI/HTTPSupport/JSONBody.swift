import Foundation
import Shared

/// A request's JSON object, read field by field so every problem becomes a per-field message.
///
/// Unknown fields are ignored (CONTRACT.md); a missing or mistyped field is recorded and
/// `finish()` throws one 400 listing all of them, so a client fixes its request in one go.
struct JSONBody {
    private let object: [String: JSONValue]
    private(set) var errors: [FieldError] = []

    /// Parses the body of `request`, requiring a JSON object.
    /// - Throws: `Problem` 415 for another media type, 400 for malformed JSON or a non-object.
    init(_ request: HTTPRequest) throws {
        object = try request.decodeJSON([String: JSONValue].self)
    }

    /// A string field whose length is counted in characters, as users see them.
    mutating func string(_ field: String, length: ClosedRange<Int>, required: Bool = true) -> String? {
        guard let raw = object[field], raw != .null else {
            if required { errors.append(FieldError(field: field, message: "is required")) }
            return nil
        }
        guard case .string(let value) = raw else {
            errors.append(FieldError(field: field, message: "must be a string"))
            return nil
        }
        let count = value.count
        guard length.contains(count) else {
            errors.append(FieldError(field: field, message: "must be \(length.lowerBound) to \(length.upperBound) characters"))
            return nil
        }
        return value
    }

    /// A positive integer id below 2^53.
    mutating func id(_ field: String, required: Bool = true) -> Int64? {
        guard let raw = object[field], raw != .null else {
            if required { errors.append(FieldError(field: field, message: "is required")) }
            return nil
        }
        guard let value = raw.id else {
            errors.append(FieldError(field: field, message: "must be a positive integer id"))
            return nil
        }
        return value
    }

    /// An array of ids.
    mutating func ids(_ field: String, maxCount: Int) -> [Int64]? {
        guard let raw = object[field], raw != .null else {
            errors.append(FieldError(field: field, message: "is required"))
            return nil
        }
        guard case .array(let array) = raw, array.count <= maxCount else {
            errors.append(FieldError(field: field, message: "must be an array of at most \(maxCount) ids"))
            return nil
        }
        var out: [Int64] = []
        for element in array {
            guard let value = element.id else {
                errors.append(FieldError(field: field, message: "must contain only positive integer ids"))
                return nil
            }
            out.append(value)
        }
        return out
    }

    func has(_ field: String) -> Bool { object[field] != nil && object[field] != .null }

    /// Adds a field error found by a caller's own rule.
    mutating func reject(_ field: String, _ message: String) {
        errors.append(FieldError(field: field, message: message))
    }

    /// Throws one 400 with every field error collected so far.
    func finish() throws {
        if !errors.isEmpty {
            throw Problem.badRequest(detail: "Some fields are invalid.", errors: errors)
        }
    }

}
