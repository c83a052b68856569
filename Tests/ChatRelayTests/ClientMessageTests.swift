import Testing
import Shared
@testable import ChatRelay

@Suite struct ClientMessageTests {
    @Test func parsesEachMessageOfTheProtocol() {
        #expect(ClientMessage.parse(#"{"type":"ping"}"#) == .success(.ping))
        #expect(ClientMessage.parse(#"{"type":"typing","roomId":12}"#) == .success(.typing(roomId: 12)))
        #expect(ClientMessage.parse(#"{"type":"auth","token":"abc.def.ghi"}"#) == .success(.auth(token: "abc.def.ghi")))
        #expect(ClientMessage.parse(#"{"type":"resume","since":{"room:12":"5-1","user:7":"9"}}"#)
                == .success(.resume(since: [.room(12): StreamID("5-1")!, .user(7): StreamID("9-0")!])))
        #expect(ClientMessage.parse(#" {"type":"ping","extra":[1,{"x":null}]} "#) == .success(.ping))
    }

    @Test(arguments: [
        ("not json", "malformed_json"),
        (#"{"type":"ping""#, "malformed_json"),
        (#"["ping"]"#, "malformed_json"),
        (#"{"kind":"ping"}"#, "invalid_message"),
        (#"{"type":7}"#, "invalid_message"),
        (#"{"type":"typing"}"#, "invalid_message"),
        (#"{"type":"typing","roomId":"12"}"#, "invalid_message"),
        (#"{"type":"typing","roomId":0}"#, "invalid_message"),
        (#"{"type":"auth"}"#, "invalid_message"),
        (#"{"type":"auth","token":""}"#, "invalid_message"),
        (#"{"type":"resume"}"#, "invalid_message"),
        (#"{"type":"resume","since":{"team:1":"1-0"}}"#, "invalid_message"),
        (#"{"type":"resume","since":{"room:1":"x"}}"#, "invalid_message"),
        (#"{"type":"resume","since":{"room:1":5}}"#, "invalid_message"),
        (#"{"type":"dance"}"#, "unknown_type"),
    ])
    func refusesWhatItCannotActOnWithACode(_ text: String, _ code: String) {
        guard case .failure(let error) = ClientMessage.parse(text) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(error.code == code)
        #expect(!error.message.isEmpty)
    }

    @Test func serverFramesAreTheContractShapes() {
        #expect(ServerFrame.welcome(userId: 7, rooms: [31, 12], connectionId: "c1",
                                    positions: [.user(7): StreamID("1-0")!, .room(12): StreamID("2-0")!, .room(31): .zero])
                == #"{"type":"welcome","userId":7,"rooms":[12,31],"connectionId":"c1","positions":{"room:12":"2-0","room:31":"0-0","user:7":"1-0"}}"#)
        #expect(ServerFrame.resumed(channel: .room(12), complete: false) == #"{"type":"resumed","channel":"room:12","complete":false}"#)
        #expect(ServerFrame.error(.unknownType("a\"b")) == #"{"type":"error","code":"unknown_type","message":"unknown message type \"a\\\"b\""}"#)
        #expect(ServerFrame.typing(roomId: 3, userId: 9, occurredAt: "t").json()
                == #"{"v":1,"channel":"room:3","type":"typing","roomId":3,"occurredAt":"t","data":{"userId":9}}"#)
    }
}

@Suite struct TokenBucketTests {
    @Test func allowsABurstThenRefillsWithTime() {
        var bucket = TokenBucket(capacity: 3, refillPerSecond: 2, now: 0)
        // 3 at once, then 0.8 token at 400 ms, 1.0 at 500 ms; after a minute, capped at 3.
        let times: [UInt64] = [0, 0, 0, 0, 400, 500, 500, 60_000, 60_000, 60_000, 60_000]
        var taken: [Bool] = []
        for t in times { taken.append(bucket.take(now: t)) }
        #expect(taken == [true, true, true, false, false, true, false, true, true, true, false])
    }
}
