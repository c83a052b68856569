import Testing
import Shared
@testable import ChatRelay

/// Builds envelopes the way the subscriber hands them over.
enum Events {
    static func room(_ roomId: Int64, _ id: String, type: String = "message.created") -> EventEnvelope {
        EventEnvelope(id: StreamID(id), channel: .room(roomId), type: type, roomId: roomId,
                      occurredAt: "t", dataJSON: "{\"n\":\"\(id)\"}")
    }
    static func user(_ userId: Int64, _ id: String, type: String, data: String = "{}", roomId: Int64? = nil) -> EventEnvelope {
        EventEnvelope(id: StreamID(id), channel: .user(userId), type: type, roomId: roomId, occurredAt: "t", dataJSON: data)
    }
    static func typing(_ roomId: Int64) -> EventEnvelope { ServerFrame.typing(roomId: roomId, userId: 2, occurredAt: "t") }
}

@Suite struct RelaySessionTests {
    static let hour: UInt64 = 3_600_000

    /// A session for user 7 taken through the start-up order to `welcome` in rooms 12 and 31.
    static func welcomed(now: UInt64 = 0, configuration: SessionConfiguration = .init()) -> RelaySession {
        var session = RelaySession(connectionId: 1, userId: 7, sid: "s1", tokenExpiresAt: now + hour, now: now,
                                   configuration: configuration)
        _ = session.start()
        _ = session.channelReady(.user(7), position: StreamID("100-0")!)
        _ = session.roomsFetched([12, 31])
        _ = session.channelReady(.room(12), position: StreamID("200-0")!)
        _ = session.channelReady(.room(31), position: StreamID("300-0")!)
        return session
    }

    @Test func startsWithTheUserChannelThenReadsRoomsThenWelcomes() {
        var session = RelaySession(connectionId: 9, userId: 7, sid: "s1", tokenExpiresAt: Self.hour, now: 0)
        #expect(session.start() == [.join(.user(7))])
        #expect(session.channelReady(.room(12), position: .zero) == [])  // not a member yet
        #expect(session.channelReady(.user(7), position: StreamID("100-0")!) == [.fetchRooms(userId: 7)])
        #expect(session.roomsFetched([31, 12, 12]) == [.join(.room(12)), .join(.room(31))])
        #expect(session.channelReady(.room(12), position: StreamID("200-0")!) == [])
        #expect(session.phase == .awaitingRooms)
        let actions = session.channelReady(.room(31), position: .zero)
        #expect(actions == [.sendText(#"{"type":"welcome","userId":7,"rooms":[12,31],"connectionId":"9","positions":{"room:12":"200-0","room:31":"0-0","user:7":"100-0"}}"#)])
        #expect(session.phase == .welcomed)
    }

    @Test func aUserWithoutRoomsIsWelcomedAtOnce() {
        var session = RelaySession(connectionId: 1, userId: 7, sid: "s1", tokenExpiresAt: Self.hour, now: 0)
        _ = session.start()
        _ = session.channelReady(.user(7), position: .zero)
        let actions = session.roomsFetched([])
        #expect(actions.count == 1)
        guard case .sendText(let text) = actions.first else { Issue.record("no welcome"); return }
        #expect(text.contains(#""rooms":[]"#))
    }

    @Test func eventsBeforeWelcomeAreHeldAndOnlyThosePastThePositionAreSent() {
        var session = RelaySession(connectionId: 1, userId: 7, sid: "s1", tokenExpiresAt: Self.hour, now: 0)
        _ = session.start()
        _ = session.channelReady(.user(7), position: StreamID("100-0")!)
        _ = session.roomsFetched([12])
        #expect(session.deliver(Events.room(12, "150-0")) == [])
        #expect(session.deliver(Events.room(12, "250-0")) == [])
        #expect(session.deliver(Events.typing(12)) == [])      // ephemeral: not held
        #expect(session.deliver(Events.room(99, "1-0")) == [])  // not a member
        let actions = session.channelReady(.room(12), position: StreamID("200-0")!)
        #expect(actions.count == 2)
        #expect(actions.last == .sendText(Events.room(12, "250-0").json()))
    }

    @Test func liveEventsAreSentOnceAndThoseAtOrBelowThePositionSkipped() {
        var session = Self.welcomed()
        #expect(session.deliver(Events.room(12, "200-0")) == [])  // the client gets it by resume
        #expect(session.deliver(Events.room(12, "200-1")) == [.sendEvent])
        #expect(session.deliver(Events.typing(12)) == [.sendEvent])
        #expect(session.deliver(Events.room(55, "900-0")) == [])
    }

