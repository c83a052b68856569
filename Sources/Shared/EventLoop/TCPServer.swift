import Glibc
import Synchronization

/// Accepts TCP connections on every loop of a group, each through its own `SO_REUSEPORT`
/// socket, so the kernel spreads connections and a connection never changes thread.
public final class TCPServer: Sendable {
    public let host: String
    /// The port listened on (the one picked when 0 was asked for).
    public let port: Int
    private let makeHandler: @Sendable (Connection) -> ConnectionHandler
    private let loops: [EventLoop]
    private let open = Atomic<Int>(0)
    private let backoffs = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    /// Probes the port without `SO_REUSEPORT` first, so a port held by another process (or
    /// another server here) fails instead of being silently shared; then opens one
    /// `SO_REUSEPORT` listener per loop. Port 0 picks a free port for all loops.
    /// - Throws: `ServerError` whose message names `host:port`.
    public init(host: String, port: Int, group: EventLoopGroup, backlog: Int32 = 4096,
                makeHandler: @escaping @Sendable (Connection) -> ConnectionHandler) throws {
        let requested = try SocketAddress.resolve(host: host, port: port)
        let chosen = try Self.probe(requested, label: "\(host):\(port)")
        var fds: [Int32] = []
        do {
            for _ in group.loops { fds.append(try Self.listen(chosen, backlog: backlog)) }
        } catch {
            fds.forEach { _ = Glibc.close($0) }
            throw error
        }
        self.host = host
        self.port = chosen.port
        self.makeHandler = makeHandler
        self.loops = group.loops
        for (loop, fd) in zip(group.loops, fds) {
            loop.execute { [self] in
                Listener(fd: fd, loop: loop, server: self).start()
            }
        }
    }

    /// Connections accepted and not yet closed, over all loops.
    public var openConnections: Int { open.load(ordering: .relaxed) }

    /// Times accepting paused because the process ran out of file descriptors.
    public var acceptBackoffs: Int { backoffs.load(ordering: .relaxed) }

    /// Closes the listening sockets (asynchronously, on each loop); open connections stay.
    public func stopAccepting() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for loop in loops {
            loop.execute { [self] in
                for entry in loop.registry {
                    if case .listener(let l)? = entry.registrant, l.server === self { l.close() }
                }
            }
        }
    }

    func adopt(fd: Int32, peer: SocketAddress, on loop: EventLoop) {
        let connection = Connection(fd: fd, peer: peer, loop: loop, server: self,
                                    handler: DetachedHandler.shared, state: .open)
        do {
            connection.interest = Epoll.readable
            connection.generation = try loop.register(fd: fd, .connection(connection), events: Epoll.readable)
        } catch {
            Glibc.close(fd)
            return
        }
        open.add(1, ordering: .relaxed)
        let handler = makeHandler(connection)
        connection.handler = handler
        handler.connectionOpened(connection)
    }

    func connectionDidClose() { open.subtract(1, ordering: .relaxed) }
    func noteAcceptBackoff() { backoffs.add(1, ordering: .relaxed) }

    /// Binds without `SO_REUSEPORT` (with `SO_REUSEADDR`, so sockets in TIME_WAIT from a
    /// previous run do not block a restart) and returns the address with the real port.
    private static func probe(_ address: SocketAddress, label: String) throws(ServerError) -> SocketAddress {
        let fd = try socket(address, label: label)
        defer { Glibc.close(fd) }
        try? Sys.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)")
        let rc = address.withSockAddr { Glibc.bind(fd, $0, $1) }
        if rc != 0 {
            let code = Glibc.errno
            if code == EADDRINUSE {
                throw ServerError(.addressInUse,
                                  "cannot listen on \(label): address already in use (another process or server holds port \(address.port))",
                                  errno: code)
            }
            throw ServerError(.bindFailed, "cannot listen on \(label): bind: \(SystemError.describe(code))", errno: code)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard let bound = withUnsafePointer(to: &storage, { SocketAddress(UnsafeRawPointer($0)) }) else {
            throw ServerError(.bindFailed, "cannot listen on \(label): getsockname failed")
        }
        return bound
    }

    private static func listen(_ address: SocketAddress, backlog: Int32) throws(ServerError) -> Int32 {
        let label = address.description
        let fd = try socket(address, label: label)
        do {
            try Sys.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)")
            try Sys.setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)")
            if address.isIPv6 { try? Sys.setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0, "setsockopt(IPV6_V6ONLY)") }
            _ = try Sys.call("bind") { address.withSockAddr { Glibc.bind(fd, $0, $1) } }
            _ = try Sys.call("listen") { Glibc.listen(fd, backlog) }
        } catch {
            Glibc.close(fd)
            let code: Code = error.errno == EADDRINUSE ? .addressInUse : .bindFailed
            throw ServerError(code, "cannot listen on \(label): \(error)", errno: error.errno)
        }
        return fd
    }

    private typealias Code = ServerError.Code

    private static func socket(_ address: SocketAddress, label: String) throws(ServerError) -> Int32 {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            let code = Glibc.errno
            throw ServerError(.socketFailed, "cannot listen on \(label): socket: \(SystemError.describe(code))", errno: code)
        }
        return fd
    }
}
