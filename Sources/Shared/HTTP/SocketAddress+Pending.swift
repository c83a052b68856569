// TEMPORARY: the loop helper owns `SocketAddress` (Sources/Shared/EventLoop, PLAN.md). This
// file holds the planned shape only until branch `loop` is merged into `http`; delete it then.
// The lead: if `loop` is merged into main first, delete this file in the same merge.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) { self.host = host; self.port = port }
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
