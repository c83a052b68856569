import Foundation
import Shared

/// Between the relay protocol's JSON messages and Socket.IO events: a relay message
/// `{"type":"welcome",...}` goes out (in an Engine.IO message) as `42["welcome",{"type":"welcome",...}]`; a client event
/// `42["typing",{"roomId":12}]` comes in as the relay message `{"roomId":12,"type":"typing"}`.
enum SocketIOFraming {
    /// The Socket.IO text of a relay message as its event (named by its `type`).
    static func event(relayText text: String) -> String {
        let type = (try? JSONObject(text).string("type")) ?? nil
        return SocketIOPacket.eventText(type ?? "message", text)
    }

    /// The Socket.IO text of a live envelope as its event.
    static func event(_ envelope: EventEnvelope) -> String {
        SocketIOPacket.eventText(envelope.type, envelope.json())
    }

    /// The relay client message an event stands for: its argument (an object, or nothing)
    /// with `type` set to the event's name.
    static func clientMessage(name: String, arguments: [String]) throws(EngineIOError) -> String {
        var object: [String: Any] = [:]
        if let first = arguments.first {
            guard let decoded = try? JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any] else {
                throw EngineIOError("the argument of \(JSONText.quoted(name)) must be a JSON object")
            }
            object = decoded
        }
        object["type"] = name
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            throw EngineIOError("the argument of \(JSONText.quoted(name)) is not JSON")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The access token of a CONNECT packet's `auth` object (`{"token":"..."}`).
    static func token(auth: String?) -> String? {
        guard let auth, let object = try? JSONObject(auth), let token = (try? object.string("token")) ?? nil,
              !token.isEmpty else { return nil }
        return token
    }
}
