import Testing
import Shared
@testable import ChatRelay

@Suite struct SocketIOCodecTests {
    // MARK: Engine.IO packets

    @Test func engineIOPacketsEncodeAsTheirTypeDigitThenTheirData() {
        #expect(EngineIOPacket(.open, #"{"sid":"a"}"#).encoded == #"0{"sid":"a"}"#)
        #expect(EngineIOPacket.close.encoded == "1")
        #expect(EngineIOPacket.ping.encoded == "2")
        #expect(EngineIOPacket(.pong, "probe").encoded == "3probe")
        #expect(EngineIOPacket.message(#"2["a",1]"#).encoded == #"42["a",1]"#)
        #expect(EngineIOPacket(.upgrade).encoded == "5")
        #expect(EngineIOPacket.noop.encoded == "6")
    }

    @Test func engineIOPacketsDecodeBackToTheirTypeAndData() throws {
        #expect(try EngineIOPacket.decode("2probe") == EngineIOPacket(.ping, "probe"))
        #expect(try EngineIOPacket.decode("3") == .pong)
        #expect(try EngineIOPacket.decode("4héllo") == .message("héllo"))
        #expect(try EngineIOPacket.decode("5") == EngineIOPacket(.upgrade))
    }

    @Test(arguments: [("", "empty Engine.IO packet"),
                      ("7", #"unknown Engine.IO packet type "7""#),
                      ("x1", #"unknown Engine.IO packet type "x""#),
                      ("bAQID", "binary Engine.IO packets are not supported")])
    func malformedEngineIOPacketsAreRefusedSayingWhy(text: String, message: String) {
        #expect(throws: EngineIOError(message)) { try EngineIOPacket.decode(text) }
    }

    @Test func pollingPayloadsJoinPacketsWithTheRecordSeparator() throws {
        let packets: [EngineIOPacket] = [.message(#"2["a",{"x":1}]"#), .ping, .message("hi")]
        let payload = PollingPayload.encode(packets)
        #expect(Array(payload.utf8) == Array(#"42["a",{"x":1}]"#.utf8) + [0x1E, 0x32, 0x1E] + Array("4hi".utf8))
        #expect(try PollingPayload.decode(payload) == packets)
        #expect(try PollingPayload.decode("40") == [.message("0")])
    }

    @Test func malformedPollingPayloadsAreRefused() {
        #expect(throws: EngineIOError("empty polling payload")) { try PollingPayload.decode("") }
        #expect(throws: EngineIOError("empty Engine.IO packet")) { try PollingPayload.decode("4a\u{1E}\u{1E}2") }
        #expect(throws: EngineIOError(#"unknown Engine.IO packet type "9""#)) { try PollingPayload.decode("2\u{1E}9") }
    }

    // MARK: Socket.IO packets

    @Test func socketIOServerPacketsEncodeByteForByte() {
        #expect(SocketIOPacket.connected(sid: "abc").encoded == #"0{"sid":"abc"}"#)
        #expect(SocketIOPacket.connectError(message: #"bad "token""#).encoded == #"4{"message":"bad \"token\""}"#)
        #expect(SocketIOPacket.disconnect.encoded == "1")
        #expect(SocketIOPacket.event(name: "welcome", arguments: [#"{"a":1}"#], ackId: nil).encoded == #"2["welcome",{"a":1}]"#)
        #expect(SocketIOPacket.event(name: "x", arguments: [], ackId: 12).encoded == #"212["x"]"#)
        #expect(SocketIOPacket.eventText("message.created", #"{"v":1}"#) == #"2["message.created",{"v":1}]"#)
    }

    @Test func socketIOClientPacketsDecode() throws {
        #expect(try SocketIOPacket.decode(#"0{"token":"t"}"#) == .connect(auth: #"{"token":"t"}"#))
        #expect(try SocketIOPacket.decode("0") == .connect(auth: nil))
        #expect(try SocketIOPacket.decode("0/,") == .connect(auth: nil))
        #expect(try SocketIOPacket.decode("1") == .disconnect)
        #expect(try SocketIOPacket.decode(#"2["typing",{"roomId":12}]"#)
                == .event(name: "typing", arguments: [#"{"roomId":12}"#], ackId: nil))
        #expect(try SocketIOPacket.decode(#"27["resume",{"since":{"room:1":"5-0"}}]"#)
                == .event(name: "resume", arguments: [#"{"since":{"room:1":"5-0"}}"#], ackId: 7))
        #expect(try SocketIOPacket.decode(#"2/,["ping"]"#) == .event(name: "ping", arguments: [], ackId: nil))
    }

    @Test(arguments: [("", "empty Socket.IO packet"),
                      ("9", #"unknown Socket.IO packet type "9""#),
                      (#"0"token""#, "CONNECT data must be a JSON object"),
                      (#"0{"token":"#, "CONNECT data must be a JSON object"),
                      (#"0/chat,{}"#, #"unknown namespace "/chat""#),
                      ("2", "EVENT data must be a JSON array"),
                      (#"2{"a":1}"#, "EVENT data must be a JSON array"),
                      ("2[1,2]", "an EVENT needs its name first, a string"),
                      ("2[]", "an EVENT needs its name first, a string"),
                      (#"51-["a",{"_placeholder":true,"num":0}]"#, "binary Socket.IO packets are not supported"),
                      (#"3["ack"]"#, "a client does not send Socket.IO packet type 3 here"),
                      ("2999999999999999999[\"a\"]", "ack id out of range")])
    func malformedSocketIOPacketsAreRefusedSayingWhy(text: String, message: String) {
        #expect(throws: EngineIOError(message)) { try SocketIOPacket.decode(text) }
    }

    // MARK: relay messages as events

    @Test func relayMessagesGoOutAsEventsNamedByTheirType() {
        #expect(SocketIOFraming.event(relayText: #"{"type":"welcome","userId":7}"#) == #"2["welcome",{"type":"welcome","userId":7}]"#)
        let envelope = EventEnvelope(id: StreamID("5-1"), channel: .room(12), type: "message.created", roomId: 12,
                                     occurredAt: "2026-01-01T00:00:00.000Z", dataJSON: #"{"id":3}"#)
        #expect(SocketIOFraming.event(envelope) == #"2["message.created","# + envelope.json() + "]")
    }

    @Test func clientEventsBecomeRelayMessagesWithTheirNameAsType() throws {
        #expect(try SocketIOFraming.clientMessage(name: "typing", arguments: [#"{"roomId":12}"#]) == #"{"roomId":12,"type":"typing"}"#)
        #expect(try SocketIOFraming.clientMessage(name: "ping", arguments: []) == #"{"type":"ping"}"#)
        // The event name wins over a `type` in the argument.
        #expect(try SocketIOFraming.clientMessage(name: "auth", arguments: [#"{"type":"x","token":"t"}"#]) == #"{"token":"t","type":"auth"}"#)
        let resume = try SocketIOFraming.clientMessage(name: "resume", arguments: [#"{"since":{"room:1":"5-0"}}"#])
        #expect(ClientMessage.parse(resume) == .success(.resume(since: [.room(1): StreamID("5-0")!])))
        #expect(throws: EngineIOError(#"the argument of "typing" must be a JSON object"#)) {
            try SocketIOFraming.clientMessage(name: "typing", arguments: ["12"])
        }
    }

    @Test func theTokenComesFromTheConnectAuthObject() {
        #expect(SocketIOFraming.token(auth: #"{"token":"abc"}"#) == "abc")
        #expect(SocketIOFraming.token(auth: nil) == nil)
        #expect(SocketIOFraming.token(auth: #"{"token":""}"#) == nil)
        #expect(SocketIOFraming.token(auth: #"{"token":5}"#) == nil)
        #expect(SocketIOFraming.token(auth: #"{"jwt":"abc"}"#) == nil)
    }

    @Test func sidsNameTheirLoop() {
        let sid = SocketIOHub.makeSid(loop: 3)
        #expect(SocketIOHub.loopIndex(ofSid: sid) == 3)
        #expect(sid.count == 2 + 20)
        #expect(SocketIOHub.loopIndex(ofSid: "abc") == nil)
        #expect(SocketIOHub.loopIndex(ofSid: "-1.abc") == nil)
        #expect(SocketIOHub.loopIndex(ofSid: "x.abc") == nil)
    }
}
