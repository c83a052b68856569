import Foundation

/// The event envelope of the contract, version 1.
///
/// `data` stays raw JSON: ChatAPI builds it from its own types, and the relay forwards it
/// without decoding, so neither side re-encodes the other's payloads.
public struct EventEnvelope: Sendable, Equatable {
    public static let version = 1

    public var id: StreamID?
    public var channel: ChannelName
    public var type: String
    public var roomId: Int64?
    public var occurredAt: String
    /// The `data` object as JSON text.
    public var dataJSON: String

    public init(id: StreamID? = nil, channel: ChannelName, type: String, roomId: Int64?,
                occurredAt: String, dataJSON: String) {
        self.id = id
        self.channel = channel
        self.type = type
        self.roomId = roomId
        self.occurredAt = occurredAt
        self.dataJSON = dataJSON
    }

    /// The envelope as one JSON object; `replayed` adds `"replayed":true` for resume.
    public func json(replayed: Bool = false) -> String {
        var out = "{\"v\":1"
        if let id { out += ",\"id\":\"\(id)\"" }
        out += ",\"channel\":\"\(channel)\",\"type\":\(JSONText.quoted(type))"
        if let roomId { out += ",\"roomId\":\(roomId)" }
        out += ",\"occurredAt\":\(JSONText.quoted(occurredAt)),\"data\":\(dataJSON)"
        if replayed { out += ",\"replayed\":true" }
        out += "}"
        return out
    }
}

/// Minimal JSON text helpers for hand-built hot-path frames.
public enum JSONText {
    /// A JSON string literal for `text`, escaped per RFC 8259.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(format: "%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }
}
