import Shared

/// `/actuator/*` of the relay: health (DOWN, 503, while Redis is unreachable), info, and the
/// Prometheus text of `RelayStats`.
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
                  + "\"connections\":\(stats.openConnections.load(ordering: .relaxed))}")
    }

    func prometheus() -> HTTPResponse {
        var response = HTTPResponse.text(prometheusText(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        response.status = 200
        return response
    }

    func prometheusText() -> String {
        let s = stats
        let metrics: [(String, String, String, Int)] = [
            ("chat_relay_open_connections", "gauge", "WebSocket connections open now", s.openConnections.load(ordering: .relaxed)),
            ("chat_relay_channels_subscribed", "gauge", "Redis channels (rooms and users) subscribed now", s.roomsSubscribed.load(ordering: .relaxed)),
            ("chat_relay_redis_up", "gauge", "1 while the Pub/Sub connection is up", s.redisConnected.load(ordering: .relaxed) ? 1 : 0),
            ("chat_relay_events_received_total", "counter", "events received from Redis Pub/Sub", s.eventsReceived.load(ordering: .relaxed)),
            ("chat_relay_backfilled_events_total", "counter", "events read from the logs after a Redis reconnect", s.backfilled.load(ordering: .relaxed)),
            ("chat_relay_deliveries_total", "counter", "frames queued to client connections", s.deliveries.load(ordering: .relaxed)),
            ("chat_relay_slow_consumers_closed_total", "counter", "connections closed with 1008 for a full send queue", s.slowConsumersClosed.load(ordering: .relaxed)),
            ("chat_relay_redis_reconnects_total", "counter", "Pub/Sub connection losses followed by a reconnect", s.redisReconnects.load(ordering: .relaxed)),
            ("chat_relay_resume_replays_total", "counter", "channel replays asked by resume", s.resumeReplays.load(ordering: .relaxed)),
            ("chat_relay_replayed_events_total", "counter", "events sent by resume and catch-up replays", s.replayedEvents.load(ordering: .relaxed)),
            ("chat_relay_connections_evicted_total", "counter", "oldest connections closed over the per-user limit", s.connectionsEvicted.load(ordering: .relaxed)),
            ("chat_relay_upgrades_refused_total", "counter", "WebSocket upgrades refused with 401", s.upgradesRefused.load(ordering: .relaxed)),
        ]
        var out = ""
        for (name, type, help, value) in metrics {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        return out
    }

    func register(on router: RouterBuilder) {
        let actuator = self
        router.get("/actuator/health", kind: .inline) { _ in actuator.health() }
        router.get("/actuator/health/readiness", kind: .inline) { _ in actuator.health() }
        router.get("/actuator/health/liveness", kind: .inline) { _ in actuator.liveness() }
        router.get("/actuator/info", kind: .inline) { _ in actuator.info() }
        router.get("/actuator/prometheus", kind: .inline) { _ in actuator.prometheus() }
    }
}
