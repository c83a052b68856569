import Testing
import TestSupport
@testable import Shared

/// A request as the parser delivered it, body pieces joined.
struct HTTPParsedRequest: Equatable {
    var head: HTTPRequestHead
    var body: [UInt8]
    var trailers: HTTPHeaders
}

/// Everything a parser produced from one input: complete requests, then maybe an error.
struct HTTPParseOutcome: Equatable {
    var requests: [HTTPParsedRequest] = []
    var error: HTTPParseError?
    /// A head was seen but its request did not end.
    var partial = false
}


enum HTTPParserHarness {
    /// Feeds `chunks` one after another, draining events after each.
    static func run(_ chunks: [[UInt8]], limits: HTTPParserLimits = HTTPParserLimits()) -> HTTPParseOutcome {
        var parser = HTTPRequestParser(limits: limits)
        var outcome = HTTPParseOutcome()
        var current: HTTPParsedRequest?
        for chunk in chunks {
            chunk.withUnsafeBytes { parser.feed($0) }
            do {
                while let event = try parser.next() {
                    switch event {
                    case .head(let head): current = HTTPParsedRequest(head: head, body: [], trailers: HTTPHeaders())
                    case .body(let bytes): current?.body += bytes
                    case .end(let trailers):
                        current?.trailers = trailers
                        if let done = current { outcome.requests.append(done) }
                        current = nil
                    }
                }
            } catch {
                outcome.error = error
                return outcome
            }
        }
        outcome.partial = current != nil
        return outcome
    }

    /// The input split all at once, byte by byte, and in several seeded random splits.
    static func splits(of input: [UInt8]) -> [(String, [[UInt8]])] {
        var result: [(String, [[UInt8]])] = [("all at once", [input]), ("byte by byte", input.map { [$0] })]
        for seed in UInt64(1)...6 {
            var rng = SplitMix64(seed: seed)
            var pieces: [[UInt8]] = []
            var i = 0
            while i < input.count {
                let n = Int.random(in: 1...max(1, min(64, input.count / 3 + 1)), using: &rng)
                pieces.append(Array(input[i..<min(input.count, i + n)]))
                i += n
            }
            result.append(("random split seed \(seed)", pieces))
        }
        return result
    }

    /// Parses `text` every way it can be split and checks every way agrees; returns the outcome.
    static func parseEveryWay(_ text: String, limits: HTTPParserLimits = HTTPParserLimits(),
                              sourceLocation: SourceLocation = #_sourceLocation) -> HTTPParseOutcome {
        parseEveryWay(Array(text.utf8), limits: limits, sourceLocation: sourceLocation)
    }

    static func parseEveryWay(_ bytes: [UInt8], limits: HTTPParserLimits = HTTPParserLimits(),
                              sourceLocation: SourceLocation = #_sourceLocation) -> HTTPParseOutcome {
        let ways = splits(of: bytes)
        let reference = run(ways[0].1, limits: limits)
        for (name, chunks) in ways.dropFirst() {
            let outcome = run(chunks, limits: limits)
            #expect(outcome == reference, "outcome differs when fed \(name)", sourceLocation: sourceLocation)
        }
        return reference
    }
}
