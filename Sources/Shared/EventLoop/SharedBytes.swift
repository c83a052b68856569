/// Immutable bytes shared by many connections: one encoded frame queued to N sockets.
///
/// Connections queue the underlying array by reference (arrays are copy-on-write and never
/// mutated here), so a frame fanned out to 10,000 sockets exists once in memory.
public final class SharedBytes: Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var count: Int { bytes.count }
}