    @Test func roomJoinedOnTheUserChannelJoinsTheRoomAndCatchesUpFromTheJoin() {
        var session = Self.welcomed()
        let joined = Events.user(7, "500-3", type: "room.joined", data: #"{"id":40,"type":"group"}"#)
        #expect(session.deliver(joined) == [.join(.room(40)), .sendEvent])
        #expect(session.channels.contains(.room(40)))
        #expect(session.deliver(Events.room(40, "501-0")) == [])  // held until the position is known
        let ready = session.channelReady(.room(40), position: StreamID("502-0")!)
        #expect(ready == [.replay(ReplayRequest(channel: .room(40), from: StreamID("500-0")!,
                                                through: StreamID("502-0")!, kind: .catchUp))])
        // Live events wait behind the catch-up read, then follow its entries in order.
        #expect(session.deliver(Events.room(40, "503-0")) == [])
        #expect(session.quickDelivery(Events.room(40, "504-0")) == nil)
        #expect(session.deliver(Events.room(40, "504-0")) == [])
        let request = ReplayRequest(channel: .room(40), from: StreamID("500-0")!, through: StreamID("502-0")!, kind: .catchUp)
        let caughtUp = session.replayFinished(request, result: ReplayResult(
            entries: [Events.room(40, "501-0"), Events.room(40, "502-0")], logFirstId: StreamID("1-0")))
        #expect(caughtUp == ["501-0", "502-0", "503-0", "504-0"].map { .sendText(Events.room(40, $0).json()) })
        #expect(session.deliver(Events.room(40, "505-0")) == [.sendEvent])
        #expect(session.quickDelivery(Events.room(40, "506-0")) == true)
        // Joining again is a no-op for the subscription.
        #expect(session.deliver(Events.user(7, "507-0", type: "room.joined", roomId: 40)) == [.sendEvent])
    }

    @Test func aFailedCatchUpReleasesTheHeldLiveEvents() {
        var session = Self.welcomed()
        _ = session.deliver(Events.user(7, "500-0", type: "room.joined", data: #"{"id":40}"#))
        _ = session.channelReady(.room(40), position: StreamID("502-0")!)
        #expect(session.deliver(Events.room(40, "503-0")) == [])
        let request = ReplayRequest(channel: .room(40), from: StreamID("500-0")!, through: StreamID("502-0")!, kind: .catchUp)
        #expect(session.replayFailed(request) == [.sendText(Events.room(40, "503-0").json())])
        #expect(session.deliver(Events.room(40, "504-0")) == [.sendEvent])
    }

    @Test func roomLeftLeavesTheRoomAndStopsItsEvents() {
        var session = Self.welcomed()
        let left = Events.user(7, "500-0", type: "room.left", data: #"{"roomId":12}"#)
        #expect(session.deliver(left) == [.leave(.room(12)), .sendEvent])
        #expect(session.deliver(Events.room(12, "600-0")) == [])
        #expect(session.rooms == [31])
    }

    @Test func membershipChangesDuringTheRoomReadWinOverTheRead() {
        var session = RelaySession(connectionId: 1, userId: 7, sid: "s1", tokenExpiresAt: Self.hour, now: 0)
        _ = session.start()
        _ = session.channelReady(.user(7), position: StreamID("100-0")!)
        // The set read may have happened before these changes: they must win.
        #expect(session.deliver(Events.user(7, "101-0", type: "room.left", roomId: 12)) == [])
        #expect(session.deliver(Events.user(7, "102-0", type: "room.joined", roomId: 44)) == [.join(.room(44))])
        #expect(session.roomsFetched([12, 31]) == [.join(.room(31))])
        #expect(session.rooms == [31, 44])
        _ = session.channelReady(.room(31), position: .zero)
        let welcome = session.channelReady(.room(44), position: .zero)
        // Welcome, then the two held user-channel events (both past position 100-0).
        #expect(welcome.count == 3)
    }

    @Test func userDeletedClosesWith4003AfterForwardingTheEvent() {
        var session = Self.welcomed()
        #expect(session.deliver(Events.user(7, "500-0", type: "user.deleted"))
                == [.sendEvent, .close(code: 4003, reason: "user deleted")])
        #expect(!session.isOpen)
        #expect(session.deliver(Events.room(12, "900-0")) == [])
    }

    @Test func sessionRevokedClosesOnlyThatSessionWith4002() {
        var session = Self.welcomed()
        #expect(session.deliver(Events.user(7, "500-0", type: "session.revoked", data: #"{"sid":"other"}"#)) == [.sendEvent])
        #expect(session.isOpen)
        #expect(session.deliver(Events.user(7, "501-0", type: "session.revoked", data: #"{"sid":"s1"}"#))
                == [.sendEvent, .close(code: 4002, reason: "session revoked")])
    }

    @Test func pingIsAnsweredAndBadMessagesGetAnErrorButKeepTheConnection() {
        var session = Self.welcomed()
        #expect(session.received(text: #"{"type":"ping"}"#, now: 1) == [.sendText(#"{"type":"pong"}"#)])
        for bad in ["{oops", #"{"type":"x"}"#] {
            let actions = session.received(text: bad, now: 1)
            guard case .sendText(let text) = actions.first, actions.count == 1 else { Issue.record("\(actions)"); continue }
            #expect(text.hasPrefix(#"{"type":"error","code":"#))
        }
        #expect(session.receivedBinary(now: 2) == [.sendText(ServerFrame.error(.binaryUnsupported))])
        #expect(session.isOpen)
    }

    @Test func typingIsForMembersOnlyAndRateLimited() {
        var config = SessionConfiguration()
        config.typingBurst = 2
        config.typingPerSecond = 1
        var session = Self.welcomed(configuration: config)
        #expect(session.received(text: #"{"type":"typing","roomId":99}"#, now: 0)
                == [.sendText(ServerFrame.error(.notMember(.room(99))))])
        #expect(session.received(text: #"{"type":"typing","roomId":12}"#, now: 0) == [.publishTyping(roomId: 12, userId: 7)])
        #expect(session.received(text: #"{"type":"typing","roomId":31}"#, now: 0) == [.publishTyping(roomId: 31, userId: 7)])
        #expect(session.received(text: #"{"type":"typing","roomId":12}"#, now: 10) == [.sendText(ServerFrame.error(.rateLimited))])
        #expect(session.received(text: #"{"type":"typing","roomId":12}"#, now: 1_010) == [.publishTyping(roomId: 12, userId: 7)])
    }

    @Test func typingAndResumeBeforeWelcomeAreRefused() {
        var session = RelaySession(connectionId: 1, userId: 7, sid: "s1", tokenExpiresAt: Self.hour, now: 0)
        _ = session.start()
        #expect(session.received(text: #"{"type":"typing","roomId":12}"#, now: 0) == [.sendText(ServerFrame.error(.notReady))])
        #expect(session.received(text: #"{"type":"resume","since":{}}"#, now: 0) == [.sendText(ServerFrame.error(.notReady))])
    }

    @Test func authWithAFreshTokenExtendsTheConnection() {
        var session = Self.welcomed()
        #expect(session.received(text: #"{"type":"auth","token":"t2"}"#, now: 5) == [.verifyToken("t2")])
        #expect(session.tokenVerified(userId: 7, sid: "s2", expiresAt: 2 * Self.hour) == [])
        #expect(session.sid == "s2")
        session.heardFromPeer(now: Self.hour)
        #expect(session.tick(now: Self.hour + 1) == [.sendPing])  // past the old expiry, still open
        #expect(session.isOpen)
        #expect(session.tokenVerified(userId: 8, sid: "s3", expiresAt: 3 * Self.hour) == [.sendText(ServerFrame.error(.userMismatch))])
        #expect(session.sid == "s2")
        #expect(session.tokenRejected("expired") == [.sendText(ServerFrame.error(.invalidToken("expired")))])
        #expect(session.isOpen)
    }

    @Test func anExpiredTokenClosesWith4001() {
        var session = RelaySession(connectionId: 1, userId: 7, sid: "s1", tokenExpiresAt: 10_000, now: 0)
        _ = session.start()
        _ = session.channelReady(.user(7), position: .zero)
        _ = session.roomsFetched([])
        #expect(session.nextDeadline == 10_000)
        #expect(session.tick(now: 9_999) == [])
        #expect(session.tick(now: 10_000) == [.close(code: 4001, reason: "token expired")])
        #expect(session.tick(now: 10_001) == [])
    }

    @Test func pingsEvery25SecondsAndDropsAPeerSilentFor60() {
        var session = Self.welcomed()
        #expect(session.nextDeadline == 25_000)
        #expect(session.tick(now: 24_999) == [])
        #expect(session.tick(now: 25_000) == [.sendPing])
        #expect(session.nextDeadline == 50_000)
        session.heardFromPeer(now: 30_000)  // the pong
        #expect(session.tick(now: 50_000) == [.sendPing])
        #expect(session.tick(now: 75_000) == [.sendPing])
        #expect(session.nextDeadline == 90_000)
        #expect(session.tick(now: 90_000) == [.drop(reason: "peer silent")])
        #expect(!session.isOpen)
    }

    @Test func aSessionThatNeverGetsItsSubscriptionsIsClosedWith1011() {
        var session = RelaySession(connectionId: 1, userId: 7, sid: "s1", tokenExpiresAt: Self.hour, now: 0)
        _ = session.start()
        #expect(session.nextDeadline == 15_000)
        #expect(session.tick(now: 15_000) == [.close(code: 1011, reason: "subscriptions not ready in time, retry")])
    }

    @Test func aFailedRoomReadClosesSoTheClientRetries() {
        var session = RelaySession(connectionId: 1, userId: 7, sid: "s1", tokenExpiresAt: Self.hour, now: 0)
        _ = session.start()
        _ = session.channelReady(.user(7), position: .zero)
        #expect(session.roomsFetchFailed() == [.close(code: 1011, reason: "room membership unavailable, retry")])
    }

    @Test func drainAndEvictionCloseWithTheirCodes() {
        var a = Self.welcomed(), b = Self.welcomed()
        #expect(a.drain() == [.close(code: 1001, reason: "server shutting down")])
        #expect(a.drain() == [])
        #expect(b.evict() == [.close(code: 1008, reason: "too many connections for this user")])
        #expect(Set(b.closed()) == [.user(7), .room(12), .room(31)])
    }

    @Test func tooManyEventsBeforeWelcomeClosesWithPolicy() {
        var config = SessionConfiguration()
        config.maxPendingEvents = 2
        var session = RelaySession(connectionId: 1, userId: 7, sid: "s1", tokenExpiresAt: Self.hour, now: 0, configuration: config)
        _ = session.start()
        _ = session.channelReady(.user(7), position: .zero)
        _ = session.roomsFetched([12])
        _ = session.deliver(Events.room(12, "1-0"))
        _ = session.deliver(Events.room(12, "2-0"))
        #expect(session.deliver(Events.room(12, "3-0")) == [.close(code: 1008, reason: "too many events before the subscription was ready")])
    }
}

