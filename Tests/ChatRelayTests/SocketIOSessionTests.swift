import Testing
@testable import ChatRelay

@Suite struct SocketIOSessionTests {
    typealias Action = EngineIOSession.Action

    static func polling(now: UInt64 = 1_000) -> EngineIOSession {
        EngineIOSession(sid: "0.abc", transport: .polling, now: now)
    }

    @Test func theHandshakeNamesTheSidUpgradesAndTimings() {
        #expect(Self.polling().handshake.encoded
                == #"0{"sid":"0.abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":65536}"#)
        #expect(EngineIOSession(sid: "1.x", transport: .websocket, now: 0).handshake.encoded
                == #"0{"sid":"1.x","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":65536}"#)
    }

    @Test func aPollIsHeldUntilAPacketIsSentThenAnsweredWithIt() {
        var session = Self.polling()
        #expect(session.poll(now: 1_000) == [])
        #expect(session.pollHeld)
        #expect(session.send(.message("2[\"a\"]")) == [.answerPoll("42[\"a\"]")])
        #expect(!session.pollHeld)
    }

    @Test func packetsSentBetweenPollsWaitAndGoOutTogether() {
        var session = Self.polling()
        #expect(session.send(.message("a")) == [])
        #expect(session.send(.message("b")) == [])
        #expect(session.outboxBytes == 6)
        #expect(session.poll(now: 1_000) == [.answerPoll("4a\u{1E}4b")])
        #expect(session.outboxBytes == 0)
    }

    @Test func aSecondPollWhileOneIsHeldEndsTheSession() {
        var session = Self.polling()
        _ = session.poll(now: 1_000)
        let actions = session.poll(now: 1_001)
        #expect(actions == [.answerPoll("6"), .close(reason: "protocol error: overlapping polling requests")])
        #expect(!session.isOpen)
    }

    @Test func postedPacketsAreDeliveredInOrderAndPongsClearTheDeadline() {
        var session = Self.polling()
        #expect(session.tick(now: 26_000) == [])   // queued: no poll held
        #expect(session.poll(now: 26_000) == [.answerPoll("2")])
        #expect(session.receivedPolling("3\u{1E}40{\"token\":\"t\"}\u{1E}42[\"x\"]", now: 26_100)
                == [.deliver("0{\"token\":\"t\"}"), .deliver("2[\"x\"]")])
        // The pong came: no timeout at 46 s; the next ping 25 s after the pong.
        #expect(session.nextDeadline == 51_100)
        #expect(session.tick(now: 46_001) == [])
        #expect(session.isOpen)
    }

    @Test func theServerPingsEveryIntervalAndDropsAPeerWhosePongIsLate() {
        var session = EngineIOSession(sid: "0.a", transport: .websocket, now: 0)
        #expect(session.nextDeadline == 25_000)
        #expect(session.tick(now: 24_999) == [])
        #expect(session.tick(now: 25_000) == [.sendWebSocket("2")])
        #expect(session.nextDeadline == 45_000)
        #expect(session.tick(now: 44_999) == [])
        #expect(session.tick(now: 45_000) == [.close(reason: "ping timeout")])
        #expect(!session.isOpen)
        #expect(session.send(.message("late")) == [])
    }

    @Test func aClientPingIsAnsweredWithPong() {
        var session = EngineIOSession(sid: "0.a", transport: .websocket, now: 0)
        #expect(session.receivedWebSocket("2", now: 10) == [.sendWebSocket("3")])
    }

    @Test func theUpgradeProbesThenSwitchesAndFlushesWhatWaited() {
        var session = Self.polling()
        _ = session.poll(now: 1_000)
        // The probe: 3probe back, the held GET let go with a noop.
        #expect(session.receivedProbe("2probe", now: 1_100) == [.sendProbe("3probe"), .answerPoll("6")])
        #expect(session.phase == .upgrading)
        #expect(session.send(.message("2[\"welcome\"]")) == [])
        #expect(session.poll(now: 1_150) == [.answerPoll("6")])
        #expect(session.receivedProbe("5", now: 1_200) == [.upgraded, .sendWebSocket("42[\"welcome\"]")])
        #expect(session.phase == .websocket)
        #expect(session.send(.message("x")) == [.sendWebSocket("4x")])
        #expect(session.receivedWebSocket("42[\"typing\",{}]", now: 1_300) == [.deliver("2[\"typing\",{}]")])
    }

    @Test func anUpgradeWithoutProbeIsAProtocolError() {
        var session = Self.polling()
        #expect(session.receivedProbe("5", now: 1_000) == [.close(reason: #"protocol error: unexpected packet "5" during the upgrade"#)])
    }

    @Test func closingAPollingSessionHandsTheLastPacketsAndCloseToTheNextPoll() {
        var session = Self.polling()
        _ = session.send(.message("4{\"message\":\"no\"}"))
        #expect(session.close(reason: "connect refused", now: 2_000) == [])
        #expect(session.phase == .closing)
        #expect(session.poll(now: 2_100) == [.answerPoll("44{\"message\":\"no\"}\u{1E}1"), .close(reason: "connect refused")])
        #expect(!session.isOpen)
        #expect(session.poll(now: 2_200) == [.answerPoll("1")])
    }

    @Test func aClosingSessionNobodyPollsEndsAfterThePingTimeout() {
        var session = Self.polling()
        _ = session.close(reason: "bye", now: 2_000)
        #expect(session.tick(now: 21_999) == [])
        #expect(session.tick(now: 22_000) == [.close(reason: "closing timed out")])
    }

    @Test func closingAWebSocketSessionSendsCloseFirst() {
        var session = EngineIOSession(sid: "0.a", transport: .websocket, now: 0)
        #expect(session.close(reason: "token expired", now: 5) == [.sendWebSocket("1"), .close(reason: "token expired")])
    }

    @Test func theClientsCloseAndMalformedInputEndTheSession() {
        var closed = EngineIOSession(sid: "0.a", transport: .websocket, now: 0)
        #expect(closed.receivedWebSocket("1", now: 1) == [.close(reason: "client closed")])
        var bad = EngineIOSession(sid: "0.a", transport: .websocket, now: 0)
        #expect(bad.receivedWebSocket("9", now: 1) == [.close(reason: #"protocol error: unknown Engine.IO packet type "9""#)])
        var badPost = Self.polling()
        #expect(badPost.receivedPolling("", now: 1) == [.close(reason: "protocol error: empty polling payload")])
        var open = EngineIOSession(sid: "0.a", transport: .websocket, now: 0)
        #expect(open.receivedWebSocket("0", now: 1) == [.close(reason: #"protocol error: unexpected packet "0""#)])
    }

    @Test func anAbandonedPollLeavesThePacketsForTheNextOne() {
        var session = Self.polling()
        _ = session.poll(now: 1_000)
        session.pollAbandoned()
        #expect(session.send(.message("a")) == [])
        #expect(session.poll(now: 1_100) == [.answerPoll("4a")])
    }
}
