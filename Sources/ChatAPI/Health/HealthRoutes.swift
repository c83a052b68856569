import Foundation
import Shared

/// `/actuator/*`: health with its components, info, Prometheus metrics, and the OpenAPI document.
///
/// ChatAPI is DOWN only without its primary: a replica or Redis being down is shown as a
/// component while the instance keeps serving (reads fall back, events wait in the outbox).
enum HealthRoutes {
    struct Component: Encodable { let status: String; let details: [String: String]? }
    struct Health: Encodable { let status: String; let components: [String: Component]? }

    static func register(on router: RouterBuilder, _ context: APIContext, metrics: MetricsRegistry, info: [String: String]) {
        router.add(.get, "/actuator/health") { _ in
            let primary = context.database.primaryHealthy()
            let replica = context.database.replicaHealth()
            let redis = (try? context.redis.with { try $0.command(["PING"]) }) == .status("PONG")
            let components: [String: Component] = [
                "db": Component(status: primary ? "UP" : "DOWN", details: nil),
                "dbReplica": Component(status: replica.status, details: replica.details),
                "redis": Component(status: redis ? "UP" : "DOWN", details: nil),
            ]
            return .json(Health(status: primary ? "UP" : "DOWN", components: components), status: primary ? 200 : 503)
        }
        router.add(.get, "/actuator/health/liveness", kind: .inline) { _ in
            .json(Health(status: "UP", components: nil))
        }
        router.add(.get, "/actuator/health/readiness") { _ in
            let primary = context.database.primaryHealthy()
            return .json(Health(status: primary ? "UP" : "DOWN", components: nil), status: primary ? 200 : 503)
        }
        router.add(.get, "/actuator/info", kind: .inline) { _ in .json(info) }
        router.add(.get, "/actuator/prometheus", kind: .inline) { _ in
            var response = HTTPResponse.jsonText(metrics.prometheusText())
            response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            return response
        }
        router.add(.get, "/openapi.json", kind: .inline) { _ in .jsonText(OpenAPIDocument.json) }
    }
}
