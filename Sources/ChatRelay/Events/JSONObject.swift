/// A validated JSON object whose member values stay raw text until asked for.
///
/// The relay forwards `data` without decoding it (ChatAPI owns that shape) and reads only a
/// few scalar members, so a scanner that records each member's byte range is both cheaper
/// and more faithful than a full decode and re-encode.
struct JSONObject {
    let bytes: [UInt8]
    /// Member name → byte range of its raw value in `bytes`. A repeated name keeps the last.
    private(set) var members: [String: Range<Int>] = [:]

    /// Parses `text`, which must be exactly one JSON object (whitespace around it allowed).
    init(_ text: String) throws(JSONError) {
        try self.init(bytes: Array(text.utf8))
    }

    init(bytes: [UInt8]) throws(JSONError) {
        self.bytes = bytes
        var scanner = JSONScanner(bytes: bytes)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{") else { throw JSONError("expected a JSON object") }
        members = try scanner.scanObjectMembers()
        scanner.skipWhitespace()
        guard scanner.atEnd else { throw JSONError("unexpected text after the JSON object") }
    }

    private init(bytes: [UInt8], range: Range<Int>) throws(JSONError) {
        self.bytes = bytes
        var scanner = JSONScanner(bytes: bytes, position: range.lowerBound)
        members = try scanner.scanObjectMembers()
    }

    func has(_ name: String) -> Bool { members[name] != nil }

    /// The member's value exactly as written, e.g. `{"a":1}` or `"x"`.
    func rawText(_ name: String) -> String? {
        guard let range = members[name] else { return nil }
        return String(decoding: bytes[range], as: UTF8.self)
    }

    /// The member as a string; nil when absent or not a string.
    func string(_ name: String) throws(JSONError) -> String? {
        guard let range = members[name], bytes[range.lowerBound] == UInt8(ascii: "\"") else { return nil }
        return try JSONScanner.decodeString(bytes[range])
    }

    /// The member as an integer; nil when absent or not an integer that fits Int64.
    func int(_ name: String) -> Int64? {
        guard let range = members[name] else { return nil }
        let slice = bytes[range]
        guard slice.allSatisfy({ $0 == UInt8(ascii: "-") || ($0 >= 0x30 && $0 <= 0x39) }) else { return nil }
        return Int64(String(decoding: slice, as: UTF8.self))
    }

    /// The member as a nested object; nil when absent or not an object.
    func object(_ name: String) throws(JSONError) -> JSONObject? {
        guard let range = members[name], bytes[range.lowerBound] == UInt8(ascii: "{") else { return nil }
        return try JSONObject(bytes: bytes, range: range)
    }

    /// The member as an array of integers; nil when absent or not such an array.
    func intArray(_ name: String) -> [Int64]? {
        guard let range = members[name], bytes[range.lowerBound] == UInt8(ascii: "[") else { return nil }
        let inner = bytes[(range.lowerBound + 1)..<(range.upperBound - 1)]
        let text = String(decoding: inner, as: UTF8.self)
        if text.allSatisfy({ $0.isWhitespace }) { return [] }
        var out: [Int64] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Int64(part.trimmingWhitespace()) else { return nil }
            out.append(value)
        }
        return out
    }
}

/// Why a JSON text was refused; the message is safe to show a client.
struct JSONError: Error, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
