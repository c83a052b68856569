import Synchronization

/// The answer to one request, given later from any thread: a long-poll held until there is
/// something to say, without a thread waiting for it.
///
/// A handler returns `HTTPResponse.deferred(responder)` at once, so its thread (loop or
/// worker) is free, and keeps the responder where the answer will come from. The server then
/// holds the request: pipelined requests behind it wait, answers stay in order. It ends in
/// exactly one of three ways:
/// - `complete(_:)` (first call wins; the server writes it on the connection's loop);
/// - the client goes away (closed, or shut its sending side): the responder is cancelled;
/// - `timeout` passes: the server answers 503 problem+json and cancels the responder.
/// After a cancel, `complete` is a harmless no-op returning false; `onCancel` tells the owner,
/// so it can stop pointing at a dead request.
public final class HTTPResponder: Sendable {
    /// Seconds the server holds the request, counted from when the handler returned.
    public let timeout: Double

    private enum Phase {
        /// Not yet held by the server; an early answer waits here.
        case waiting(early: HTTPResponse?)
        /// Held by a connection: `deliver` takes the answer to its loop.
        case held(deliver: @Sendable (HTTPResponse) -> Void)
        case completed
        case cancelled
    }

    private struct State {
        var phase = Phase.waiting(early: nil)
        var cancelHandlers: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    /// - Parameter timeout: seconds before the server gives up and answers 503; at least 0.
    public init(timeout: Double) {
        self.timeout = max(0, timeout)
    }

    /// Answers the request; from any thread, at most once (later calls are ignored).
    /// - Returns: false when the request was already answered or is cancelled.
    @discardableResult
    public func complete(_ response: HTTPResponse) -> Bool {
        var response = response
        response.responder = nil  // an answer cannot defer again
        let deliver = state.withLock { s -> (@Sendable (HTTPResponse) -> Void)?? in
            switch s.phase {
            case .waiting(early: nil):
                s.phase = .waiting(early: response)
                s.cancelHandlers = []
                return .some(nil)
            case .held(let deliver):
                s.phase = .completed
                s.cancelHandlers = []
                return .some(deliver)
            case .waiting, .completed, .cancelled:
                return nil
            }
        }
        guard let deliver else { return false }
        deliver?(response)
        return true
    }

    /// True once the client went away or the server gave up; `complete` then does nothing.
    public var isCancelled: Bool {
        state.withLock { s in
            if case .cancelled = s.phase { return true }
            return false
        }
    }

    /// Runs `handler` once if the request is cancelled (at once when it already is). It runs on
    /// the thread that cancels, usually the connection's loop: keep it short, hop elsewhere for
    /// more. Never runs once the request is answered.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            switch s.phase {
            case .cancelled: return true
            case .completed, .waiting(early: .some): return false
            case .held, .waiting(early: nil):
                s.cancelHandlers.append(handler)
                return false
            }
        }
        if runNow { handler() }
    }

    // MARK: The server's side

    /// What `hold` found.
    enum Hold {
        /// Answered before the server held it: write this now.
        case answered(HTTPResponse)
        /// Held: the answer comes through `deliver`.
        case held
        /// Already held by some request (a handler returned one responder twice).
        case reused
    }

    /// The server holds the request; `deliver` (called on the completing thread) must hop to
    /// the connection's loop.
    func hold(deliver: @escaping @Sendable (HTTPResponse) -> Void) -> Hold {
        state.withLock { s -> Hold in
            switch s.phase {
            case .waiting(early: .some(let response)):
                s.phase = .completed
                return .answered(response)
            case .waiting(early: nil):
                s.phase = .held(deliver: deliver)
                return .held
            case .held, .completed, .cancelled:
                return .reused
            }
        }
    }

    /// The client went away or the bound passed: later answers are dropped, the owner is told.
    /// - Returns: false when it was already answered or cancelled.
    @discardableResult
    func cancel() -> Bool {
        let handlers = state.withLock { s -> [@Sendable () -> Void]? in
            switch s.phase {
            case .completed, .cancelled: return nil
            case .waiting, .held:
                s.phase = .cancelled
                defer { s.cancelHandlers = [] }
                return s.cancelHandlers
            }
        }
        guard let handlers else { return false }
        for handler in handlers { handler() }
        return true
    }
}

extension HTTPResponse {
    /// A placeholder telling the server to wait for `responder`'s answer. Middleware sees this
    /// placeholder; headers set on it (such as `X-Request-Id`) are added to the final answer
    /// unless that sets them itself.
    public static func deferred(_ responder: HTTPResponder) -> HTTPResponse {
        var response = HTTPResponse(status: 200)
        response.responder = responder
        return response
    }

    /// The final answer to a deferred request: `answer` with the placeholder's headers it lacks.
    func completingDeferred(with answer: HTTPResponse) -> HTTPResponse {
        var answer = answer
        answer.responder = nil
        let own = answer.headers
        for (name, value) in headers where !own.contains(name) { answer.headers.add(name, value) }
        return answer
    }
}
