/// Character classes of RFC 9110 / 9112, as 256-entry tables so the hot loops stay branch-light.
enum HTTPSyntax {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A

    /// tchar: `!#$%&'*+-.^_`|~`, digits and letters.
    static let isToken: [Bool] = (0..<256).map { c in
        if (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) { return true }
        return "!#$%&'*+-.^_`|~".utf8.contains(UInt8(c))
    }

    /// Bytes allowed in a field value: visible ASCII, space, tab and obs-text (0x80-0xFF);
    /// never other control characters or DEL.
    static let isFieldValue: [Bool] = (0..<256).map { c in
        c == 0x09 || (0x20...0x7E).contains(c) || c >= 0x80
    }

    /// Bytes allowed in a request target: visible ASCII only.
    static let isTargetChar: [Bool] = (0..<256).map { c in (0x21...0x7E).contains(c) }

    static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x41...0x46: return Int(c - 0x41 + 10)
        case 0x61...0x66: return Int(c - 0x61 + 10)
        default: return nil
        }
    }
}
