import CLinux
import Glibc
import Synchronization

/// A fixed set of event loops, one thread each (typically one per core).
public final class EventLoopGroup: Sendable {
    public let loops: [EventLoop]
    private let cursor = Atomic<Int>(0)
    private let threads = Mutex<[pthread_t]?>(nil)

    /// Creates `count` loops; `start()` runs them.
    public init(count: Int) {
        precondition(count > 0, "EventLoopGroup needs at least one loop, got \(count)")
        _ = Sys.ignoreSIGPIPE
        loops = (0..<count).map { EventLoop(index: $0) }
    }

    /// Starts one thread per loop. Calling it again does nothing.
    public func start() {
        threads.withLock { threads in
            guard threads == nil else { return }
            threads = loops.map { loop in
                LoopThread.spawn(name: "loop-\(loop.index)") { loop.run() }
            }
        }
    }

    /// Stops every loop (open connections are closed and their handlers told) and waits for
    /// the threads to end. Do not call from a loop thread.
    public func stop() {
        precondition(!loops.contains { $0.inEventLoop }, "EventLoopGroup.stop() called from one of its loops")
        let running = threads.withLock { threads -> [pthread_t] in
            let all = threads ?? []
            threads = []
            return all
        }
        guard !running.isEmpty else { return }
        for loop in loops {
            loop.execute { loop.running = false }
        }
        for thread in running { pthread_join(thread, nil) }
    }

    /// Round robin over the loops (for outbound work).
    public func next() -> EventLoop {
        let n = cursor.add(1, ordering: .relaxed).oldValue
        return loops[n % loops.count]
    }
}

/// A plain pthread: loops own their thread for life; nothing else may run on it.
enum LoopThread {
    private final class Box {
        let body: () -> Void
        let name: String
        init(_ name: String, _ body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    static func spawn(name: String, _ body: @escaping @Sendable () -> Void) -> pthread_t {
        let box = Unmanaged.passRetained(Box(name, body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            clinux_set_thread_name(box.name)
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create(\(name)) failed: \(SystemError.describe(rc))")
        return thread
    }
}
