import Synchronization

/// Request ids: a client's `X-Request-Id` when it is sane, else a generated one.
public enum RequestID {
    /// The longest client id accepted; longer ones are replaced rather than truncated.
    public static let maxLength = 128

    /// A random process prefix plus a counter: unique across instances without a syscall per request.
    private static let prefix: String = {
        var rng = SystemRandomNumberGenerator()
        let n = rng.next() as UInt64
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }()
    private static let counter = Atomic<UInt64>(0)

    /// `X-Request-Id` from `headers` if it is 1-128 characters of `[A-Za-z0-9._:-]`, else a new id.
    public static func resolve(_ headers: HTTPHeaders) -> String {
        if let given = headers["X-Request-Id"], isSane(given) { return given }
        return generate()
    }

    public static func generate() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        // `prefix-hex(n)` written in place: interpolation and `String(radix:)` cost more than the rest.
        var digits = 1
        while digits < 16 && n >> (4 * UInt64(digits)) != 0 { digits += 1 }
        return String(unsafeUninitializedCapacity: 17 + digits) { out in
            var i = 0
            for byte in prefix.utf8 { out[i] = byte; i += 1 }
            out[i] = UInt8(ascii: "-"); i += 1
            for shift in stride(from: digits - 1, through: 0, by: -1) {
                out[i] = hex[Int((n >> (4 * UInt64(shift))) & 0xF)]
                i += 1
            }
            return i
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func isSane(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        return utf8.allSatisfy { c in
            (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: ":")
        }
    }
}
