import Testing
@testable import Shared

@Suite struct HTTPRequestParserTests {
    typealias H = HTTPParserHarness

    @Test func parsesASimpleGetWithCaseInsensitiveHeaders() throws {
        let out = H.parseEveryWay("GET /api/v1/rooms?limit=5 HTTP/1.1\r\nHost: x\r\nX-Thing:  a b \r\naccept: */*\r\n\r\n")
        #expect(out.error == nil)
        let head = try #require(out.requests.first?.head)
        #expect(head.method == .get)
        #expect(head.target == "/api/v1/rooms?limit=5")
        #expect(head.version == .http1_1)
        #expect(head.headers["x-thing"] == "a b")
        #expect(head.headers["ACCEPT"] == "*/*")
        #expect(head.framing == .none)
        #expect(head.keepAlive)
        #expect(!head.expectsContinue)
        #expect(out.requests.count == 1 && out.requests[0].body.isEmpty)
    }

    @Test func readsAContentLengthBody() {
        let out = H.parseEveryWay("POST /m HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world")
        #expect(out.requests.count == 1)
        #expect(out.requests.first?.head.framing == .length(11))
        #expect(out.requests.first?.body == Array("hello world".utf8))
        #expect(!out.partial)
    }

    @Test func waitsForTheRestOfABody() {
        let out = H.run([Array("POST /m HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello".utf8)])
        #expect(out.requests.isEmpty && out.partial && out.error == nil)
    }

    @Test func decodesChunkedBodiesWithExtensionsAndTrailers() {
        let text = "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n6;name=value ; q=\"a \\\"b\"\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Checksum: 42\r\n\r\n"
        let out = H.parseEveryWay(text)
        #expect(out.error == nil)
        #expect(out.requests.first?.head.framing == .chunked)
        #expect(out.requests.first?.body == Array("hello world0123456789".utf8))
        #expect(out.requests.first?.trailers["x-checksum"] == "42")
    }

    @Test func acceptsChunkedTransferEncodingInAnyCase() {
        let out = H.parseEveryWay("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n")
        #expect(out.error == nil && out.requests.count == 1)
    }

    @Test func pipelinedRequestsComeOutInOrderWithTheirBodies() {
        let text = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            + "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
            + "\r\nHEAD /d HTTP/1.1\r\nHost: x\r\n\r\n"
        let out = H.parseEveryWay(text)
        #expect(out.error == nil)
        #expect(out.requests.map(\.head.target) == ["/a", "/b", "/c", "/d"])
        #expect(out.requests.map { String(decoding: $0.body, as: UTF8.self) } == ["", "abc", "hi", ""])
        #expect(out.requests.last?.head.method == .head)
    }

    @Test func keepAliveFollowsTheVersionDefaultsAndConnectionHeader() {
        func keepAlive(_ version: String, _ connection: String?) -> Bool? {
            let extra = connection.map { "Connection: \($0)\r\n" } ?? ""
            return H.parseEveryWay("GET / \(version)\r\nHost: x\r\n\(extra)\r\n").requests.first?.head.keepAlive
        }
        #expect(keepAlive("HTTP/1.1", nil) == true)
        #expect(keepAlive("HTTP/1.1", "close") == false)
        #expect(keepAlive("HTTP/1.1", "Upgrade, Close") == false)
        #expect(keepAlive("HTTP/1.0", nil) == false)
        #expect(keepAlive("HTTP/1.0", "Keep-Alive") == true)
        #expect(keepAlive("HTTP/1.0", "keep-alive, close") == false)
    }

    @Test func http10RequestsNeedNoHost() {
        let out = H.parseEveryWay("GET / HTTP/1.0\r\n\r\n")
        #expect(out.requests.first?.head.version == .http1_0)
    }

    @Test func signalsExpectContinueOnlyForHTTP11RequestsWithABody() throws {
        let withBody = H.run([Array("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n".utf8)])
        #expect(withBody.partial && withBody.error == nil)
        var parser = HTTPRequestParser()
        parser.feed(Array("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8))
        guard case .head(let head)? = try? parser.next() else { Issue.record("no head"); return }
        #expect(head.expectsContinue)
        #expect(try parser.next() == nil)  // the client waits for 100 Continue
        parser.feed(Array("ok".utf8))
        #expect(try parser.next() == .body(Array("ok".utf8)))
        let http10 = H.parseEveryWay("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx")
        #expect(http10.requests.first?.head.expectsContinue == false)
        #expect(H.parseEveryWay("POST / HTTP/1.1\r\nHost: x\r\nExpect: fancy\r\nContent-Length: 1\r\n\r\nx").error?.status == 417)
    }

    @Test func acceptsAbsoluteFormAndAsteriskForOptions() {
        #expect(H.parseEveryWay("GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n").requests.first?.head.target == "http://x/a")
        #expect(H.parseEveryWay("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").requests.count == 1)
        #expect(H.parseEveryWay("GET * HTTP/1.1\r\nHost: x\r\n\r\n").error?.status == 400)
        #expect(H.parseEveryWay("GET a/b HTTP/1.1\r\nHost: x\r\n\r\n").error?.status == 400)
    }

    @Test func treatsIdenticalRepeatedContentLengthsAsOne() {
        #expect(H.parseEveryWay("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab").requests.count == 1)
        #expect(H.parseEveryWay("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\nab").requests.count == 1)
    }

    @Test func keepsAnErrorOnceFailed() {
        var parser = HTTPRequestParser()
        parser.feed(Array("GET / HTTP/1.1\nHost: x\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try parser.next() }
        parser.feed(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try parser.next() }
    }

    @Test func releasesItsBufferWhenIdle() throws {
        var parser = HTTPRequestParser()
        parser.feed(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        while try parser.next() != nil {}
        #expect(parser.bufferedByteCount == 0 && parser.isAtRequestBoundary)
        parser.releaseBufferIfEmpty()
        #expect(parser.buffer.capacity == 0)
    }
}
