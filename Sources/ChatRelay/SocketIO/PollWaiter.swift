import Dispatch
import Synchronization

/// Hands one answer from a loop to the HTTP worker thread that waits for it: the long-polling
/// GET (held until packets wait), the POST and the handshake.
///
/// The HTTP server answers a request only when its handler returns, so a held poll keeps its
/// worker thread; the session answers it at the latest with its next ping (25 s).
final class PollWaiter: Sendable {
    private enum State { case waiting, answered(String?), abandoned }
    private let state = Mutex(State.waiting)
    private let signal = DispatchSemaphore(value: 0)

    /// From the loop. False when the worker already gave up (the answer is not taken).
    @discardableResult
    func answer(_ text: String?) -> Bool {
        let taken = state.withLock { state -> Bool in
            guard case .waiting = state else { return false }
            state = .answered(text)
            return true
        }
        if taken { signal.signal() }
        return taken
    }

    enum Outcome: Equatable { case answered(String?), timedOut }

    /// On the worker: the answer (nil = unknown session), or `.timedOut` after `seconds`.
    func wait(seconds: Double) -> Outcome {
        _ = signal.wait(timeout: .now() + seconds)
        return state.withLock { state -> Outcome in
            switch state {
            case .answered(let text): return .answered(text)
            case .waiting, .abandoned:
                state = .abandoned
                return .timedOut
            }
        }
    }
}
