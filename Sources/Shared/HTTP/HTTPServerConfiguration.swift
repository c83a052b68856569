/// Limits and timeouts of an `HTTPServer`; the defaults are the project's.
public struct HTTPServerConfiguration: Sendable {
    /// Parser limits: header block 16 KiB, target 8 KiB, 100 headers, body 1 MiB.
    public var limits = HTTPParserLimits()
    /// Seconds a client has to send a request head once it started one (or connected).
    public var headerTimeout: Double = 10
    /// Seconds an idle keep-alive connection is kept; above nginx's upstream keep-alive timeout.
    public var idleTimeout: Double = 75
    /// Seconds a body may stall between two reads.
    public var bodyTimeout: Double = 10
    /// Pipelined bytes buffered while a request is being answered before reading pauses.
    public var maxPipelinedBytes = 64 * 1024
    /// Answer bytes queued to a client that is not reading before its requests wait.
    public var maxQueuedResponseBytes = 1024 * 1024
    /// `Retry-After` seconds of the 503 answered when the worker pool is full.
    public var busyRetryAfter = 1

    public init() {}

    /// The body cap (`CHAT_HTTP_MAX_BODY`).
    public var maxBodyBytes: Int {
        get { limits.maxBodyBytes }
        set { limits.maxBodyBytes = newValue }
    }
}

/// What the server reports for access logs and metrics. The service wires it to its Logger and
/// MetricsRegistry; the server itself knows neither. Called on event-loop threads: keep it cheap.
public protocol HTTPServerObserver: Sendable {
    /// A request was answered; `route` is its template (nil for unmatched paths). A deferred
    /// request (`HTTPResponder`) whose client left before its answer is reported with status 499.
    func requestCompleted(_ request: HTTPRequest, response: HTTPResponse, route: String?, durationSeconds: Double)
    /// The same, called by the server on the thread of loop `loop` (its `EventLoop.index`), so
    /// an observer can keep per-loop state without locks. Defaults to the method above.
    func requestCompleted(_ request: HTTPRequest, response: HTTPResponse, route: String?, durationSeconds: Double,
                          loop: Int)
    /// A request was refused before routing (malformed, too large): answered `error.status` and closed.
    func requestRejected(_ error: HTTPParseError, peer: SocketAddress)
    /// The connection count changed (opened: +1, closed: -1).
    func connectionsChanged(by delta: Int)
}

extension HTTPServerObserver {
    public func requestCompleted(_ request: HTTPRequest, response: HTTPResponse, route: String?,
                                 durationSeconds: Double, loop: Int) {
        requestCompleted(request, response: response, route: route, durationSeconds: durationSeconds)
    }
    public func requestRejected(_ error: HTTPParseError, peer: SocketAddress) {}
    public func connectionsChanged(by delta: Int) {}
}
