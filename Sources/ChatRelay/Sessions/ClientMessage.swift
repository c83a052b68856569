import Shared

/// A text message a client sends after `welcome` (CONTRACT.md "Relay protocol").
enum ClientMessage: Equatable, Sendable {
    case resume(since: [ChannelName: StreamID])
    case typing(roomId: Int64)
    case auth(token: String)
    case ping

    /// Decodes one client text frame; the error is what the client is told.
    static func parse(_ text: String) -> Result<ClientMessage, ProtocolError> {
        let object: JSONObject
        do { object = try JSONObject(text) } catch { return .failure(.malformed(error.description)) }
        guard let type = (try? object.string("type")) ?? nil else {
            return .failure(.invalid("a message needs a string \"type\""))
        }
        switch type {
        case "ping":
            return .success(.ping)
        case "typing":
            guard let roomId = object.int("roomId"), roomId > 0 else {
                return .failure(.invalid("typing needs a positive integer \"roomId\""))
            }
            return .success(.typing(roomId: roomId))
        case "auth":
            guard let token = (try? object.string("token")) ?? nil, !token.isEmpty else {
                return .failure(.invalid("auth needs a string \"token\""))
            }
            return .success(.auth(token: token))
        case "resume":
            guard let since = (try? object.object("since")) ?? nil else {
                return .failure(.invalid("resume needs an object \"since\""))
            }
            var positions: [ChannelName: StreamID] = [:]
            for name in since.members.keys.sorted() {
                guard let channel = ChannelName(name) else {
                    return .failure(.invalid("\(name) is not a channel (room:{id} or user:{id})"))
                }
                guard let text = (try? since.string(name)) ?? nil, let id = StreamID(text) else {
                    return .failure(.invalid("since.\(name) is not a stream id"))
                }
                positions[channel] = id
            }
            return .success(.resume(since: positions))
        default:
            return .failure(.unknownType(type))
        }
    }
}

/// A client message the relay cannot act on: answered with an `error` frame, connection kept.
struct ProtocolError: Error, Equatable, Sendable {
    let code: String
    let message: String

    static func malformed(_ detail: String) -> ProtocolError { .init(code: "malformed_json", message: detail) }
    static func invalid(_ detail: String) -> ProtocolError { .init(code: "invalid_message", message: detail) }
    static func unknownType(_ type: String) -> ProtocolError {
        .init(code: "unknown_type", message: "unknown message type \(JSONText.quoted(type))")
    }
    static func notMember(_ channel: ChannelName) -> ProtocolError {
        .init(code: "not_member", message: "this connection is not subscribed to \(channel)")
    }
    static let rateLimited = ProtocolError(code: "rate_limited", message: "too many typing messages")
    static let notReady = ProtocolError(code: "not_ready", message: "wait for welcome before sending this")
    static let userMismatch = ProtocolError(code: "user_mismatch", message: "the token is for a different user")
    static func invalidToken(_ detail: String) -> ProtocolError { .init(code: "invalid_token", message: detail) }
    static let binaryUnsupported = ProtocolError(code: "unsupported_frame", message: "send text frames with JSON")
}
