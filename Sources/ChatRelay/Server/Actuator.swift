import Shared

/// `/actuator/*` of the relay: health (DOWN, 503, while Redis is unreachable), info, and the
/// Prometheus text of the process's `MetricsRegistry` (`RelayStats` and the HTTP server's).
struct Actuator: Sendable {
    let stats: RelayStats
    let startedAt: String
    let version: String

    func health() -> HTTPResponse {
        let up = stats.redisConnected.load(ordering: .relaxed)
        let status = up ? "UP" : "DOWN"
        return .jsonText("{\"status\":\"\(status)\",\"components\":{\"redis\":{\"status\":\"\(status)\"}}}",
                         status: up ? 200 : 503)
    }

    func liveness() -> HTTPResponse { .jsonText("{\"status\":\"UP\"}") }

    func info() -> HTTPResponse {
        .jsonText("{\"app\":{\"name\":\"ChatRelay\",\"version\":\(JSONText.quoted(version))},\"startedAt\":\(JSONText.quoted(startedAt)),"
                  + "\"connections\":\(stats.openConnectionCount)}")
    }

    /// The registry's text: the relay's metrics and the kit's HTTP metrics, one format.
    func prometheus() -> HTTPResponse {
        var response = HTTPResponse.text(prometheusText(), contentType: MetricsRegistry.contentType)
        response.status = 200
        return response
    }

    func prometheusText() -> String { stats.registry.prometheusText() }

    func register(on router: RouterBuilder) {
        let actuator = self
        router.get("/actuator/health", kind: .inline) { _ in actuator.health() }
        router.get("/actuator/health/readiness", kind: .inline) { _ in actuator.health() }
        router.get("/actuator/health/liveness", kind: .inline) { _ in actuator.liveness() }
        router.get("/actuator/info", kind: .inline) { _ in actuator.info() }
        router.get("/actuator/prometheus", kind: .inline) { _ in actuator.prometheus() }
    }
}
