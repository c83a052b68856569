import CLinux
import Glibc

/// One `SO_REUSEPORT` listening socket, owned by one loop. Loop-confined.
final class Listener {
    /// Accepts per readiness event at most this many, so a connection storm cannot starve
    /// the connections this loop already serves.
    static let maxAcceptsPerEvent = 64
    /// How long to stop polling the listener when out of file descriptors.
    static let backoffSeconds = 0.1

    let fd: Int32
    let loop: EventLoop
    let server: TCPServer
    var generation: UInt32 = 0
    private var closed = false
    private var backoff: TimerHandle?

    init(fd: Int32, loop: EventLoop, server: TCPServer) {
        self.fd = fd
        self.loop = loop
        self.server = server
    }

    func start() {
        do {
            generation = try loop.register(fd: fd, .listener(self), events: Epoll.readable)
        } catch {
            closed = true
            Glibc.close(fd)
        }
    }

    func acceptReady() {
        for _ in 0..<Listener.maxAcceptsPerEvent {
            guard !closed else { return }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    clinux_accept4(fd, $0, &length, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
                }
            }
            if client < 0 {
                switch Glibc.errno {
                case EINTR, ECONNABORTED, EPROTO, EPERM:
                    continue                       // this one failed; others may be waiting
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    backOff()                      // out of descriptors: retry later, keep the listener
                    return
                default:
                    return                         // EAGAIN: no more pending connections
                }
            }
            guard let peer = withUnsafePointer(to: &storage, { SocketAddress(UnsafeRawPointer($0)) }) else {
                Glibc.close(client)
                continue
            }
            // Responses are written whole, once per turn: Nagle would only add latency.
            try? Sys.setOption(client, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)")
            server.adopt(fd: client, peer: peer, on: loop)
        }
    }

    /// Level-triggered epoll would report the pending connection again at once; stop polling
    /// the listener for a while instead of spinning or closing it.
    private func backOff() {
        guard backoff == nil else { return }
        server.noteAcceptBackoff()
        loop.modify(fd: fd, generation: generation, events: 0)
        backoff = loop.schedule(after: Listener.backoffSeconds) { [self] in
            backoff = nil
            guard !closed else { return }
            loop.modify(fd: fd, generation: generation, events: Epoll.readable)
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        backoff?.cancel()
        backoff = nil
        loop.unregister(fd: fd, generation: generation)
        Glibc.close(fd)
    }
}