@Suite struct RelaySessionLivenessOffTests {
    @Test func withoutPingSettingsOnlyTheTokenDrivesTheDeadline() {
        var config = SessionConfiguration()
        config.pingInterval = nil
        config.silenceTimeout = nil
        var session = RelaySessionTests.welcomed(configuration: config)
        #expect(session.nextDeadline == RelaySessionTests.hour)
        #expect(session.tick(now: RelaySessionTests.hour - 1) == [])
        #expect(session.tick(now: RelaySessionTests.hour) == [.close(code: 4001, reason: "token expired")])
    }
}

@Suite struct QuickDeliveryTests {
    @Test func theFastPathAgreesWithDeliverAndDefersControlEvents() {
        var session = RelaySessionTests.welcomed()
        let events = [Events.room(12, "200-0"), Events.room(12, "201-0"), Events.typing(12), Events.room(31, "1-0"),
                      Events.room(99, "5-0"), Events.user(7, "500-0", type: "friend.added")]
        let expected: [Bool?] = [false, true, true, false, nil, nil]
        #expect(events.map { session.quickDelivery($0) } == expected)
        for (event, quick) in zip(events, expected) {
            guard let quick else { continue }
            #expect((session.deliver(event) == [.sendEvent]) == quick)
        }
        var connecting = RelaySession(connectionId: 1, userId: 7, sid: "s", tokenExpiresAt: 1_000, now: 0)
        _ = connecting.start()
        #expect(connecting.quickDelivery(Events.room(12, "1-0")) == nil)
    }

    @Test func aChannelKnownLiveIsForgottenWhenTheSessionChanges() {
        var session = RelaySessionTests.welcomed()
        #expect(session.quickDelivery(Events.room(12, "201-0")) == true)   // from here on: live
        #expect(session.liveChannel == .room(12))
        #expect(session.quickDelivery(Events.typing(12)) == true)
        _ = session.deliver(Events.user(7, "600-0", type: "room.left", roomId: 12))
        #expect(session.liveChannel == nil)
        #expect(session.quickDelivery(Events.room(12, "601-0")) == nil)    // not a member any more
        #expect(session.deliver(Events.room(12, "601-0")) == [])

        var closing = RelaySessionTests.welcomed()
        _ = closing.quickDelivery(Events.room(12, "201-0"))
        _ = closing.closed()
        #expect(closing.quickDelivery(Events.room(12, "202-0")) == nil)
    }
}
