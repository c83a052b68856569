/// Receives a connection's events; called on the connection's loop only.
public protocol ConnectionHandler: AnyObject {
    /// The connection is ready: accepted, or an outbound connect completed.
    func connectionOpened(_ connection: Connection)
    /// `bytes` are valid only during the call (a per-loop read buffer); copy leftovers you keep.
    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer)
    /// A flush emptied the send queue (use with `queuedBytes` for back-pressure). Default: nothing.
    func connectionWritable(_ connection: Connection)
    /// The peer shut down its sending side (read returned 0). Default: `closeAfterFlush()`;
    /// a handler with a reply still in progress may close later itself.
    func connectionInputClosed(_ connection: Connection)
    /// Called exactly once, after the current callback returns. The connection then drops its
    /// reference to the handler, so a handler holding its connection does not leak a cycle.
    func connectionClosed(_ connection: Connection)
}

extension ConnectionHandler {
    public func connectionWritable(_ connection: Connection) {}
    public func connectionInputClosed(_ connection: Connection) { connection.closeAfterFlush() }
}

/// The handler of a connection before its real one is attached and after it closed.
final class DetachedHandler: ConnectionHandler, Sendable {
    static let shared = DetachedHandler()
    func connectionOpened(_ connection: Connection) {}
    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {}
    func connectionClosed(_ connection: Connection) {}
}
