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
public final class HTTPServerTelemetry: HTTPServerObserver {
    private let logger: Logger
    private let metrics: MetricsRegistry
    private let openConnections: Gauge
    private let logRequests: Bool
    private struct Series { let count: Counter; let duration: Histogram }
    private let series = Mutex<[String: Series]>([:])

    /// - Parameter logRequests: false turns the access log off (metrics stay).
    public init(logger: Logger, metrics: MetricsRegistry, logRequests: Bool = true) {
        self.logger = logger
        self.metrics = metrics
        self.logRequests = logRequests
        openConnections = metrics.gauge("http_open_connections", help: "Open HTTP connections.")
    }

    public func requestCompleted(_ request: HTTPRequest, response: HTTPResponse, route: String?, durationSeconds: Double) {
        let routeLabel = route ?? "unmatched"
        let key = "\(request.method.rawValue) \(response.status) \(routeLabel)"
        let s = series.withLock { cache -> Series in
            if let found = cache[key] { return found }
            let labels = ["method": request.method.rawValue, "route": routeLabel, "status": String(response.status)]
            let made = Series(
                count: metrics.counter("http_requests_total", help: "HTTP requests answered.", labels: labels),
                duration: metrics.histogram("http_request_duration_seconds", help: "Time to answer HTTP requests.",
                                            labels: labels))
            cache[key] = made
            return made
        }
        s.count.increment()
        s.duration.observe(durationSeconds)
        guard logRequests, logger.isEnabled(.info) else { return }
        logger.withRequestId(request.requestId).info("request", [
            "method": .string(request.method.rawValue),
            "path": .string(request.path),
            "route": .string(routeLabel),
            "status": .int(response.status),
            "durationMs": .double((durationSeconds * 1000 * 1000).rounded() / 1000),
            "bytes": .int(response.body.count),
            "peer": .string(request.peer.description),
        ])
    }

    public func requestRejected(_ error: HTTPParseError, peer: SocketAddress) {
        metrics.counter("http_requests_rejected_total", help: "Requests refused before routing.",
                        labels: ["status": String(error.status)]).increment()
        logger.warning("request rejected", ["status": .int(error.status), "reason": .string(error.reason),
                                            "peer": .string(peer.description)])
    }

    public func connectionsChanged(by delta: Int) { openConnections.increment(by: Double(delta)) }
}
