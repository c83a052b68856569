import Testing
import Shared
@testable import ChatRelay

@Suite struct EventParserTests {
    static let published = #"{"v":1,"id":"1732442400123-0","channel":"room:12","type":"message.created","roomId":12,"occurredAt":"2026-11-24T10:00:00.123Z","data":{"id":5,"body":"hi \"you\" \u00e9","marks":{}}}"#

    @Test func publishedEnvelopeKeepsDataRawAndReadsTheId() throws {
        let envelope = try EventParser.parsePublished(Self.published)
        #expect(envelope.id == StreamID("1732442400123-0"))
        #expect(envelope.channel == .room(12))
        #expect(envelope.type == "message.created")
        #expect(envelope.roomId == 12)
        #expect(envelope.dataJSON == #"{"id":5,"body":"hi \"you\" \u00e9","marks":{}}"#)
        #expect(envelope.json() == Self.published)
    }

    @Test func logEntryTakesItsIdFromTheStreamEntry() throws {
        let event = #"{"v":1,"channel":"user:7","type":"friend.added","occurredAt":"t","data":{"userId":9}}"#
        let envelope = try EventParser.parseLogEntry(id: StreamID("5-1")!, event: event)
        #expect(envelope.id == StreamID("5-1"))
        #expect(envelope.roomId == nil)
        #expect(envelope.json(replayed: true) == #"{"v":1,"id":"5-1","channel":"user:7","type":"friend.added","occurredAt":"t","data":{"userId":9},"replayed":true}"#)
    }

    @Test func typingWithoutAnIdIsAccepted() throws {
        let envelope = try EventParser.parsePublished(#"{"v":1,"channel":"room:3","type":"typing","roomId":3,"occurredAt":"t","data":{"userId":1}}"#)
        #expect(envelope.id == nil)
    }

    @Test(arguments: [
        "", "[]", "{", #"{"v":2,"channel":"room:1","type":"x","data":{}}"#,
        #"{"v":1,"channel":"team:1","type":"x","data":{}}"#,
        #"{"v":1,"channel":"room:1","data":{}}"#,
        #"{"v":1,"channel":"room:1","type":"x","data":[1]}"#,
        #"{"v":1,"id":"abc","channel":"room:1","type":"x","data":{}}"#,
        #"{"v":1,"channel":"room:1","type":"x","roomId":"12","data":{}}"#,
        #"{"v":1,"channel":"room:1","type":"x","data":{}} trailing"#,
    ])
    func malformedEnvelopesAreRefused(_ text: String) {
        #expect(throws: JSONError.self) { try EventParser.parsePublished(text) }
    }

    @Test func controlEventsAreRecognisedOnlyOnUserChannels() throws {
        func control(_ channel: String, _ type: String, _ data: String, roomId: String = "") throws -> ControlEvent? {
            let extra = roomId.isEmpty ? "" : ",\"roomId\":\(roomId)"
            return ControlEvent(try EventParser.parsePublished(
                "{\"v\":1,\"id\":\"1-0\",\"channel\":\"\(channel)\",\"type\":\"\(type)\"\(extra),\"occurredAt\":\"t\",\"data\":\(data)}"))
        }
        #expect(try control("user:7", "room.joined", #"{"id":12,"type":"group"}"#) == .roomJoined(roomId: 12))
        #expect(try control("user:7", "room.joined", "{}", roomId: "31") == .roomJoined(roomId: 31))
        #expect(try control("user:7", "room.left", #"{"roomId":4}"#) == .roomLeft(roomId: 4))
        #expect(try control("user:7", "user.deleted", "{}") == .userDeleted)
        #expect(try control("user:7", "session.revoked", #"{"sid":"abc"}"#) == .sessionRevoked(sid: "abc"))
        #expect(try control("user:7", "session.revoked", #"{"sid":42}"#) == .sessionRevoked(sid: "42"))
        #expect(try control("user:7", "session.revoked", "{}") == nil)
        #expect(try control("user:7", "friend.added", "{}") == nil)
        #expect(try control("room:7", "user.deleted", "{}") == nil)
    }
}

@Suite struct JSONObjectTests {
    @Test func decodesEscapesIncludingSurrogatePairs() throws {
        let object = try JSONObject(#"{"a":"x\n\t\"\\\/\u0041\ud83d\ude00","n":-12,"list":[1, 2 ,3],"o":{"k":"v"}}"#)
        #expect(try object.string("a") == "x\n\t\"\\/A😀")
        #expect(object.int("n") == -12)
        #expect(object.intArray("list") == [1, 2, 3])
        #expect(try object.object("o")?.string("k") == "v")
        #expect(object.int("a") == nil)
        #expect(try object.string("n") == nil)
    }

    @Test(arguments: [
        #"{"a":01}"#, #"{"a":1.}"#, #"{"a":"\x"}"#, #"{"a":tru}"#, #"{"a" 1}"#,
        #"{"a":1,}"#, #"{a:1}"#, "{\"a\":\"line\nbreak\"}", #"{"a":[1,2}"#, #"{"a":"\u12"}"#,
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONError.self) { try JSONObject(text) }
    }

    @Test func loneSurrogatesAreSyntaxButFailWhenDecoded() throws {
        // RFC 8259's grammar allows them, so raw `data` passes; reading one as a string fails.
        let object = try JSONObject(#"{"a":"\ud83d","b":"\ude00x"}"#)
        #expect(throws: JSONError.self) { try object.string("a") }
        #expect(throws: JSONError.self) { try object.string("b") }
    }

    @Test func refusesNestingDeeperThanTheLimit() throws {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONError.self) { try JSONObject("{\"a\":\(deep)}") }
        let fine = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(try JSONObject("{\"a\":\(fine)}").rawText("a") == fine)
    }
}
