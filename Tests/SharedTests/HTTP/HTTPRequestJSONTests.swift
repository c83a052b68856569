import Foundation
import Testing
@testable import Shared

@Suite struct HTTPRequestJSONTests {
    struct SignUp: Decodable, Equatable { var username: String; var password: String; var age: Int? }

    func request(_ body: String, contentType: String? = "application/json; charset=utf-8") -> HTTPRequest {
        var headers = HTTPHeaders()
        if let contentType { headers.add("Content-Type", contentType) }
        return HTTPRequest(method: .post, target: "/users", headers: headers, body: Array(body.utf8),
                           peer: try! SocketAddress.resolve(host: "127.0.0.1", port: 1))
    }

    @Test func decodesAJSONBodyIgnoringUnknownFields() throws {
        let value = try request("{\"username\":\"ann\",\"password\":\"secret\",\"extra\":1}").decodeJSON(SignUp.self)
        #expect(value == SignUp(username: "ann", password: "secret", age: nil))
        #expect(throws: Never.self) { try request("{\"username\":\"a\",\"password\":\"b\"}", contentType: "application/merge-patch+json").decodeJSON(SignUp.self) }
    }

    @Test func answers415WithoutAJSONContentType() {
        for type in [nil, "text/plain", "application/jsonx", "multipart/form-data"] {
            #expect(throws: Problem.unsupportedMediaType()) { try request("{}", contentType: type).decodeJSON(SignUp.self) }
        }
    }

    @Test func answers400NamingTheField() {
        func problem(_ body: String) -> Problem? {
            do { _ = try request(body).decodeJSON(SignUp.self); return nil } catch { return error }
        }
        #expect(problem("")?.status == 400)
        #expect(problem("{not json")?.status == 400)
        #expect(problem("{not json")?.errors.isEmpty == true)
        #expect(problem("{\"username\":\"a\"}")?.errors == [FieldError(field: "password", message: "is required")])
        #expect(problem("{\"username\":\"a\",\"password\":\"b\",\"age\":\"x\"}")?.errors == [FieldError(field: "age", message: "has the wrong type")])
    }

    @Test func encodesDatesAsRFC3339WithMilliseconds() {
        struct Stamp: Encodable { var createdAt: Date }
        let response = HTTPResponse.json(Stamp(createdAt: Date(timeIntervalSince1970: 1_795_860_000.123)))
        #expect(String(decoding: response.body, as: UTF8.self) == "{\"createdAt\":\"2026-11-28T10:00:00.123Z\"}")
        #expect(HTTPDate.rfc3339(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }
}
