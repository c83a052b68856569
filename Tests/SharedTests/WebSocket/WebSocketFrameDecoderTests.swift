import Testing
import TestSupport
@testable import Shared

@Suite struct WebSocketFrameDecoderTests {
    /// Every split of `bytes` yields `events` then `error`.
    func expectDecodes(_ bytes: [UInt8], to events: [WebSocketMessageEvent], error: WebSocketError? = nil,
                       configuration: WebSocketFrameDecoder.Configuration = .init(),
                       sourceLocation: SourceLocation = #_sourceLocation) {
        for outcome in decodeEverySplit(bytes, configuration: configuration) {
            #expect(outcome.events == events, sourceLocation: sourceLocation)
            #expect(outcome.error == error, "expected \(String(describing: error)), got \(String(describing: outcome.error))",
                    sourceLocation: sourceLocation)
        }
    }

    func expectCloseCode(_ bytes: [UInt8], _ code: UInt16, sourceLocation: SourceLocation = #_sourceLocation) {
        for outcome in decodeEverySplit(bytes) {
            #expect(outcome.error?.closeCode == code, "got \(String(describing: outcome.error))", sourceLocation: sourceLocation)
        }
    }

    @Test func decodesTheMaskedHelloOfRFC6455Section5_7() {
        expectDecodes([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58], to: [.text("Hello")])
        expectDecodes([0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58], to: [.pong])
    }

    @Test func serverRejectsUnmaskedFramesAndClientRejectsMaskedOnes() {
        expectCloseCode([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f], 1002)
        let client = WebSocketFrameDecoder.Configuration(role: .client)
        // RFC 6455 §5.7: unmasked "Hello", fragmented "Hel" + "lo", unmasked ping.
        expectDecodes([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f,
                       0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
                      to: [.text("Hello"), .text("Hello"), .ping(Array("Hello".utf8))], configuration: client)
        expectDecodes([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58], to: [],
                      error: .protocolError, configuration: client)
    }

    @Test func joinsFragmentsAroundInterleavedControlFrames() {
        let bytes = clientFrame(.text, Array("Hel".utf8), fin: false) + clientFrame(.ping, [1, 2])
            + clientFrame(.continuation, Array("l".utf8), fin: false) + clientFrame(.pong, [])
            + clientFrame(.continuation, Array("o".utf8)) + clientFrame(.binary, [9], fin: false)
            + clientFrame(.continuation, [8])
        expectDecodes(bytes, to: [.ping([1, 2]), .pong, .text("Hello"), .binary([9, 8])])
    }

    @Test func emptyFramesAndMessagesDecode() {
        expectDecodes(clientFrame(.text, []) + clientFrame(.binary, [], fin: false) + clientFrame(.continuation, [])
                      + clientFrame(.ping, []), to: [.text(""), .binary([]), .ping([])])
    }

    @Test func lengthsOfEveryEncodingDecode() {
        for length in [0, 1, 125, 126, 127, 65535, 65536] {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let outcome = decode(clientFrame(.binary, payload), split: .random,
                                 configuration: .init(maxMessageSize: 70_000))
            #expect(outcome == DecodeOutcome(events: [.binary(payload)], error: nil), "length \(length)")
        }
    }

    @Test func nonMinimalLengthsAreAllowed() {
        let sixteenBit: [UInt8] = [0x82, 0x80 | 126, 0, 3, 0, 0, 0, 0, 1, 2, 3]
        let sixtyFourBit: [UInt8] = [0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1, 2, 3]
        expectDecodes(sixteenBit + sixtyFourBit, to: [.binary([1, 2, 3]), .binary([1, 2, 3])])
    }

    @Test func sixtyFourBitLengthWithTopBitSetIsAProtocolError() {
        expectCloseCode([0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], 1002)
    }

    @Test func reservedBitsAreAProtocolError() {
        for rsv: UInt8 in [0x40, 0x20, 0x10] { expectCloseCode(rawClientFrame(firstByte: 0x81 | rsv, [0x41]), 1002) }
    }

    @Test(arguments: [3, 4, 5, 6, 7, 11, 12, 13, 14, 15] as [UInt8])
    func reservedOpcodesAreAProtocolError(opcode: UInt8) {
        expectCloseCode(rawClientFrame(firstByte: 0x80 | opcode, []), 1002)
        // Also when it arrives in the middle of a fragmented message.
        expectCloseCode(clientFrame(.text, [0x41], fin: false) + rawClientFrame(firstByte: 0x80 | opcode, []), 1002)
    }

    @Test func controlFramesOver125BytesOrFragmentedAreAProtocolError() {
        let long = [UInt8](repeating: 0x61, count: 126)
        expectCloseCode([0x89, 0x80 | 126, 0, 126, 0, 0, 0, 0] + long, 1002)
        expectCloseCode(rawClientFrame(firstByte: 0x09, [1]), 1002)      // ping without FIN
        expectCloseCode(rawClientFrame(firstByte: 0x08, []), 1002)       // close without FIN
        expectDecodes(clientFrame(.ping, [UInt8](repeating: 1, count: 125)), to: [.ping([UInt8](repeating: 1, count: 125))])
    }

    @Test func continuationWithoutStartAndDataInsideFragmentsAreProtocolErrors() {
        expectCloseCode(clientFrame(.continuation, [0x41]), 1002)
        expectCloseCode(clientFrame(.text, [0x41], fin: false) + clientFrame(.text, [0x42]), 1002)
        expectCloseCode(clientFrame(.binary, [1], fin: false) + clientFrame(.binary, [2]), 1002)
        expectDecodes(clientFrame(.text, [0x41], fin: false) + clientFrame(.ping, []) + clientFrame(.binary, [2]),
                      to: [.ping([])], error: .protocolError)
    }

    @Test func textSplitInsideACodePointAcrossFragmentsDecodes() {
        let text = Array("κόσμε 𝄞 ok".utf8)
        for cut in 1..<text.count {
            let bytes = clientFrame(.text, Array(text[..<cut]), fin: false) + clientFrame(.continuation, Array(text[cut...]))
            #expect(decode(bytes, split: .byteByByte).events == [.text("κόσμε 𝄞 ok")])
        }
    }

    @Test(arguments: [
        [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF],  // overlong
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],                                                        // surrogates
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF],                                     // > U+10FFFF
        [0x80], [0x41, 0xBF], [0xC2, 0x41], [0xE2, 0x82, 0x41],                                         // stray / broken
        [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xCE],                                                       // cut at the end
    ] as [[UInt8]])
    func invalidUTF8TextIsRejectedWith1007(bytes: [UInt8]) {
        expectCloseCode(clientFrame(.text, bytes), 1007)
        let cut = bytes.count / 2
        expectCloseCode(clientFrame(.text, Array(bytes[..<cut]), fin: false) + clientFrame(.continuation, Array(bytes[cut...])), 1007)
    }

    @Test func invalidUTF8FailsBeforeTheMessageEnds() {
        // The first fragment is already broken: no need to wait for the last one.
        expectCloseCode(clientFrame(.text, [0x41, 0xC0, 0x80], fin: false), 1007)
    }

    @Test func validEdgeCodePointsAreAccepted() {
        let edges: [[UInt8]] = [[0x7F], [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF],
                                [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF]]
        for bytes in edges { expectDecodes(clientFrame(.text, bytes), to: [.text(String(decoding: bytes, as: UTF8.self))]) }
        // Binary messages are not UTF-8 checked.
        expectDecodes(clientFrame(.binary, [0xFF, 0xC0]), to: [.binary([0xFF, 0xC0])])
    }

    @Test func messagesOverTheCapAreRejectedWith1009BeforeTheirPayloadArrives() {
        let config = WebSocketFrameDecoder.Configuration(maxMessageSize: 1000)
        // Only the header of a 2000-byte frame: refused already.
        var decoder = WebSocketFrameDecoder(configuration: config)
        decoder.feed([0x82, 0x80 | 126, 0x07, 0xD0, 1, 2, 3, 4])
        #expect(throws: WebSocketError.tooBig) { try decoder.next() }
        #expect(throws: WebSocketError.tooBig) { try decoder.next() }  // and stays failed
        // Fragments adding up past the cap.
        let half = [UInt8](repeating: 0x61, count: 600)
        let fragments = clientFrame(.text, half, fin: false) + clientFrame(.continuation, half)
        expectDecodes(fragments, to: [], error: .tooBig, configuration: config)
        // Exactly the cap is fine.
        let exact = [UInt8](repeating: 0x61, count: 1000)
        expectDecodes(clientFrame(.text, exact), to: [.text(String(repeating: "a", count: 1000))], configuration: config)
    }

    @Test func defaultCapIs64KiB() {
        #expect(WebSocketFrameDecoder().configuration.maxMessageSize == 65536)
        expectCloseCode(clientFrame(.binary, [UInt8](repeating: 0, count: 65537)), 1009)
    }

    @Test func closeFramesCarryCodeAndReason() {
        expectDecodes(clientFrame(.close, []), to: [.close(code: nil, reason: "")])
        expectDecodes(clientFrame(.close, [0x03, 0xE8] + Array("bye ✓".utf8)), to: [.close(code: 1000, reason: "bye ✓")])
        expectCloseCode(clientFrame(.close, [0x03]), 1002)
        expectCloseCode(clientFrame(.close, [0x03, 0xE8, 0xC0, 0x80]), 1007)
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] as [UInt16])
    func invalidCloseCodesAreAProtocolError(code: UInt16) {
        expectCloseCode(clientFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)]), 1002)
    }

    @Test(arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4001, 4999] as [UInt16])
    func validCloseCodesAreAccepted(code: UInt16) {
        expectDecodes(clientFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)]), to: [.close(code: code, reason: "")])
    }

    @Test func nothingIsDecodedAfterAClose() {
        expectDecodes(clientFrame(.close, [0x03, 0xE8]) + clientFrame(.text, [0x41]) + [0xFF, 0xFF],
                      to: [.close(code: 1000, reason: "")])
    }

    @Test func closeInsideAFragmentedMessageIsAccepted() {
        expectDecodes(clientFrame(.text, [0x41], fin: false) + clientFrame(.close, [0x03, 0xE9]),
                      to: [.close(code: 1001, reason: "")])
    }

    @Test func errorsAreRepeatedAndFurtherInputIgnored() throws {
        var decoder = WebSocketFrameDecoder()
        decoder.feed([0x81, 0x05])
        #expect(throws: WebSocketError.protocolError) { try decoder.next() }
        decoder.feed(clientFrame(.text, [0x41]))
        #expect(throws: WebSocketError.protocolError) { try decoder.next() }
    }

    @Test func bufferIsReleasedOnceAMessageIsOut() throws {
        var decoder = WebSocketFrameDecoder()
        let frame = clientFrame(.text, [UInt8](repeating: 0x61, count: 3000))
        decoder.feed(frame[..<1500])
        #expect(try decoder.next() == nil)
        decoder.feed(frame[1500...])
        #expect(try decoder.next() == .text(String(repeating: "a", count: 3000)))
        #expect(decoder.bufferedBytes == 0)
    }

    @Test func manyMixedMessagesSurviveRandomSplits() {
        var generator = SplitMix64(seed: 42)
        var bytes: [UInt8] = []
        var expected: [WebSocketMessageEvent] = []
        for i in 0..<200 {
            let length = Int.random(in: 0...300, using: &generator)
            let text = String((0..<length).map { _ in "aé€𝄞".randomElement(using: &generator)! })
            let utf8 = Array(text.utf8)
            if i % 3 == 0 && utf8.count > 2 {
                let cut = Int.random(in: 1..<utf8.count, using: &generator)
                bytes += clientFrame(.text, Array(utf8[..<cut]), fin: false) + clientFrame(.ping, [UInt8(i & 0xFF)])
                    + clientFrame(.continuation, Array(utf8[cut...]))
                expected += [.ping([UInt8(i & 0xFF)]), .text(text)]
            } else if i % 3 == 1 {
                bytes += clientFrame(.binary, utf8); expected.append(.binary(utf8))
            } else {
                bytes += clientFrame(.text, utf8); expected.append(.text(text))
            }
        }
        for outcome in decodeEverySplit(bytes, configuration: .init()) {
            #expect(outcome.error == nil)
            #expect(outcome.events == expected)
        }
    }

    @Test func randomAndMutatedInputNeverCrashesAndEndsInAnEventOrACloseCode() {
        var generator = SplitMix64(seed: 7)
        let valid = clientFrame(.text, Array("héllo".utf8), fin: false) + clientFrame(.ping, [1])
            + clientFrame(.continuation, Array("wörld".utf8)) + clientFrame(.close, [0x03, 0xE8])
        for round in 0..<2000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 1...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            } else {
                bytes = valid
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            let outcome = decode(bytes, split: .random, seed: UInt64(round))
            if let error = outcome.error { #expect([1002, 1007, 1009].contains(error.closeCode)) }
        }
    }
}
