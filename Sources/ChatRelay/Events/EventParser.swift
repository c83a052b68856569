import Shared

/// Reads envelopes as they arrive from Redis: Pub/Sub messages carry the `id`, log entries
/// carry it as the stream entry id with the envelope (without `id`) in the `event` field.
enum EventParser {
    /// Parses a Pub/Sub payload. `typing` has no id (ephemeral); every logged event has one.
    static func parsePublished(_ payload: String) throws(JSONError) -> EventEnvelope {
        let object = try JSONObject(payload)
        var envelope = try envelope(from: object)
        if object.has("id") {
            guard let text = try object.string("id"), let id = StreamID(text) else {
                throw JSONError("envelope id is not a stream id")
            }
            envelope.id = id
        }
        return envelope
    }

    /// Parses a log entry: its stream id plus the `event` field's JSON.
    static func parseLogEntry(id: StreamID, event: String) throws(JSONError) -> EventEnvelope {
        var envelope = try envelope(from: JSONObject(event))
        envelope.id = id
        return envelope
    }

    private static func envelope(from object: JSONObject) throws(JSONError) -> EventEnvelope {
        guard object.int("v") == Int64(EventEnvelope.version) else { throw JSONError("unsupported envelope version") }
        guard let channelText = try object.string("channel"), let channel = ChannelName(channelText) else {
            throw JSONError("envelope channel is missing or invalid")
        }
        guard let type = try object.string("type"), !type.isEmpty else { throw JSONError("envelope type is missing") }
        let occurredAt = try object.string("occurredAt") ?? ""
        let data = object.rawText("data") ?? "{}"
        guard data.utf8.first == UInt8(ascii: "{") else { throw JSONError("envelope data is not an object") }
        let roomId: Int64?
        if object.has("roomId"), object.rawText("roomId") != "null" {
            guard let value = object.int("roomId") else { throw JSONError("envelope roomId is not an integer") }
            roomId = value
        } else {
            roomId = nil
        }
        return EventEnvelope(id: nil, channel: channel, type: type, roomId: roomId,
                             occurredAt: occurredAt, dataJSON: data)
    }
}

/// What a user-channel event asks the relay itself to do, beyond forwarding it.
enum ControlEvent: Equatable, Sendable {
    case roomJoined(roomId: Int64)
    case roomLeft(roomId: Int64)
    case userDeleted
    case sessionRevoked(sid: String)

    /// The control meaning of `envelope`, or nil for events that are only forwarded.
    init?(_ envelope: EventEnvelope) {
        guard case .user = envelope.channel else { return nil }
        let data = try? JSONObject(envelope.dataJSON)
        switch envelope.type {
        case "room.joined", "room.left":
            // `data` is the room for room.joined; accept the envelope's roomId or data.roomId too.
            guard let roomId = envelope.roomId ?? data?.int("roomId") ?? data?.int("id"), roomId > 0 else { return nil }
            self = envelope.type == "room.joined" ? .roomJoined(roomId: roomId) : .roomLeft(roomId: roomId)
        case "user.deleted":
            self = .userDeleted
        case "session.revoked":
            guard let data else { return nil }
            if let sid = (try? data.string("sid")) ?? nil {
                self = .sessionRevoked(sid: sid)
            } else if let sid = data.int("sid") {
                self = .sessionRevoked(sid: String(sid))
            } else {
                return nil
            }
        default:
            return nil
        }
    }
}
