/// A validating JSON scanner that records value boundaries instead of building values.
///
/// Strict RFC 8259 syntax, with a nesting limit so a hostile client cannot exhaust the stack.
struct JSONScanner {
    static let maxDepth = 64

    let bytes: [UInt8]
    private(set) var position: Int

    init(bytes: [UInt8], position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var atEnd: Bool { position >= bytes.count }

    func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while let b = peek(), b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { position += 1 }
    }

    /// Scans `{...}` at the current position and returns each member's value range.
    mutating func scanObjectMembers() throws(JSONError) -> [String: Range<Int>] {
        var members: [String: Range<Int>] = [:]
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { position += 1; return members }
        while true {
            skipWhitespace()
            let keyStart = position
            try scanString()
            let key = try JSONScanner.decodeString(bytes[keyStart..<position])
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            let valueStart = position
            try scanValue(depth: 1)
            members[key] = valueStart..<position
            skipWhitespace()
            guard let b = peek() else { throw JSONError("unterminated object") }
            position += 1
            if b == UInt8(ascii: "}") { return members }
            guard b == UInt8(ascii: ",") else { throw JSONError("expected ',' or '}' in object") }
        }
    }

    private mutating func expect(_ byte: UInt8) throws(JSONError) {
        guard peek() == byte else {
            throw JSONError("expected '\(Character(Unicode.Scalar(byte)))' at offset \(position)")
        }
        position += 1
    }

    private mutating func scanValue(depth: Int) throws(JSONError) {
        guard depth <= JSONScanner.maxDepth else { throw JSONError("JSON nested too deeply") }
        guard let b = peek() else { throw JSONError("expected a value") }
        switch b {
        case UInt8(ascii: "\""): try scanString()
        case UInt8(ascii: "{"): try scanContainer(close: UInt8(ascii: "}"), depth: depth, isObject: true)
        case UInt8(ascii: "["): try scanContainer(close: UInt8(ascii: "]"), depth: depth, isObject: false)
        case UInt8(ascii: "t"): try scanLiteral("true")
        case UInt8(ascii: "f"): try scanLiteral("false")
        case UInt8(ascii: "n"): try scanLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try scanNumber()
        default: throw JSONError("unexpected character at offset \(position)")
        }
    }

    private mutating func scanContainer(close: UInt8, depth: Int, isObject: Bool) throws(JSONError) {
        position += 1
        skipWhitespace()
        if peek() == close { position += 1; return }
        while true {
            skipWhitespace()
            if isObject {
                try scanString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
            }
            try scanValue(depth: depth + 1)
            skipWhitespace()
            guard let b = peek() else { throw JSONError("unterminated container") }
            position += 1
            if b == close { return }
            guard b == UInt8(ascii: ",") else { throw JSONError("expected ',' at offset \(position - 1)") }
        }
    }

    private mutating func scanLiteral(_ word: StaticString) throws(JSONError) {
        let expected = word.withUTF8Buffer { Array($0) }
        let count = expected.count
        guard position + count <= bytes.count else { throw JSONError("truncated literal") }
        guard bytes[position..<(position + count)].elementsEqual(expected) else { throw JSONError("invalid literal at offset \(position)") }
        position += count
    }

    private mutating func scanNumber() throws(JSONError) {
        func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        if peek() == UInt8(ascii: "-") { position += 1 }
        if peek() == UInt8(ascii: "0") {
            position += 1
        } else {
            guard isDigit(peek()) else { throw JSONError("invalid number at offset \(position)") }
            while isDigit(peek()) { position += 1 }
        }
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard isDigit(peek()) else { throw JSONError("invalid fraction at offset \(position)") }
            while isDigit(peek()) { position += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard isDigit(peek()) else { throw JSONError("invalid exponent at offset \(position)") }
            while isDigit(peek()) { position += 1 }
        }
    }

    private mutating func scanString() throws(JSONError) {
        guard peek() == UInt8(ascii: "\"") else { throw JSONError("expected a string at offset \(position)") }
        position += 1
        while let b = peek() {
            position += 1
            switch b {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"):
                guard let e = peek() else { throw JSONError("unterminated string") }
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"): break
                case UInt8(ascii: "u"):
                    guard position + 4 <= bytes.count,
                          bytes[position..<(position + 4)].allSatisfy({ JSONScanner.hexValue($0) != nil })
                    else { throw JSONError("invalid \\u escape") }
                    position += 4
                default: throw JSONError("invalid escape in string")
                }
            case 0..<0x20: throw JSONError("control character in string")
            default: break
            }
        }
        throw JSONError("unterminated string")
    }

    static func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: return UInt32(b - 0x30)
        case 0x41...0x46: return UInt32(b - 0x41 + 10)
        case 0x61...0x66: return UInt32(b - 0x61 + 10)
        default: return nil
        }
    }

    /// Decodes a scanned string literal (quotes included) into its value.
    static func decodeString(_ literal: ArraySlice<UInt8>) throws(JSONError) -> String {
        let body = literal.dropFirst().dropLast()
        if !body.contains(UInt8(ascii: "\\")) { return String(decoding: body, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = body.startIndex
        func hex4(_ at: Int) -> UInt32 {
            (at..<(at + 4)).reduce(0) { $0 << 4 | (hexValue(body[$1]) ?? 0) }
        }
        while i < body.endIndex {
            let b = body[i]
            guard b == UInt8(ascii: "\\") else { out.append(b); i += 1; continue }
            let e = body[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(i)
                i += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate must be followed by an escaped low one.
                    guard i + 6 <= body.endIndex, body[i] == UInt8(ascii: "\\"), body[i + 1] == UInt8(ascii: "u"),
                          (0xDC00..<0xE000).contains(hex4(i + 2)) else { throw JSONError("unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex4(i + 2) - 0xDC00)
                    i += 6
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw JSONError("unpaired surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw JSONError("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
