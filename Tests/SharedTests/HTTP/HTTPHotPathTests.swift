import Foundation
import Testing
@testable import Shared

/// The byte-level rewrites of per-request work keep their exact output.
@Suite struct HTTPHotPathTests {
    @Test func generatedRequestIdsAreAProcessPrefixAndARisingHexCounter() throws {
        let ids = (0..<300).map { _ in RequestID.generate() }
        #expect(Set(ids).count == ids.count)
        let prefix = try #require(ids.first?.split(separator: "-").first)
        var previous: UInt64 = 0
        for id in ids {
            let parts = id.split(separator: "-")
            #expect(parts.count == 2 && parts[0] == prefix && parts[0].count == 16, "\(id)")
            #expect(RequestID.isSane(id))
            let n = try #require(UInt64(parts[1], radix: 16), "\(id)")
            #expect(String(n, radix: 16) == String(parts[1]), "no leading zeros: \(id)")
            #expect(n > previous)
            previous = n
        }
    }

    @Test func headerValuesLoseEveryCarriageReturnAndLineFeed() {
        var response = HTTPResponse.text("ok")
        response.headers.add("X-A", "one\rtwo\nthree\r\nfour\n\r")
        response.headers.add("content-length", "999")
        response.headers.add("X-Long-Header-Name-Here", "plain")
        let text = String(decoding: HTTPResponseSerializer.serialize(response, keepAlive: true, date: "D"), as: UTF8.self)
        #expect(text == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-A: one two three four  \r\n"
                + "X-Long-Header-Name-Here: plain\r\nDate: D\r\nContent-Length: 2\r\n\r\nok")
    }

    @Test func eachLoopFormatsTheCurrentDate() throws {
        let loop = LoopConnections()
        let text = loop.httpDate()
        let now = Int(Date().timeIntervalSince1970)
        #expect([now - 1, now, now + 1].map(HTTPDate.format(epochSecond:)).contains(text), "\(text)")
        #expect(text.wholeMatch(of: /[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT/) != nil)
    }

    @Test func literalPathsTakeTheShortcutOnlyWhenTheSearchWouldPickThem() throws {
        let b = RouterBuilder()
        b.get("/", kind: .inline) { _ in .text("root") }
        b.delete("/x/me", kind: .inline) { _ in .text("delete me") }
        b.get("/x/{id}", kind: .inline) { r in .text("id " + r.pathParameter("id")!) }
        b.get("/a/b/", kind: .inline) { _ in .text("slash") }
        let router = b.build()
        let peer = try SocketAddress.resolve(host: "127.0.0.1", port: 1)
        func answer(_ method: HTTPMethod, _ target: String) -> (Int, String, String?) {
            var request = HTTPRequest(method: method, target: target, peer: peer)
            request.requestId = "r"
            let route = router.route(&request)
            let response = route.respond(request)
            return (response.status, String(decoding: response.body, as: UTF8.self), request.routeTemplate)
        }
        #expect(answer(.get, "/") == (200, "root", "/"))
        #expect(answer(.head, "/").0 == 200)
        #expect(answer(.delete, "/x/me") == (200, "delete me", "/x/me"))
        // The literal node has no GET: the parameter route behind it answers, as before.
        #expect(answer(.get, "/x/me") == (200, "id me", "/x/{id}"))
        #expect(answer(.get, "/a/b/") == (200, "slash", "/a/b/"))
        #expect(answer(.get, "/a/b").0 == 404)
        #expect(answer(.put, "/x/me").0 == 405)
    }
}
