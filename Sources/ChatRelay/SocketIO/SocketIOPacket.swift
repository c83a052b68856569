import Foundation
import Shared

/// A Socket.IO v5 packet (the protocol of Socket.IO v3/v4 clients), main namespace only,
/// as carried in an Engine.IO `message` packet: type digit, optional namespace, optional ack
/// id, JSON data (`42["typing",{"roomId":12}]`).
enum SocketIOPacket: Equatable, Sendable {
    /// `0` with the client's `auth` object (its raw JSON text), nil when none was sent.
    case connect(auth: String?)
    /// `0{"sid":"..."}` from the server: the namespace is joined.
    case connected(sid: String)
    /// `4{"message":"..."}`: the connection to the namespace was refused.
    case connectError(message: String)
    /// `1`: leave the namespace.
    case disconnect
    /// `2["name",arg...]`: each argument is its own JSON text; `ackId` when the client asked
    /// for an acknowledgement (the relay sends none: its answers are events).
    case event(name: String, arguments: [String], ackId: Int?)

    enum Kind: UInt8 { case connect = 0, disconnect, event, ack, connectError, binaryEvent, binaryAck }

    /// The text inside the Engine.IO message packet.
    var encoded: String {
        switch self {
        case .connect(let auth): return "0" + (auth ?? "")
        case .connected(let sid): return "0{\"sid\":\(JSONText.quoted(sid))}"
        case .connectError(let message): return "4{\"message\":\(JSONText.quoted(message))}"
        case .disconnect: return "1"
        case .event(let name, let arguments, let ackId):
            return "2" + (ackId.map(String.init) ?? "") + "[" + ([JSONText.quoted(name)] + arguments).joined(separator: ",") + "]"
        }
    }

    /// An event whose argument is already-encoded JSON (an envelope, a relay frame).
    static func eventText(_ name: String, _ argument: String) -> String {
        "2[" + JSONText.quoted(name) + "," + argument + "]"
    }

    /// Decodes what a client sends: CONNECT, DISCONNECT, EVENT. Everything else, other
    /// namespaces and binary attachments are refused with a message naming the problem.
    static func decode(_ text: String) throws(EngineIOError) -> SocketIOPacket {
        var rest = Substring(text)
        guard let first = rest.utf8.first else { throw EngineIOError("empty Socket.IO packet") }
        guard first >= UInt8(ascii: "0"), first <= UInt8(ascii: "6"),
              let kind = Kind(rawValue: first - UInt8(ascii: "0")) else {
            throw EngineIOError("unknown Socket.IO packet type \(JSONText.quoted(String(rest.prefix(1))))")
        }
        rest = rest.dropFirst()
        if kind == .binaryEvent || kind == .binaryAck { throw EngineIOError("binary Socket.IO packets are not supported") }
        if rest.first == "/" {
            let end = rest.firstIndex(of: ",") ?? rest.endIndex
            let namespace = rest[..<end]
            guard namespace == "/" else { throw EngineIOError("unknown namespace \(JSONText.quoted(String(namespace)))") }
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
        }
        switch kind {
        case .connect:
            if rest.isEmpty { return .connect(auth: nil) }
            guard rest.first == "{", (try? JSONSerialization.jsonObject(with: Data(rest.utf8))) is [String: Any] else {
                throw EngineIOError("CONNECT data must be a JSON object")
            }
            return .connect(auth: String(rest))
        case .disconnect:
            return .disconnect
        case .event:
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            let ackId: Int?
            if digits.isEmpty { ackId = nil } else {
                guard digits.count <= 15, let id = Int(digits) else { throw EngineIOError("ack id out of range") }
                ackId = id
            }
            rest = rest.dropFirst(digits.count)
            guard rest.first == "[",
                  let array = try? JSONSerialization.jsonObject(with: Data(rest.utf8)) as? [Any] else {
                throw EngineIOError("EVENT data must be a JSON array")
            }
            guard let name = array.first as? String else { throw EngineIOError("an EVENT needs its name first, a string") }
            var arguments: [String] = []
            for value in array.dropFirst() {
                guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]) else {
                    throw EngineIOError("EVENT argument is not JSON")
                }
                arguments.append(String(decoding: data, as: UTF8.self))
            }
            return .event(name: name, arguments: arguments, ackId: ackId)
        case .ack, .connectError:
            throw EngineIOError("a client does not send Socket.IO packet type \(kind.rawValue) here")
        case .binaryEvent, .binaryAck:
            throw EngineIOError("binary Socket.IO packets are not supported")
        }
    }
}
