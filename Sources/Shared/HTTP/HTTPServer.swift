import Dispatch
import Glibc
import Synchronization

/// An HTTP/1.1 server on an event loop group: one listener per loop, handlers inline on the
/// loop or on a worker pool, graceful drain.
public final class HTTPServer: Sendable {
    private let context: HTTPServerContext
    private let group: EventLoopGroup
    private let listener = Mutex<TCPServer?>(nil)

    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), router: Router,
                group: EventLoopGroup, workers: WorkerPool, observer: (any HTTPServerObserver)? = nil) {
        self.group = group
        context = HTTPServerContext(configuration: configuration, router: router, workers: workers,
                                    observer: observer, loopCount: group.loops.count)
    }

    /// Starts listening on `host:port` (0 picks a free port; see `port`).
    /// - Throws: `ServerError` naming `host:port` when it cannot listen, e.g. the port is taken.
    public func start(host: String, port: Int) throws {
        let context = self.context
        let server = try TCPServer(host: host, port: port, group: group) { connection in
            HTTPConnectionHandler(connection: connection, context: context)
        }
        listener.withLock { $0 = server }
    }

    /// The port listened on; 0 before `start`.
    public var port: Int { listener.withLock { $0?.port ?? 0 } }

    /// HTTP connections open now (upgraded connections belong to their new handler).
    public var openConnections: Int { context.activeConnections }

    /// Stops accepting, lets in-flight requests finish (their answers say `Connection: close`),
    /// closes idle keep-alive connections, and after `deadline` closes whatever is left.
    /// Blocks the caller (never call it on an event loop).
    /// - Returns: true when every connection finished before the deadline.
    @discardableResult
    public func drain(deadline: Duration) -> Bool {
        listener.withLock { $0?.stopAccepting() }
        context.startDraining()
        let context = self.context
        for loop in group.loops {
            loop.execute { for handler in context.handlers(onLoop: loop.index) { handler.drain() } }
        }
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: deadline)
        while context.activeConnections > 0 && clock.now < end {
            usleep(10_000)
        }
        guard context.activeConnections > 0 else { return true }
        let closed = DispatchGroup()
        for loop in group.loops {
            closed.enter()
            loop.execute {
                for handler in context.handlers(onLoop: loop.index) { handler.forceClose() }
                closed.leave()
            }
        }
        _ = closed.wait(timeout: .now() + 1)
        return false
    }
}
