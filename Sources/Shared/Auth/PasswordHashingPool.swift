import Dispatch
import Foundation
import Synchronization

/// A small pool of threads that runs password hashing, with a bounded queue.
///
/// Each hash costs ~0.1-0.3 s of CPU, so logins get their own 1-2 threads and can never take
/// the CPU from other requests; when the queue is full callers get `busy` at once (answer
/// 503 with Retry-After) instead of piling up. Callers block until their job is done, which
/// suits the blocking HTTP worker threads that call it.
public final class PasswordHashingPool: Sendable {
    public let hasher: PasswordHasher
    public let queueLimit: Int
    public let threads: Int
    private let state: Mutex<State>
    private let jobsAvailable = DispatchSemaphore(value: 0)

    private struct State {
        var queue: [@Sendable () -> Void] = []
        var head = 0
        var running = 0
        var stopped = false
        var pending: Int { queue.count - head }
    }

    /// Starts `threads` threads.
    /// - Parameters:
    ///   - threads: 1 or 2 is right on a small machine.
    ///   - queueLimit: jobs that may wait beyond those running; more are refused as busy.
    public init(hasher: PasswordHasher = PasswordHasher(), threads: Int = 1, queueLimit: Int = 16) {
        precondition(threads >= 1 && queueLimit >= 0, "PasswordHashingPool needs a thread and a non-negative queue")
        self.hasher = hasher
        self.queueLimit = queueLimit
        self.threads = threads
        self.state = Mutex(State())
        for index in 0..<threads {
            let thread = Thread { [self] in self.work() }
            thread.name = "password-hashing-\(index)"
            thread.start()
        }
    }

    /// Hashes on the pool, blocking the caller until done.
    /// - Throws: `PasswordHashingPoolError.busy` when the queue is full or the pool stopped.
    public func hash(_ password: String) throws(PasswordHashingPoolError) -> String {
        let hasher = self.hasher
        return try run { hasher.hash(password) }
    }

    /// Verifies on the pool, blocking the caller until done; `needsRehash` tells whether to
    /// store a new hash after a success.
    /// - Throws: `PasswordHashingPoolError.busy`, or `.malformedHash` for a corrupt stored hash.
    public func verify(_ password: String, against stored: String) throws(PasswordHashingPoolError) -> Bool {
        let hasher = self.hasher
        let result: Result<Bool, PasswordHashError> = try run {
            do throws(PasswordHashError) { return .success(try hasher.verify(password, against: stored)) }
            catch { return .failure(error) }
        }
        switch result {
        case .success(let matches): return matches
        case .failure(let error): throw .malformedHash(error)
        }
    }

    /// Spends one verification's time on the pool (unknown user), blocking the caller.
    public func simulateVerify(_ password: String) throws(PasswordHashingPoolError) {
        let hasher = self.hasher
        try run { hasher.simulateVerify(password) }
    }

    /// Runs `work` on a pool thread and waits for its result.
    /// - Throws: `PasswordHashingPoolError.busy` when `queueLimit` jobs already wait.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) throws(PasswordHashingPoolError) -> T {
        let box = ResultBox<T>()
        let accepted = state.withLock { state -> Bool in
            // Running plus waiting jobs: at most one per thread plus the queue.
            guard !state.stopped, state.pending + state.running < threads + queueLimit else { return false }
            state.queue.append { box.set(work()) }
            return true
        }
        guard accepted else { throw .busy }
        jobsAvailable.signal()
        return box.wait()
    }

    /// Jobs waiting for a thread (a gauge for metrics).
    public var queueDepth: Int { state.withLock { $0.pending } }

    /// Lets queued jobs finish, then stops the threads; later calls are refused as busy.
    public func shutdown() {
        state.withLock { $0.stopped = true }
        for _ in 0..<threads { jobsAvailable.signal() }
    }

    private func work() {
        while true {
            jobsAvailable.wait()
            let job = state.withLock { state -> (@Sendable () -> Void)? in
                guard state.head < state.queue.count else { return nil }  // a shutdown wake-up
                let job = state.queue[state.head]
                state.head += 1
                if state.head == state.queue.count { state.queue.removeAll(keepingCapacity: true); state.head = 0 }
                state.running += 1
                return job
            }
            guard let job else {
                if state.withLock({ $0.stopped }) { return }
                continue
            }
            job()
            state.withLock { $0.running -= 1 }
        }
    }
}

/// Why the pool did not run a job.
public enum PasswordHashingPoolError: Error, Sendable {
    /// The queue is full (or the pool is shut down): answer 503 with Retry-After.
    case busy
    /// The stored hash is corrupt.
    case malformedHash(PasswordHashError)
}

/// Hands one result from a pool thread to the waiting caller.
private final class ResultBox<T: Sendable>: Sendable {
    private let value = Mutex<T?>(nil)
    private let ready = DispatchSemaphore(value: 0)
    func set(_ result: T) { value.withLock { $0 = result }; ready.signal() }
    func wait() -> T {
        ready.wait()
        return value.withLock { $0! }
    }
}
