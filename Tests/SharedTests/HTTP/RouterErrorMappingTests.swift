import Testing
@testable import Shared

@Suite struct RouterErrorMappingTests {
    struct Outage: Error {}
    struct Surprise: Error {}

    private func request(_ target: String) -> HTTPRequest {
        HTTPRequest(method: .get, target: target, headers: HTTPHeaders(), peer: RouterTests.peer)
    }

    @Test func mappedErrorsBecomeTheirProblemAndOthersAre500() {
        let builder = RouterBuilder()
        builder.mapErrors { error, _ in
            error is Outage ? .serviceUnavailable(retryAfter: 3) : .internalError()
        }
        builder.get("/outage") { _ in throw Outage() }
        builder.get("/surprise") { _ in throw Surprise() }
        builder.get("/problem") { _ in throw Problem.conflict(detail: "kept as thrown") }
        let router = builder.build()

        let outage = router.respond(to: request("/outage"))
        #expect(outage.status == 503)
        #expect(outage.headers["Retry-After"] == "3")
        #expect(router.respond(to: request("/surprise")).status == 500)
        #expect(router.respond(to: request("/problem")).status == 409)
    }

    @Test func errorsThrownByMiddlewareAreMappedToo() {
        let builder = RouterBuilder()
        builder.mapErrors { _, _ in .serviceUnavailable(retryAfter: 1) }
        builder.use { _, _ in throw Outage() }
        builder.get("/x") { _ in .noContent() }
        #expect(builder.build().respond(to: request("/x")).status == 503)
    }
}
