import Testing
@testable import Shared

@Suite struct WebSocketFrameEncoderTests {
    @Test func serverFramesAreUnmaskedWithMinimalLengths() {
        #expect(WebSocketFrameEncoder.text("Hello").bytes == [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])
        #expect(Array(WebSocketFrameEncoder.binary([UInt8](repeating: 0, count: 126)).prefix(4)) == [0x82, 126, 0, 126])
        #expect(Array(WebSocketFrameEncoder.binary([UInt8](repeating: 0, count: 65536)).prefix(10))
                == [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0])
        #expect(WebSocketFrameEncoder.ping([1]) == [0x89, 1, 1])
        #expect(WebSocketFrameEncoder.pong([1]) == [0x8a, 1, 1])
    }

    @Test func maskedFrameMatchesRFC6455Example() {
        let frame = WebSocketFrameEncoder.frame(.text, payload: Array("Hello".utf8), masked: true,
                                                maskingKey: [0x37, 0xfa, 0x21, 0x3d])
        #expect(frame == [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58])
    }

    @Test func serverFramesRoundTripThroughAClientDecoder() throws {
        var decoder = WebSocketFrameDecoder(configuration: .init(maxMessageSize: 100_000, role: .client))
        for length in [0, 125, 126, 65535, 65536] {
            let text = String(repeating: "é", count: length / 2)
            decoder.feed(WebSocketFrameEncoder.text(text).bytes)
            #expect(try decoder.next() == .text(text))
        }
        decoder.feed(WebSocketFrameEncoder.close(code: 4001, reason: "token expired"))
        #expect(try decoder.next() == .close(code: 4001, reason: "token expired"))
    }

    @Test func closeReasonIsCutAtACharacterBoundaryToFit() throws {
        let frame = WebSocketFrameEncoder.close(code: 1000, reason: String(repeating: "€", count: 100))
        #expect(frame.count == 2 + 2 + 123)  // 41 euro signs of 3 bytes
        var decoder = WebSocketFrameDecoder(configuration: .init(role: .client))
        decoder.feed(frame)
        #expect(try decoder.next() == .close(code: 1000, reason: String(repeating: "€", count: 41)))
    }
}

@Suite struct WebSocketHandshakeTests {
    @Test func acceptKeyMatchesRFC6455Section1_3() {
        #expect(WebSocketHandshake.acceptKey(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    static let good = ["upgrade": "websocket", "connection": "Upgrade", "sec-websocket-version": "13",
                       "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "host": "example.com"]

    func validate(_ headers: [String: String], method: String = "GET") -> Result<String, WebSocketHandshakeError> {
        WebSocketHandshake.validate(method: method) { headers[$0] }
    }

    func status(_ result: Result<String, WebSocketHandshakeError>) -> Int? {
        if case .failure(let error) = result { return error.status }
        return nil
    }

    @Test func validUpgradeGetsItsAcceptKey() throws {
        #expect(try validate(Self.good).get() == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        var browser = Self.good
        browser["connection"] = "keep-alive, Upgrade"; browser["upgrade"] = "WebSocket"
        #expect(try validate(browser).get() == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func missingOrWrongHeadersAreRefused() {
        for (name, value) in [("upgrade", nil), ("upgrade", "h2c"), ("connection", nil), ("connection", "keep-alive"),
                              ("sec-websocket-key", nil), ("sec-websocket-key", "c2hvcnQ="),
                              ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ"), ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZ!==")]
            as [(String, String?)] {
            var headers = Self.good
            headers[name] = value
            #expect(status(validate(headers)) == 400, "\(name): \(value ?? "nil")")
        }
    }

    @Test func otherVersionsGet426NamingVersion13() {
        var headers = Self.good
        headers["sec-websocket-version"] = "8"
        guard case .failure(let error) = validate(headers) else { Issue.record("accepted version 8"); return }
        #expect(error.status == 426)
        #expect(error.headers.contains { $0.name == "Sec-WebSocket-Version" && $0.value == "13" })
    }

    @Test func onlyGetCanUpgrade() {
        #expect(status(validate(Self.good, method: "POST")) == 405)
    }
}
