import Testing
@testable import Shared

@Suite struct StreamIDTests {
    @Test func comparesAsPairsOfNumbersNotStrings() {
        let a = StreamID("9-5")!, b = StreamID("10-0")!
        #expect(a < b)
        #expect("9-5" > "10-0")  // what string comparison would get wrong
        #expect(StreamID("10-1")! > StreamID("10-0")!)
    }

    @Test func rejectsMalformedIds() {
        for bad in ["", "-", "1-", "-1", "a-1", "1-2-3", "1.5-0"] { #expect(StreamID(bad) == nil, "\(bad)") }
        #expect(StreamID("12") == StreamID(milliseconds: 12, sequence: 0))
    }

    @Test func successorIsTheNextIdInOrder() {
        #expect(StreamID("5-1")!.successor == StreamID("5-2")!)
    }

    @Test func channelNamesRoundTrip() {
        #expect(ChannelName("room:12") == .room(12))
        #expect(ChannelName(redisChannel: "chat:user:7") == .user(7))
        #expect(ChannelName("room:0") == nil)
        #expect(ChannelName("room:-1") == nil)
        #expect(ChannelName("team:1") == nil)
        #expect(ChannelName.room(3).redisLogKey == "chat:room:3:log")
    }

    @Test func envelopeJSONIsValidAndCarriesReplayFlag() throws {
        let env = EventEnvelope(id: StreamID("1-0"), channel: .room(12), type: "message.created", roomId: 12,
                                occurredAt: "2026-11-24T10:00:00.123Z", dataJSON: "{\"x\":\"a\\\"b\"}")
        let text = env.json(replayed: true)
        #expect(text == #"{"v":1,"id":"1-0","channel":"room:12","type":"message.created","roomId":12,"occurredAt":"2026-11-24T10:00:00.123Z","data":{"x":"a\"b"},"replayed":true}"#)
    }
}
