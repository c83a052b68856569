import CLinux
import Glibc
import Synchronization

private let connectionIDs = Atomic<UInt64>(0)

/// A TCP socket owned by one event loop. Loop-confined: use it only on `loop`'s thread.
///
/// Kept small on purpose (an idle connection costs this object and its handler): no read
/// buffer (reads go into the loop's), an empty write queue, no timer.
public final class Connection {
    enum State: UInt8 { case connecting, open, lingering, closed }

    public let loop: EventLoop
    public let peer: SocketAddress
    /// Unique within the process.
    public let id: UInt64
    /// Replace to switch protocols (HTTP → WebSocket); takes effect from the next event.
    public var handler: ConnectionHandler
    /// Whether the handler wants `connectionWritable` after each flush that empties the queue.
    /// A handler that never uses it turns it off, so a flush does not reach for the handler
    /// (a cache miss per connection per turn on a busy fan-out).
    public var notifiesWritable = true

    let fd: Int32
    var generation: UInt32 = 0
    var state: State
    var interest: UInt32 = 0
    var readingPaused = false
    var closeRequested = false
    var inputClosed = false
    var inFlushList = false
    var waitingForWritable = false
    var closedDelivered = false
    /// Write queue: arrays by reference; `queueHead` is the first unsent element.
    var queue: [[UInt8]] = []
    var queueHead = 0
    var headOffset = 0
    public internal(set) var queuedBytes = 0
    /// The errno that closed the connection (0 for an orderly close).
    public internal(set) var closeErrno: Int32 = 0
    let server: TCPServer?
    var lingerTimer: TimerHandle?

    init(fd: Int32, peer: SocketAddress, loop: EventLoop, server: TCPServer?,
         handler: ConnectionHandler, state: State) {
        self.fd = fd
        self.peer = peer
        self.loop = loop
        self.server = server
        self.handler = handler
        self.state = state
        self.id = connectionIDs.add(1, ordering: .relaxed).newValue
    }

    /// Open and neither closing nor closed; writes are accepted.
    public var isOpen: Bool { (state == .open || state == .connecting) && !closeRequested }

    /// A human-readable reason when the connection closed on an error.
    public var closeReason: String? { closeErrno == 0 ? nil : SystemError.describe(closeErrno) }

    /// Queues `bytes` by reference; flushed with `writev` once at the end of this loop turn.
    /// Ignored once the connection is closing or closed.
    public func write(_ bytes: SharedBytes) { write(bytes.bytes) }

    public func write(_ bytes: [UInt8]) {
        assert(loop.inEventLoop, "Connection.write off its loop")
        guard isOpen, !bytes.isEmpty else { return }
        queue.append(bytes)
        queuedBytes += bytes.count
        scheduleFlush()
    }

    /// Drops the queued buffers the kernel has not started on; one partly written stays, so
    /// the peer never gets half a message. For callers whose every `write` is one whole
    /// message (WebSocket frames): a reader too far behind can still be told why it goes.
    public func discardUnsent() {
        assert(loop.inEventLoop, "Connection.discardUnsent off its loop")
        let firstDropped = queueHead + (headOffset > 0 ? 1 : 0)
        guard firstDropped < queue.count else { return }
        queuedBytes -= queue[firstDropped...].reduce(0) { $0 + $1.count }
        queue.removeSubrange(firstDropped...)
    }

    /// Closes now, dropping anything queued. Idempotent; `connectionClosed` follows once.
    public func close() {
        assert(loop.inEventLoop, "Connection.close off its loop")
        guard state != .closed else { return }
        finishClose()
    }

    /// Stops reading and closes once everything queued has been written.
    public func closeAfterFlush() {
        assert(loop.inEventLoop, "Connection.closeAfterFlush off its loop")
        guard isOpen else { return }
        closeRequested = true
        readingPaused = true
        if queuedBytes == 0 && state == .open {
            shutDownAndLinger()
        } else {
            updateInterest()
        }
    }

    /// Stops polling for input (back-pressure); already-read bytes are not replayed.
    public func pauseReading() {
        guard !readingPaused else { return }
        readingPaused = true
        updateInterest()
    }

    public func resumeReading() {
        guard readingPaused, !closeRequested else { return }
        readingPaused = false
        updateInterest()
    }

    // MARK: Internals

    func scheduleFlush() {
        guard state == .open, !inFlushList, !waitingForWritable else { return }
        inFlushList = true
        loop.pendingFlush.append(self)
    }

    /// Desired epoll events for the current state; applied only when they change.
    func updateInterest() {
        guard state != .closed else { return }
        var events: UInt32 = 0
        switch state {
        case .connecting: events = Epoll.writable
        case .lingering: events = Epoll.readable
        case .open:
            if !readingPaused && !inputClosed { events |= Epoll.readable }
            if waitingForWritable { events |= Epoll.writable }
        case .closed: return
        }
        guard events != interest else { return }
        interest = events
        loop.modify(fd: fd, generation: generation, events: events)
    }

    /// After the final flush of `closeAfterFlush`: send FIN, then keep reading (and discarding)
    /// briefly so unread input does not make the kernel answer with a reset that could destroy
    /// the reply in flight (nginx's lingering close).
    func shutDownAndLinger() {
        if inputClosed {
            finishClose()
            return
        }
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
        state = .lingering
        updateInterest()
        lingerTimer = loop.schedule(after: Connection.lingerSeconds) { [unowned self] in
            self.lingerTimer = nil
            self.close()
        }
    }

    static let lingerSeconds = 2.0

    func finishClose(errno code: Int32 = 0) {
        if closeErrno == 0 { closeErrno = code }
        state = .closed
        lingerTimer?.cancel()
        lingerTimer = nil
        loop.unregister(fd: fd, generation: generation)
        Glibc.close(fd)
        queue = []
        queueHead = 0
        headOffset = 0
        queuedBytes = 0
        server?.connectionDidClose()
        loop.pendingClosed.append(self)
    }

    func deliverClosed() {
        guard !closedDelivered else { return }
        closedDelivered = true
        let h = handler
        handler = DetachedHandler.shared
        h.connectionClosed(self)
    }
}
