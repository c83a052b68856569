import Dispatch
import Foundation
import Synchronization

/// A fixed set of threads for work that blocks (database calls, password hashing), fed by a
/// bounded queue: when the queue is full `submit` refuses, and the caller answers 503 instead of
/// letting latency grow without bound.
public final class WorkerPool: Sendable {
    private struct State {
        var queue: [@Sendable () -> Void] = []
        var head = 0
        var busy = 0
        var stopping = false
        var pending: Int { queue.count - head }
    }

    public let threadCount: Int
    public let queueLimit: Int
    private let state = Mutex(State())
    /// Counts queued items (plus one wake-up per thread at shutdown).
    private let available = DispatchSemaphore(value: 0)
    private let exited = DispatchGroup()

    /// Starts `threads` threads named `name-N`.
    public init(threads: Int, queueLimit: Int, name: String = "worker") {
        precondition(threads > 0 && queueLimit > 0, "WorkerPool needs at least one thread and one queue slot")
        threadCount = threads
        self.queueLimit = queueLimit
        for i in 0..<threads {
            exited.enter()
            let thread = Thread { [self] in self.run() }
            thread.name = "\(name)-\(i)"
            thread.start()
        }
    }

    /// Queues `work`; false when the queue is full or the pool is shutting down.
    public func submit(_ work: @escaping @Sendable () -> Void) -> Bool {
        let accepted = state.withLock { s -> Bool in
            guard !s.stopping, s.pending < queueLimit else { return false }
            s.queue.append(work)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    /// Work waiting for a thread.
    public var queuedCount: Int { state.withLock { $0.pending } }
    /// Threads running work now.
    public var busyCount: Int { state.withLock { $0.busy } }

    /// Refuses new work, lets queued work finish, and waits for the threads to end.
    public func shutdown() {
        let first = state.withLock { s -> Bool in
            defer { s.stopping = true }
            return !s.stopping
        }
        guard first else { exited.wait(); return }
        for _ in 0..<threadCount { available.signal() }
        exited.wait()
    }

    private func run() {
        while true {
            available.wait()
            let work = state.withLock { s -> (@Sendable () -> Void)? in
                guard s.pending > 0 else { return nil }
                let item = s.queue[s.head]
                s.head += 1
                if s.head == s.queue.count {
                    s.queue.removeAll(keepingCapacity: true)
                    s.head = 0
                } else if s.head >= 1024 {
                    s.queue.removeSubrange(0..<s.head)
                    s.head = 0
                }
                s.busy += 1
                return item
            }
            guard let work else {
                // Only shutdown wakes a thread with nothing queued.
                if state.withLock({ $0.stopping && $0.pending == 0 }) { break }
                continue
            }
            work()
            state.withLock { $0.busy -= 1 }
        }
        exited.leave()
    }
}
