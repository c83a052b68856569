import Shared

/// One Engine.IO v4 packet in its text form: a type digit, then the data (`4hello`).
///
/// Binary packets (`b<base64>` in polling payloads, binary WebSocket frames) are not part of
/// the relay's protocol, which is JSON text only: they are refused with a clear error.
struct EngineIOPacket: Equatable, Sendable {
    enum Kind: UInt8, Sendable {
        case open = 0, close, ping, pong, message, upgrade, noop
    }

    var kind: Kind
    var data: String

    init(_ kind: Kind, _ data: String = "") {
        self.kind = kind
        self.data = data
    }

    static let ping = EngineIOPacket(.ping)
    static let pong = EngineIOPacket(.pong)
    static let close = EngineIOPacket(.close)
    static let noop = EngineIOPacket(.noop)
    static func message(_ text: String) -> EngineIOPacket { EngineIOPacket(.message, text) }

    /// The wire text: `"\(kind)\(data)"`.
    var encoded: String { String(kind.rawValue) + data }

    /// Decodes one text packet (a WebSocket text frame, or one polling payload element).
    static func decode(_ text: Substring) throws(EngineIOError) -> EngineIOPacket {
        guard let first = text.utf8.first else { throw EngineIOError("empty Engine.IO packet") }
        if first == UInt8(ascii: "b") { throw EngineIOError("binary Engine.IO packets are not supported") }
        guard first >= UInt8(ascii: "0"), first <= UInt8(ascii: "6"),
              let kind = Kind(rawValue: first - UInt8(ascii: "0")) else {
            throw EngineIOError("unknown Engine.IO packet type \(JSONText.quoted(String(text.prefix(1))))")
        }
        return EngineIOPacket(kind, String(text.dropFirst()))
    }

    static func decode(_ text: String) throws(EngineIOError) -> EngineIOPacket {
        try decode(text[...])
    }
}

/// The HTTP long-polling body of Engine.IO v4: text packets joined by the record separator
/// (0x1E), which JSON text never contains unescaped.
enum PollingPayload {
    static let separator: Character = "\u{1E}"

    static func encode(_ packets: [EngineIOPacket]) -> String {
        packets.map(\.encoded).joined(separator: String(separator))
    }

    /// - Throws: `EngineIOError` for an empty body, an empty element or a bad packet.
    static func decode(_ body: String) throws(EngineIOError) -> [EngineIOPacket] {
        guard !body.isEmpty else { throw EngineIOError("empty polling payload") }
        var packets: [EngineIOPacket] = []
        for element in body.split(separator: separator, omittingEmptySubsequences: false) {
            packets.append(try EngineIOPacket.decode(element))
        }
        return packets
    }
}

/// Malformed Engine.IO or Socket.IO input; the text says what was wrong.
struct EngineIOError: Error, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
