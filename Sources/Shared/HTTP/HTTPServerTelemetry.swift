import Synchronization

/// The standard `HTTPServerObserver`: one JSON access-log line per request and Prometheus
/// metrics by route template and status.
///
/// Metrics: `http_requests_total{method,route,status}`,
/// `http_request_duration_seconds{method,route,status}` (histogram),
/// `http_requests_rejected_total{status}` (malformed or oversized, answered before routing),
/// `http_open_connections` (gauge). Unmatched paths are labelled `route="unmatched"`, so a
/// scan of random URLs cannot create unbounded series. Logs carry the path without its query,
/// so tokens passed as `?token=` never reach a log.
///
/// Per request this takes no lock shared between loops except the log sink's short append:
/// metric series are cached per loop, and the access line is encoded straight into the sink.
public final class HTTPServerTelemetry: HTTPServerObserver {
    private let logger: Logger
    private let metrics: MetricsRegistry
    private let openConnections: Gauge
    private let logRequests: Bool
    private let accessLine: HTTPAccessLogLine
    /// One series cache per loop index (loop-confined, no lock); loops past the end share `shared`.
    private let perLoop: [HTTPSeriesCache]
    private let shared = Mutex(HTTPSeriesCache())
    private static let loopSlots = 64

    /// - Parameter logRequests: false turns the access log off (metrics stay).
    public init(logger: Logger, metrics: MetricsRegistry, logRequests: Bool = true) {
        self.logger = logger
        self.metrics = metrics
        self.logRequests = logRequests
        accessLine = HTTPAccessLogLine(logger: logger)
        perLoop = (0..<Self.loopSlots).map { _ in HTTPSeriesCache() }
        openConnections = metrics.gauge("http_open_connections", help: "Open HTTP connections.")
    }

    /// From any thread: series through the shared, locked cache.
    public func requestCompleted(_ request: HTTPRequest, response: HTTPResponse, route: String?, durationSeconds: Double) {
        let series = shared.withLock { $0.series(method: request.method, status: response.status, route: route,
                                                 metrics: metrics) }
        record(request, response: response, route: route, durationSeconds: durationSeconds, series: series)
    }

    /// On loop `loop`'s thread (how the server calls it): series from that loop's own cache.
    public func requestCompleted(_ request: HTTPRequest, response: HTTPResponse, route: String?,
                                 durationSeconds: Double, loop: Int) {
        guard loop >= 0 && loop < perLoop.count else {
            requestCompleted(request, response: response, route: route, durationSeconds: durationSeconds)
            return
        }
        let series = perLoop[loop].series(method: request.method, status: response.status, route: route,
                                          metrics: metrics)
        record(request, response: response, route: route, durationSeconds: durationSeconds, series: series)
    }

    private func record(_ request: HTTPRequest, response: HTTPResponse, route: String?, durationSeconds: Double,
                        series: HTTPSeriesCache.Series) {
        series.count.increment()
        series.duration.observe(durationSeconds)
        guard logRequests, logger.isEnabled(.info) else { return }
        let durationMs = (durationSeconds * 1000 * 1000).rounded() / 1000
        logger.sink.enqueue { out, clock in
            accessLine.append(to: &out, clock: &clock, requestId: request.requestId, method: request.method,
                              path: request.path, route: route ?? "unmatched", status: response.status,
                              durationMs: durationMs, bytes: response.body.count, peer: request.peer)
        }
    }

    public func requestRejected(_ error: HTTPParseError, peer: SocketAddress) {
        metrics.counter("http_requests_rejected_total", help: "Requests refused before routing.",
                        labels: ["status": String(error.status)]).increment()
        logger.warning("request rejected", ["status": .int(error.status), "reason": .string(error.reason),
                                            "peer": .string(peer.description)])
    }

    public func connectionsChanged(by delta: Int) { openConnections.increment(by: Double(delta)) }
}

/// Metric series by (method, status, route template), with the last one used kept aside:
/// a loop mostly answers the same route again.
///
/// Safety of `@unchecked Sendable`: the telemetry keeps one per loop index and uses it only
/// from that loop's thread (`requestCompleted(…, loop:)`), or inside its `Mutex`.
final class HTTPSeriesCache: @unchecked Sendable {
    struct Series { let count: Counter; let duration: Histogram }
    private struct Key: Hashable { let method: HTTPMethod; let status: Int; let route: String? }

    private var last: (key: Key, series: Series)?
    private var all: [Key: Series] = [:]

    func series(method: HTTPMethod, status: Int, route: String?, metrics: MetricsRegistry) -> Series {
        // Route templates come from the router, so equal ones usually share storage: cheap to compare.
        if let last, last.key.status == status, last.key.method == method, last.key.route == route {
            return last.series
        }
        let key = Key(method: method, status: status, route: route)
        let found: Series
        if let cached = all[key] {
            found = cached
        } else {
            // The registry hands out one object per label set, so every loop shares the series.
            let labels = ["method": method.rawValue, "route": route ?? "unmatched", "status": String(status)]
            found = Series(
                count: metrics.counter("http_requests_total", help: "HTTP requests answered.", labels: labels),
                duration: metrics.histogram("http_request_duration_seconds", help: "Time to answer HTTP requests.",
                                            labels: labels))
            all[key] = found
        }
        last = (key, found)
        return found
    }
}
