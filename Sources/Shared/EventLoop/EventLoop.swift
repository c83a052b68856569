import CLinux
import Glibc
import Synchronization

/// One thread, one epoll instance, one timer wheel, one read buffer.
///
/// Safety of `@unchecked Sendable`: the cross-thread surface is `index`, the file descriptors
/// (`let`), the `inbox` Mutex and the `threadID` Atomic. Everything else (registry, wheel,
/// buffers, flush and close lists) is touched only by the loop's own thread: `execute` is the
/// only way in from elsewhere, and loop-only entry points assert `inEventLoop`.
public final class EventLoop: @unchecked Sendable {
    public let index: Int
    let epollFD: Int32
    let wakeFD: Int32
    private let inbox = Mutex<[@Sendable () -> Void]>([])
    private let threadID = Atomic<UInt>(0)

    // MARK: Loop-confined state
    var registry: [RegistryEntry] = []
    var nextGenerationValue: UInt32 = 1
    private var wheel: TimerWheel
    private var dueTimers: [TimerID] = []
    private var cachedNow: UInt64
    var running = true
    /// Connections with writes queued this turn, flushed once at the end of the turn.
    var pendingFlush: [Connection] = []
    /// Closed connections whose handlers still have to hear `connectionClosed`.
    var pendingClosed: [Connection] = []
    /// The single read buffer all of this loop's connections read into.
    let readBuffer: UnsafeMutableRawBufferPointer
    /// Scratch iovec array for `writev`, `maxIOVecs` long.
    let iovecs: UnsafeMutablePointer<iovec>
    static let maxIOVecs = 64
    static let readBufferSize = 64 * 1024
    private static let maxEvents: Int32 = 256
    private let eventMasks: UnsafeMutablePointer<UInt32>
    private let eventData: UnsafeMutablePointer<UInt64>

    init(index: Int) {
        self.index = index
        let ep = epoll_create1(Int32(EPOLL_CLOEXEC))
        let wake = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard ep >= 0, wake >= 0 else {
            fatalError("event loop \(index): epoll_create1/eventfd failed: \(SystemError.describe(Glibc.errno))")
        }
        epollFD = ep
        wakeFD = wake
        cachedNow = Sys.monotonicMilliseconds()
        wheel = TimerWheel(now: cachedNow)
        readBuffer = .allocate(byteCount: EventLoop.readBufferSize, alignment: 16)
        iovecs = .allocate(capacity: EventLoop.maxIOVecs)
        eventMasks = .allocate(capacity: Int(EventLoop.maxEvents))
        eventData = .allocate(capacity: Int(EventLoop.maxEvents))
        // The wake-up fd is tagged with generation 0, which no registration ever gets.
        if clinux_epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, Epoll.readable, UInt64(UInt32(wakeFD))) != 0 {
            fatalError("event loop \(index): epoll_ctl(eventfd) failed: \(SystemError.describe(Glibc.errno))")
        }
    }

    deinit {
        Glibc.close(epollFD)
        Glibc.close(wakeFD)
        readBuffer.deallocate()
        iovecs.deallocate()
        eventMasks.deallocate()
        eventData.deallocate()
    }

    /// True on this loop's thread.
    public var inEventLoop: Bool {
        let id = threadID.load(ordering: .acquiring)
        return id != 0 && pthread_equal(id, pthread_self()) != 0
    }

    /// Runs `work` on the loop thread, from any thread, in submission order.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        let wasEmpty = inbox.withLock { queue in
            queue.append(work)
            return queue.count == 1
        }
        // Only the first task of a batch writes the eventfd: one syscall per wake-up, not per task.
        if wasEmpty { wake() }
    }

    /// Monotonic milliseconds, cached once per loop turn on the loop thread.
    public func now() -> UInt64 {
        inEventLoop ? cachedNow : Sys.monotonicMilliseconds()
    }

    /// Schedules `work` on this loop's timer wheel (10 ms ticks; never fires early). Loop thread only.
    @discardableResult
    public func schedule(after seconds: Double, _ work: @escaping () -> Void) -> TimerHandle {
        assert(inEventLoop, "EventLoop.schedule must be called on the loop's thread")
        let delay = seconds.isFinite && seconds > 0 ? UInt64(min(seconds, 1e9) * 1000) : 0
        return TimerHandle(loop: self, id: wheel.schedule(at: cachedNow &+ delay, work))
    }

    /// Timers currently scheduled on this loop (for tests and metrics). Loop thread only.
    public var scheduledTimers: Int { wheel.count }

    func cancelTimer(_ id: TimerID) {
        wheel.cancel(id)
    }

    private func wake() {
        var one: UInt64 = 1
        // Cannot block: the counter would need 2^64-1 unread wake-ups.
        _ = Glibc.write(wakeFD, &one, 8)
    }

    // MARK: Running

    func run() {
        threadID.store(pthread_self(), ordering: .releasing)
        cachedNow = Sys.monotonicMilliseconds()
        while running {
            let timeout: Int32 = pendingFlush.isEmpty ? wheel.timeout(now: cachedNow) : 0
            let n = clinux_epoll_wait(epollFD, eventMasks, eventData, EventLoop.maxEvents, timeout)
            if n < 0 {
                let code = Glibc.errno
                if code == EINTR { continue }
                fatalError("event loop \(index): epoll_wait failed: \(SystemError.describe(code))")
            }
            cachedNow = Sys.monotonicMilliseconds()
            var woken = false
            for i in 0..<Int(n) {
                let data = eventData[i]
                let fd = Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: data))
                let generation = UInt32(truncatingIfNeeded: data >> 32)
                if generation == 0 && fd == wakeFD {
                    woken = true
                    continue
                }
                dispatch(fd: fd, generation: generation, events: eventMasks[i])
                deliverClosed()
            }
            runTimers()
            if woken { runInbox() }
            flushPending()
        }
        shutDown()
    }

    private func runTimers() {
        wheel.collectDue(now: cachedNow, into: &dueTimers)
        guard !dueTimers.isEmpty else { return }
        let due = dueTimers
        for id in due {
            if let work = wheel.take(id) {
                work()
                deliverClosed()
            }
        }
    }

    private func runInbox() {
        var counter: UInt64 = 0
        _ = Glibc.read(wakeFD, &counter, 8)
        let batch = inbox.withLock { queue in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        for work in batch {
            work()
            deliverClosed()
        }
    }

    /// One `writev` pass per connection that queued writes during this turn.
    private func flushPending() {
        guard !pendingFlush.isEmpty else { return }
        var batch: [Connection] = []
        swap(&batch, &pendingFlush)
        for connection in batch {
            connection.flushQueued()
        }
        deliverClosed()
        // Keep the array's storage for the next turn.
        batch.removeAll(keepingCapacity: true)
        if pendingFlush.isEmpty { swap(&batch, &pendingFlush) }
    }

    /// Tells handlers of connections closed since the last call; each hears it exactly once.
    func deliverClosed() {
        while !pendingClosed.isEmpty {
            let batch = pendingClosed
            pendingClosed.removeAll(keepingCapacity: true)
            for connection in batch { connection.deliverClosed() }
        }
    }

    private func shutDown() {
        for entry in registry {
            switch entry.registrant {
            case .connection(let c): c.close()
            case .listener(let l): l.close()
            case nil: break
            }
        }
        deliverClosed()
        pendingFlush.removeAll()
        inbox.withLock { $0.removeAll() }
    }
}
