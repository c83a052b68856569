import Testing
@testable import Shared

@Suite struct HTTPRequestParserLimitTests {
    typealias H = HTTPParserHarness

    func request(headers: Int, valueBytes: Int) -> String {
        var text = "GET / HTTP/1.1\r\nHost: x\r\n"
        for i in 1..<headers { text += "X-H\(i): " + String(repeating: "v", count: valueBytes) + "\r\n" }
        return text + "\r\n"
    }

    @Test func answers431ToAHeaderBlockOver16KiB() {
        #expect(H.parseEveryWay(request(headers: 20, valueBytes: 1000)).error?.status == 431)
        #expect(H.parseEveryWay(request(headers: 15, valueBytes: 1000)).error == nil)
        // A single header line that never ends is cut off at the limit too.
        #expect(H.parseEveryWay("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 17_000)).error?.status == 431)
    }

    @Test func allowsAHeaderBlockOfExactly16KiB() {
        // "Host: x\r\n" is 9 bytes; one more field fills the budget to the byte.
        let filler = "X: " + String(repeating: "a", count: 16 * 1024 - 9 - 5) + "\r\n"
        #expect(H.run([Array(("GET / HTTP/1.1\r\nHost: x\r\n" + filler + "\r\n").utf8)]).error == nil)
        let over = "X: " + String(repeating: "a", count: 16 * 1024 - 9 - 4) + "\r\n"
        #expect(H.run([Array(("GET / HTTP/1.1\r\nHost: x\r\n" + over + "\r\n").utf8)]).error?.status == 431)
    }

    @Test func answers431ToMoreThan100Headers() {
        #expect(H.parseEveryWay(request(headers: 100, valueBytes: 1)).error == nil)
        #expect(H.parseEveryWay(request(headers: 101, valueBytes: 1)).error?.status == 431)
    }

    @Test func answers414ToATargetOver8KiB() {
        let ok = "/" + String(repeating: "a", count: 8 * 1024 - 1)
        #expect(H.parseEveryWay("GET \(ok) HTTP/1.1\r\nHost: x\r\n\r\n").error == nil)
        #expect(H.parseEveryWay("GET \(ok)b HTTP/1.1\r\nHost: x\r\n\r\n").error?.status == 414)
        #expect(H.parseEveryWay("GET /" + String(repeating: "a", count: 9000)).error?.status == 414)
    }

    @Test func answers413ToADeclaredLengthOverTheCapBeforeTheBodyArrives() {
        let out = H.run([Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n".utf8)])
        #expect(out.error?.status == 413)
        let small = HTTPParserLimits(maxBodyBytes: 10)
        #expect(H.parseEveryWay("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789", limits: small).error == nil)
        #expect(H.parseEveryWay("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", limits: small).error?.status == 413)
    }

    @Test func answers413WhenAChunkedBodyGrowsPastTheCap() {
        let small = HTTPParserLimits(maxBodyBytes: 10)
        let head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(H.parseEveryWay(head + "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", limits: small).error == nil)
        let out = H.parseEveryWay(head + "5\r\n01234\r\n6\r\n", limits: small)
        #expect(out.error?.status == 413)
    }

    @Test func answers505ToOtherMajorVersions() {
        #expect(H.parseEveryWay("GET / HTTP/2.0\r\nHost: x\r\n\r\n").error?.status == 505)
        #expect(H.parseEveryWay("GET / HTTP/1.2\r\nHost: x\r\n\r\n").requests.first?.head.version == .http1_1)
    }
}
