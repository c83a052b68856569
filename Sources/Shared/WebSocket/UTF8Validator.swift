/// Incremental UTF-8 validation (RFC 3629), fed a message in pieces as its fragments arrive.
///
/// Refuses overlong forms, surrogates (U+D800-DFFF) and code points above U+10FFFF by narrowing
/// the range allowed for the byte after a lead byte, as the table in RFC 3629 §4 does. A sequence
/// cut at a fragment boundary carries over; one cut at the message end leaves `isComplete` false.
struct UTF8Validator: Sendable {
    private var remaining = 0
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// True when no multi-byte sequence is open.
    var isComplete: Bool { remaining == 0 }

    /// Checks the next bytes; false as soon as they cannot be UTF-8.
    mutating func validate(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let count = bytes.count
        while i < count {
            if remaining == 0 {
                // ASCII runs are the common case: skip them eight bytes at a time.
                while i + 8 <= count {
                    let word = UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    i += 8
                }
                guard i < count else { return true }
                let byte = bytes[i]
                i += 1
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: remaining = 1; lower = 0x80; upper = 0xBF
                case 0xE0: remaining = 2; lower = 0xA0; upper = 0xBF
                case 0xE1...0xEC, 0xEE...0xEF: remaining = 2; lower = 0x80; upper = 0xBF
                case 0xED: remaining = 2; lower = 0x80; upper = 0x9F
                case 0xF0: remaining = 3; lower = 0x90; upper = 0xBF
                case 0xF1...0xF3: remaining = 3; lower = 0x80; upper = 0xBF
                case 0xF4: remaining = 3; lower = 0x80; upper = 0x8F
                default: return false  // continuation byte without lead, C0/C1, F5-FF
                }
            } else {
                let byte = bytes[i]
                i += 1
                guard byte >= lower && byte <= upper else { return false }
                remaining -= 1
                lower = 0x80; upper = 0xBF
            }
        }
        return true
    }

    /// Whether `bytes` are complete, valid UTF-8 on their own.
    static func isValid(_ bytes: [UInt8]) -> Bool {
        var validator = UTF8Validator()
        return bytes.withUnsafeBufferPointer { validator.validate($0) } && validator.isComplete
    }
}
