/// A Redis stream entry id `ms-seq`, compared as a pair of numbers, never as strings.
public struct StreamID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: UInt64
    public var sequence: UInt64

    public static let zero = StreamID(milliseconds: 0, sequence: 0)

    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// Parses `1732442400123-0`; a bare `1732442400123` means sequence 0.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let ms = UInt64(parts[0]) else { return nil }
        var seq: UInt64 = 0
        if parts.count == 2 {
            guard let parsed = UInt64(parts[1]) else { return nil }
            seq = parsed
        }
        self.init(milliseconds: ms, sequence: seq)
    }

    public static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }

    /// The smallest id strictly greater than this one (for exclusive XRANGE starts).
    public var successor: StreamID {
        sequence == .max ? StreamID(milliseconds: milliseconds + 1, sequence: 0)
                         : StreamID(milliseconds: milliseconds, sequence: sequence + 1)
    }

    public var description: String { "\(milliseconds)-\(sequence)" }
}
