import Foundation
import Shared

/// `/actuator/*`: health with its components, info, Prometheus metrics, and the OpenAPI document.
///
/// ChatAPI is DOWN only without its primary: a replica or Redis being down is shown as a
/// component while the instance keeps serving (reads fall back, events wait in the outbox).
enum HealthRoutes {
    struct Component: Encodable { let status: String; let details: [String: String]? }
    struct Health: Encodable { let status: String; let components: [String: Component]? }

    static func register(on router: RouterBuilder, _ context: APIContext, metrics: MetricsRegistry,
                         beforeScrape: @escaping @Sendable () -> Void, info: [String: String]) {
        router.add(.get, "/actuator/health") { _ in
            let primary = context.database.primaryIsUp()
            let replicas = context.database.replicaHealth()
            let replicaUp = !replicas.isEmpty && replicas.contains { $0.serving }
            let redis = (try? context.redis.with { try $0.command(["PING"]) }) == .status("PONG")
            let components: [String: Component] = [
                "db": Component(status: primary ? "UP" : "DOWN", details: nil),
                "dbReplica": Component(status: replicaUp ? "UP" : "DOWN", details: Dictionary(
                    uniqueKeysWithValues: replicas.map { ($0.name, $0.serving ? "serving" : ($0.reachable ? "lagging" : "down")) })),
                "redis": Component(status: redis ? "UP" : "DOWN", details: nil),
            ]
            return .json(Health(status: primary ? "UP" : "DOWN", components: components), status: primary ? 200 : 503)
        }
        router.add(.get, "/actuator/health/liveness", kind: .inline) { _ in
            .json(Health(status: "UP", components: nil))
        }
        router.add(.get, "/actuator/health/readiness") { _ in
            let primary = context.database.primaryIsUp()
            return .json(Health(status: primary ? "UP" : "DOWN", components: nil), status: primary ? 200 : 503)
        }
        router.add(.get, "/actuator/info", kind: .inline) { _ in .json(info) }
        router.add(.get, "/actuator/prometheus") { _ in
            beforeScrape()
            var response = HTTPResponse.jsonText(metrics.prometheusText())
            response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            return response
        }
        router.add(.get, "/openapi.json", kind: .inline) { _ in .jsonText(OpenAPIDocument.json) }
    }

    /// `/actuator/mappings`: every route this instance serves; register it last.
    static func registerMappings(on router: RouterBuilder) {
        struct Mapping: Encodable { let method: String; let path: String }
        let mappings = (router.routes + [(method: HTTPMethod.get, template: "/actuator/mappings")])
            .map { Mapping(method: $0.method.rawValue, path: $0.template) }
        router.add(.get, "/actuator/mappings", kind: .inline) { _ in .json(["items": mappings]) }
    }
}
