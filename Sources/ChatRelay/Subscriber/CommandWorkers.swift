import Foundation
import Synchronization

/// A few threads running blocking Redis commands for the loops, each thread with its own
/// store (one blocking connection per thread, never shared), fed by a bounded queue.
///
/// A full queue refuses work: the caller treats it as a failed read (retried, or the client
/// is told), so a Redis stall never grows memory without bound.
final class CommandWorkers: Sendable {
    typealias Job = @Sendable (RelayStore) -> Void

    private struct State {
        var queue: [Job] = []
        var head = 0
        var stopping = false
        var pending: Int { queue.count - head }
    }

    let queueLimit: Int
    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let exited = DispatchGroup()
    private let threadCount: Int

    /// - Parameter makeStore: called once on each worker thread for that thread's store.
    init(threads: Int, queueLimit: Int, makeStore: @escaping @Sendable (Int) -> RelayStore) {
        precondition(threads > 0 && queueLimit > 0, "CommandWorkers needs a thread and a queue slot")
        self.queueLimit = queueLimit
        self.threadCount = threads
        for index in 0..<threads {
            exited.enter()
            let thread = Thread { [self] in
                let store = makeStore(index)
                while let job = self.take() { job(store) }
                self.exited.leave()
            }
            thread.name = "relay-redis-\(index)"
            thread.start()
        }
    }

    /// Queues `job`; false when the queue is full or shutting down.
    func submit(_ job: @escaping Job) -> Bool {
        let accepted = state.withLock { s -> Bool in
            guard !s.stopping, s.pending < queueLimit else { return false }
            s.queue.append(job)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    var queuedCount: Int { state.withLock { $0.pending } }

    /// Lets queued jobs finish, then ends the threads.
    func shutdown() {
        let first = state.withLock { s -> Bool in
            defer { s.stopping = true }
            return !s.stopping
        }
        if first { for _ in 0..<threadCount { available.signal() } }
        exited.wait()
    }

    private func take() -> Job? {
        while true {
            available.wait()
            let next: Job?? = state.withLock { s in
                if s.pending > 0 {
                    let job = s.queue[s.head]
                    s.head += 1
                    if s.head > 1024 && s.head * 2 > s.queue.count {
                        s.queue.removeFirst(s.head)
                        s.head = 0
                    }
                    return .some(job)
                }
                return s.stopping ? .some(nil) : nil
            }
            if let next { return next }
        }
    }
}
