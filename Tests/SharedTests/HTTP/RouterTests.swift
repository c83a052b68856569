import Foundation
import Testing
@testable import Shared

@Suite struct RouterTests {
    static let peer = try! SocketAddress.resolve(host: "127.0.0.1", port: 5000)

    func request(_ method: HTTPMethod, _ target: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPRequest {
        HTTPRequest(method: method, target: target, headers: headers, peer: Self.peer)
    }

    func makeRouter() -> Router {
        let b = RouterBuilder()
        b.get("/api/v1/rooms", kind: .inline) { _ in .jsonText("\"rooms\"") }
        b.post("/api/v1/rooms") { _ in .jsonText("\"created\"", status: 201) }
        b.get("/api/v1/rooms/{roomId}/messages") { r in .jsonText("\"messages of \(r.pathParameter("roomId")!)\"") }
        b.post("/api/v1/rooms/{roomId}/messages/{messageId}/thread") { r in
            .jsonText("\"\(r.pathParameters["roomId"]!)/\(r.pathParameters["messageId"]!)\"")
        }
        b.get("/api/v1/rooms/{roomId}") { r in .jsonText("\"room \(r.pathParameter("roomId")!)\"") }
        b.delete("/api/v1/rooms/{roomId}/members/me") { _ in .noContent() }
        b.delete("/api/v1/rooms/{roomId}/members/{userId}") { _ in .jsonText("\"someone\"") }
        b.get("/api/v1/boom") { _ in throw Problem.conflict(detail: "already there") }
        b.get("/api/v1/crash") { _ in throw CocoaError(.fileNoSuchFile) }
        return b.build()
    }

    func bodyText(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test func matchesLiteralRoutesAndTemplatesWithParameters() {
        let router = makeRouter()
        #expect(bodyText(router.respond(to: request(.get, "/api/v1/rooms"))) == "\"rooms\"")
        #expect(router.respond(to: request(.post, "/api/v1/rooms")).status == 201)
        #expect(bodyText(router.respond(to: request(.get, "/api/v1/rooms/12/messages?limit=5"))) == "\"messages of 12\"")
        #expect(bodyText(router.respond(to: request(.post, "/api/v1/rooms/3/messages/44/thread"))) == "\"3/44\"")
        #expect(bodyText(router.respond(to: request(.get, "/api/v1/rooms/7"))) == "\"room 7\"")
    }

    @Test func fillsTheRequestWithParametersTemplateAndKind() {
        let router = makeRouter()
        var r = request(.get, "/api/v1/rooms/a%20b/messages")
        let route = router.route(&r)
        #expect(r.pathParameters == ["roomId": "a b"])
        #expect(r.routeTemplate == "/api/v1/rooms/{roomId}/messages")
        #expect(route.kind == .blocking)
        var list = request(.get, "/api/v1/rooms")
        #expect(router.route(&list).kind == .inline)
    }

    @Test func prefersLiteralSegmentsOverParameters() {
        let router = makeRouter()
        #expect(router.respond(to: request(.delete, "/api/v1/rooms/4/members/me")).status == 204)
        #expect(bodyText(router.respond(to: request(.delete, "/api/v1/rooms/4/members/9"))) == "\"someone\"")
    }

    @Test func answers404WithProblemJSONForUnknownPaths() throws {
        let router = makeRouter()
        for path in ["/nope", "/api/v1/rooms/1/nope", "/api/v1/rooms/", "/api/v1/rooms//messages", "/api/v1/rooms/%zz"] {
            let response = router.respond(to: request(.get, path))
            #expect(response.status == 404, "\(path)")
            #expect(response.headers["Content-Type"] == "application/problem+json")
        }
        let response = router.respond(to: request(.get, "/nope"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(json["status"] as? Int == 404)
        #expect(json["title"] as? String == "Not Found")
        #expect(json["type"] as? String == "about:blank")
        #expect(json["instance"] as? String == "/nope")
        #expect(json["errors"] == nil)
    }

    @Test func answers405WithAllowForAKnownPathAndWrongMethod() {
        let router = makeRouter()
        let response = router.respond(to: request(.put, "/api/v1/rooms"))
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "GET, HEAD, OPTIONS, POST")
        let member = router.respond(to: request(.get, "/api/v1/rooms/1/members/me"))
        #expect(member.status == 405)
        #expect(member.headers["Allow"] == "DELETE, OPTIONS")
    }

    @Test func answersHeadWithTheGetRouteAndOptionsWithAllow() {
        let router = makeRouter()
        #expect(router.respond(to: request(.head, "/api/v1/rooms")).status == 200)
        let options = router.respond(to: request(.options, "/api/v1/rooms/5"))
        #expect(options.status == 204)
        #expect(options.headers["Allow"] == "GET, HEAD, OPTIONS")
    }

    @Test func mapsThrownProblemsAndOtherErrors() {
        let router = makeRouter()
        let conflict = router.respond(to: request(.get, "/api/v1/boom"))
        #expect(conflict.status == 409)
        #expect(bodyText(conflict).contains("\"detail\":\"already there\""))
        #expect(router.respond(to: request(.get, "/api/v1/crash")).status == 500)
    }

    @Test func echoesASaneRequestIdAndReplacesAnInsaneOne() {
        let router = makeRouter()
        let kept = router.respond(to: request(.get, "/api/v1/rooms", headers: ["x-request-id": "abc-123.x:y_z"]))
        #expect(kept.headers["X-Request-Id"] == "abc-123.x:y_z")
        for bad in ["", "has space", "quote\"", String(repeating: "a", count: 129)] {
            let replaced = router.respond(to: request(.get, "/nope", headers: ["X-Request-Id": bad]))
            let id = replaced.headers["X-Request-Id"] ?? ""
            #expect(!id.isEmpty && id != bad, "\(bad)")
        }
        let a = router.respond(to: request(.get, "/nope")).headers["X-Request-Id"]
        let b = router.respond(to: request(.get, "/nope")).headers["X-Request-Id"]
        #expect(a != b)
    }

    @Test func runsMiddlewareOutermostFirstAroundEveryAnswer() {
        let b = RouterBuilder()
        b.use { request, next in
            var response = try next(request)
            response.headers.add("X-Order", "outer")
            return response
        }
        b.use { request, next in
            if request.headers["X-Deny"] != nil { throw Problem.forbidden() }
            var response = try next(request)
            response.headers.add("X-Order", "inner")
            response.headers.add("X-Route", request.routeTemplate ?? "none")
            return response
        }
        b.get("/things/{id}", kind: .inline) { _ in .noContent() }
        let router = b.build()
        let ok = router.respond(to: request(.get, "/things/1"))
        #expect(ok.headers.values(for: "X-Order") == ["inner", "outer"])
        #expect(ok.headers["X-Route"] == "/things/{id}")
        let missing = router.respond(to: request(.get, "/other"))
        #expect(missing.status == 404 && missing.headers["X-Route"] == "none")
        let denied = router.respond(to: request(.get, "/things/1", headers: ["X-Deny": "1"]))
        #expect(denied.status == 403 && denied.headers["X-Order"] == "outer")
    }

    @Test func rejectsMalformedTemplates() throws {
        #expect(throws: RouterBuilder.TemplateError.self) { try RouterBuilder.parse("rooms") }
        #expect(throws: RouterBuilder.TemplateError.self) { try RouterBuilder.parse("/rooms/x{id}") }
        #expect(throws: RouterBuilder.TemplateError.self) { try RouterBuilder.parse("/a/{id}/b/{id}") }
        #expect(try RouterBuilder.parse("/a/{id}") == [.literal("a"), .parameter("id")])
    }
}
