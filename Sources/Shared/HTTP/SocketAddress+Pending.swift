// TEMPORARY: the loop helper owns `SocketAddress` (Sources/Shared/EventLoop, PLAN.md). This
// file mirrors the public shape of branch `loop`'s type only until `loop` is merged into
// `http`; delete it then. The lead: if `loop` reaches main first, delete this file in that merge.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    public static func resolve(host: String, port: Int) throws -> SocketAddress { SocketAddress(host: host, port: port) }
}
