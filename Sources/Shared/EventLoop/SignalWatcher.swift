import CLinux
import Glibc
import Synchronization

/// Turns SIGTERM/SIGINT into a call on an ordinary thread, so shutdown work never runs in a
/// signal handler.
///
/// Why not signalfd: it only sees signals blocked in every thread, and threads started before
/// the mask was set (Dispatch, the concurrency pool, a logger) would still take SIGTERM's
/// default action and kill the process. Instead a C handler writes the signal number to a pipe
/// (async-signal-safe) and a dedicated watcher thread reads it; this works whenever it is
/// installed. A second termination signal kills the process the default way.
public enum SignalWatcher {
    private struct State {
        var handlers: [@Sendable (Int32) -> Void] = []
        var received: Int32?
        var watching = false
    }

    private static let state = Mutex(State())

    /// Calls `handler` once, on the watcher thread, at the first SIGTERM or SIGINT (at once if
    /// one already arrived). Also ignores SIGPIPE.
    public static func onTermination(_ handler: @escaping @Sendable (Int32) -> Void) {
        _ = Sys.ignoreSIGPIPE
        let (already, startWatcher) = state.withLock { s -> (Int32?, Bool) in
            if let r = s.received { return (r, false) }
            s.handlers.append(handler)
            let start = !s.watching
            s.watching = true
            return (nil, start)
        }
        if let already {
            handler(already)
            return
        }
        guard startWatcher else { return }
        let fd = clinux_termination_pipe()
        precondition(fd >= 0, "SignalWatcher: cannot create the signal pipe: \(SystemError.describe(Glibc.errno))")
        let watcher = LoopThread.spawn(name: "signals") {
            let signal = clinux_termination_pipe_read(fd)
            guard signal > 0 else { return }
            let handlers = state.withLock { s -> [@Sendable (Int32) -> Void] in
                s.received = signal
                let all = s.handlers
                s.handlers = []
                return all
            }
            for h in handlers { h(signal) }
        }
        pthread_detach(watcher)
    }
}
