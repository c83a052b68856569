import Glibc

/// Children inherit the spawning thread's signal mask, and Dispatch's worker threads (where
/// tests run) block nearly every signal: a server started from there would ignore SIGTERM.
/// Spawning with an empty mask for the duration of `Process.run()` gives children the mask a
/// shell would. The calling thread's own mask is restored at once.
enum SignalMask {
    static func withEmptyMask<T>(_ body: () throws -> T) rethrows -> T {
        var empty = sigset_t(), previous = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return try body()
    }
}
