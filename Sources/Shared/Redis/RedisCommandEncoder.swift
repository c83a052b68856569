/// Encodes commands as RESP arrays of bulk strings (binary safe: lengths, not delimiters).
public enum RedisCommandEncoder {
    public static func encode(_ args: [String]) -> [UInt8] {
        var out: [UInt8] = []
        append(args.map { Array($0.utf8) }, to: &out)
        return out
    }

    public static func encode(bytes args: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        append(args, to: &out)
        return out
    }

    /// Appends one command to `out` (for writing several commands in one send).
    public static func append(_ args: [[UInt8]], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + 16 + args.reduce(0) { $0 + $1.count + 16 })
        out.append(UInt8(ascii: "*"))
        out.append(contentsOf: String(args.count).utf8)
        out.append(contentsOf: [0x0D, 0x0A])
        for arg in args {
            out.append(UInt8(ascii: "$"))
            out.append(contentsOf: String(arg.count).utf8)
            out.append(contentsOf: [0x0D, 0x0A])
            out.append(contentsOf: arg)
            out.append(contentsOf: [0x0D, 0x0A])
        }
    }
}
