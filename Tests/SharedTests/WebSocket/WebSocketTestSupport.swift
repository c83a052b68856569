@testable import Shared
import TestSupport


/// How bytes are handed to the decoder.
enum Split: CaseIterable {
    case allAtOnce, byteByByte, random
}

struct DecodeOutcome: Equatable {
    var events: [WebSocketMessageEvent]
    var error: WebSocketError?
}

/// Feeds `bytes` in the given split and collects events until the decoder needs more or fails.
func decode(_ bytes: [UInt8], split: Split, seed: UInt64 = 1,
            configuration: WebSocketFrameDecoder.Configuration = .init()) -> DecodeOutcome {
    var decoder = WebSocketFrameDecoder(configuration: configuration)
    var outcome = DecodeOutcome(events: [], error: nil)
    var generator = SplitMix64(seed: seed)
    var index = 0
    while index < bytes.count {
        let size: Int
        switch split {
        case .allAtOnce: size = bytes.count
        case .byteByByte: size = 1
        case .random: size = Int.random(in: 1...max(1, min(40, bytes.count - index)), using: &generator)
        }
        let end = min(bytes.count, index + size)
        decoder.feed(bytes[index..<end])
        index = end
        do {
            while let event = try decoder.next() { outcome.events.append(event) }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    return outcome
}

/// The same outcome whichever way the bytes are split (and several random splits).
func decodeEverySplit(_ bytes: [UInt8], configuration: WebSocketFrameDecoder.Configuration = .init())
    -> [DecodeOutcome] {
    [decode(bytes, split: .allAtOnce, configuration: configuration),
     decode(bytes, split: .byteByByte, configuration: configuration)]
        + (1...8).map { decode(bytes, split: .random, seed: $0, configuration: configuration) }
}

/// A client frame (masked).
func clientFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
    WebSocketFrameEncoder.frame(opcode, payload: payload, fin: fin, masked: true, maskingKey: [0x37, 0xfa, 0x21, 0x3d])
}

/// A masked frame from a raw first byte, for shapes the encoder refuses to make.
func rawClientFrame(firstByte: UInt8, _ payload: [UInt8]) -> [UInt8] {
    precondition(payload.count <= 125)
    return [firstByte, 0x80 | UInt8(payload.count), 0, 0, 0, 0] + payload
}
