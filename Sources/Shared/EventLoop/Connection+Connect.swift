import Glibc

extension Connection {
    /// Outbound TCP connect on `loop` (non-blocking). The handler hears `connectionOpened` on
    /// success and `connectionClosed` on failure (`closeReason` says why); writes made before
    /// the connect completes are sent once it does. Call on `loop`'s thread (from
    /// `loop.execute` elsewhere); a timeout is the caller's: `loop.schedule` + `close()`.
    /// - Throws: `ServerError` when the host cannot be resolved or no socket can be created.
    public static func connect(host: String, port: Int, on loop: EventLoop,
                               handler: ConnectionHandler) throws -> Connection {
        precondition(loop.inEventLoop, "Connection.connect must run on the loop's thread; use loop.execute")
        let address = try SocketAddress.resolve(host: host, port: port)
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            let code = Glibc.errno
            throw ServerError(.socketFailed, "cannot connect to \(address): socket: \(SystemError.describe(code))", errno: code)
        }
        try? Sys.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)")
        let rc = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        let code = rc == 0 ? 0 : Glibc.errno
        let connection = Connection(fd: fd, peer: address, loop: loop, server: nil,
                                    handler: handler, state: .connecting)
        // EINTR: the connect goes on asynchronously, exactly like EINPROGRESS.
        guard rc == 0 || code == EINPROGRESS || code == EINTR else {
            connection.finishClose(errno: code)
            return connection
        }
        do {
            // Even an immediate success is reported through EPOLLOUT, so the caller holds the
            // connection before its handler hears `connectionOpened`.
            connection.interest = Epoll.writable
            connection.generation = try loop.register(fd: fd, .connection(connection), events: Epoll.writable)
        } catch {
            connection.finishClose(errno: error.errno)
        }
        return connection
    }

    func finishConnect() {
        let code = socketError()
        guard code == 0 else {
            finishClose(errno: code)
            return
        }
        state = .open
        updateInterest()
        handler.connectionOpened(self)
        guard state == .open else { return }
        if queuedBytes > 0 {
            flushQueued()
        } else if closeRequested {
            shutDownAndLinger()
        }
    }
}
