import Foundation
import Testing
@testable import Shared

@Suite struct HTTPResponseTests {
    static let date = "Tue, 01 Dec 2026 18:00:00 GMT"

    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func writesStatusLineDateLengthAndType() {
        let bytes = HTTPResponseSerializer.serialize(.jsonText("{\"a\":1}", status: 201), keepAlive: true, date: Self.date)
        #expect(text(bytes) == "HTTP/1.1 201 Created\r\nContent-Type: application/json; charset=utf-8\r\n"
            + "Date: \(Self.date)\r\nContent-Length: 7\r\n\r\n{\"a\":1}")
    }

    @Test func saysConnectionCloseOrKeepAliveForHTTP10() {
        let closing = text(HTTPResponseSerializer.serialize(.noContent(), keepAlive: false, date: Self.date))
        #expect(closing.contains("Connection: close\r\n"))
        let http10 = text(HTTPResponseSerializer.serialize(.noContent(), keepAlive: true, requestVersion: .http1_0, date: Self.date))
        #expect(http10.contains("Connection: keep-alive\r\n"))
    }

    @Test func omitsTheBodyForHeadButKeepsItsLength() {
        let bytes = text(HTTPResponseSerializer.serialize(.text("hello"), isHead: true, keepAlive: true, date: Self.date))
        #expect(bytes.hasSuffix("Content-Length: 5\r\n\r\n"))
    }

    @Test func sends204And304WithoutLengthOrBody() {
        let bytes = text(HTTPResponseSerializer.serialize(HTTPResponse(status: 204, body: [1, 2]), keepAlive: true, date: Self.date))
        #expect(!bytes.contains("Content-Length") && bytes.hasSuffix("\r\n\r\n"))
    }

    @Test func ignoresHandlerFramingHeadersAndStripsLineBreaksFromValues() {
        var response = HTTPResponse.text("hi")
        response.headers.add("Content-Length", "99")
        response.headers.add("Transfer-Encoding", "chunked")
        response.headers.add("X-Evil", "a\r\nSet-Cookie: x=1")
        let bytes = text(HTTPResponseSerializer.serialize(response, keepAlive: true, date: Self.date))
        #expect(bytes.contains("Content-Length: 2\r\n"))
        #expect(!bytes.contains("99") && !bytes.contains("chunked"))
        #expect(bytes.contains("X-Evil: a Set-Cookie: x=1\r\n"))
    }

    @Test func formatsTheDateAsIMFFixdate() {
        #expect(HTTPDate.format(epochSecond: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.now().hasSuffix(" GMT") && HTTPDate.now().count == 29)
    }

    @Test func encodesProblemsAsRFC9457JSON() throws {
        let problem = Problem.badRequest(detail: "invalid fields", errors: [FieldError(field: "username", message: "too \"short\"")])
        let response = HTTPResponse.problem(problem)
        #expect(response.status == 400)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(json["title"] as? String == "Bad Request")
        #expect(json["detail"] as? String == "invalid fields")
        let errors = try #require(json["errors"] as? [[String: String]])
        #expect(errors == [["field": "username", "message": "too \"short\""]])
    }

    @Test func problemHelpersCarryTheirHeaders() {
        #expect(HTTPResponse.problem(.serviceUnavailable(retryAfter: 2)).headers["Retry-After"] == "2")
        #expect(HTTPResponse.problem(.tooManyRequests(retryAfter: 30)).status == 429)
        #expect(HTTPResponse.problem(.unauthorized()).headers["WWW-Authenticate"] == "Bearer error=\"invalid_token\"")
        #expect(HTTPResponse.problem(.methodNotAllowed(allow: [.get, .post])).headers["Allow"] == "GET, POST")
        #expect(Problem.unsupportedMediaType().status == 415 && Problem.payloadTooLarge().status == 413)
    }

    @Test func encodesEncodableValuesAsJSON() throws {
        struct User: Encodable { var id: Int; var displayName: String }
        let response = HTTPResponse.json(User(id: 7, displayName: "Ann/B"), status: 201)
        #expect(response.status == 201)
        #expect(text(response.body).contains("\"displayName\":\"Ann/B\""))
    }
}

@Suite struct HTTPRequestTests {
    @Test func splitsPathAndDecodesTheQuery() {
        let r = HTTPRequest(method: .get, target: "/a/b%20c?x=1&name=J%C3%B6rg+K&flag&x=2", peer: try! SocketAddress.resolve(host: "::1", port: 1))
        #expect(r.path == "/a/b%20c")
        #expect(r.query == ["x": "2", "name": "Jörg K", "flag": ""])
    }

    @Test func takesThePathOfAnAbsoluteFormTarget() {
        let r = HTTPRequest(method: .get, target: "http://example.com:8080/x/y?z=1", peer: try! SocketAddress.resolve(host: "127.0.0.2", port: 1))
        #expect(r.path == "/x/y" && r.query == ["z": "1"])
        #expect(HTTPRequest(method: .get, target: "http://example.com", peer: try! SocketAddress.resolve(host: "127.0.0.2", port: 1)).path == "/")
    }

    @Test func headerNamesCompareWithoutCase() {
        var h: HTTPHeaders = ["Content-Type": "a"]
        #expect(h["content-type"] == "a" && h["CONTENT-TYPE"] == "a" && h["content-typf"] == nil)
        h.set("CONTENT-type", "b")
        #expect(h.count == 1 && h["Content-Type"] == "b")
        h.add("Connection", "keep-alive, Upgrade")
        #expect(h.containsToken("upgrade", in: "connection"))
        h.remove("connection")
        #expect(!h.contains("Connection"))
        #expect(!HTTPHeaders.namesEqual("a[", "A{"))  // only letters fold
    }
}
