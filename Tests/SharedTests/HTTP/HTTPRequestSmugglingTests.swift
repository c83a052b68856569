import Testing
import TestSupport
@testable import Shared

/// Shapes where two HTTP parsers could disagree about where a request ends: each is a 400.
@Suite struct HTTPRequestSmugglingTests {
    static let shapes: [(String, String)] = [
        ("both lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("differing lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
        ("differing list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd"),
        ("negative length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
        ("signed length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc"),
        ("hex length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc"),
        ("empty length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n"),
        ("overflowing length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
        ("bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        ("empty chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\r\n"),
        ("huge chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000000\r\n"),
        ("signed chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n"),
        ("chunk size junk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5 junk\r\nhello\r\n0\r\n\r\n"),
        ("chunk ext no name", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n"),
        ("chunk ext control", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a\u{01}\r\nhello\r\n0\r\n\r\n"),
        ("chunk ext open quote", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"x\r\nhello\r\n0\r\n\r\n"),
        ("chunk without CRLF", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"),
        ("bare LF after chunk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n"),
        ("bare LF chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"),
        ("obs-fold space", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n"),
        ("obs-fold tab", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\t2\r\n\r\n"),
        ("leading space header", "GET / HTTP/1.1\r\n Host: x\r\n\r\n"),
        ("bare LF request line", "GET / HTTP/1.1\nHost: x\r\n\r\n"),
        ("bare LF header", "GET / HTTP/1.1\r\nHost: x\n\r\n"),
        ("bare LF end of head", "GET / HTTP/1.1\r\nHost: x\r\n\n"),
        ("bare CR", "GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n"),
        ("gzip then chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
        ("chunked twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
        ("two TE headers", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("identity", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n"),
        ("chunked with junk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"),
        ("TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("space before colon", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 3\r\n\r\nabc"),
        ("tab before colon", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n"),
        ("no colon", "GET / HTTP/1.1\r\nHost: x\r\nJunk\r\n\r\n"),
        ("empty name", "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n"),
        ("bad method char", "GE(T / HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("bad name char", "GET / HTTP/1.1\r\nHost: x\r\nX@Y: 1\r\n\r\n"),
        ("control in value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\u{01}b\r\n\r\n"),
        ("NUL in value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\u{00}b\r\n\r\n"),
        ("DEL in value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\u{7F}b\r\n\r\n"),
        ("missing Host", "GET / HTTP/1.1\r\n\r\n"),
        ("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        ("double space", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("trailing space", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n"),
        ("lowercase version", "GET / http/1.1\r\nHost: x\r\n\r\n"),
        ("no version", "GET /\r\nHost: x\r\n\r\n"),
        ("control in target", "GET /a\u{01}b HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("non-ASCII target", "GET /é HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("bad trailer", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX : y\r\n\r\n"),
    ]

    @Test(arguments: shapes.map(\.0))
    func rejectsWith400(shape name: String) throws {
        let text = try #require(Self.shapes.first { $0.0 == name }?.1)
        let out = HTTPParserHarness.parseEveryWay(text)
        #expect(out.error?.status == 400, "\(name): \(String(describing: out.error))")
        #expect(out.requests.isEmpty, "\(name): a request got through")
    }

    @Test func aRejectedSecondRequestDoesNotSpoilTheFirst() {
        let out = HTTPParserHarness.parseEveryWay("GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /bad HTTP/1.1\r\nHost : x\r\n\r\n")
        #expect(out.requests.map(\.head.target) == ["/ok"])
        #expect(out.error?.status == 400)
    }
}

@Suite struct HTTPRequestParserMutationTests {
    /// Seeded mutations of valid pipelined input: whatever the parser decides, it decides the
    /// same way however the bytes are split, never crashes, and never yields a request whose
    /// declared body length disagrees with the body it delivered.
    @Test func mutatedInputIsParsedTheSameWayWhateverTheSplit() {
        let valid = Array(("POST /a?b=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n0\r\nT: 1\r\n\r\n"
            + "GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").utf8)
        let alphabet: [UInt8] = Array("\r\n :;,\t0aF-\"\u{7F}\u{00}".utf8)
        var rng = SplitMix64(seed: 2026)
        for _ in 0..<300 {
            var input = valid
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let at = Int.random(in: 0..<input.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: input[at] = alphabet.randomElement(using: &rng)!
                case 1: input.insert(alphabet.randomElement(using: &rng)!, at: at)
                default: input.remove(at: at)
                }
            }
            let out = HTTPParserHarness.parseEveryWay(input)
            for request in out.requests {
                if case .length(let n) = request.head.framing { #expect(request.body.count == n) }
                if request.head.framing == .none { #expect(request.body.isEmpty) }
            }
        }
    }
}
