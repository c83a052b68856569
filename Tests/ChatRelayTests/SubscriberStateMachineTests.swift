import Testing
import Shared
@testable import ChatRelay

@Suite struct SubscriberStateMachineTests {
    static func message(_ roomId: Int64, _ id: String?) -> SubscriberReply {
        let idPart = id.map { ",\"id\":\"\($0)\"" } ?? ""
        return .message(channel: "chat:room:\(roomId)",
                        payload: "{\"v\":1\(idPart),\"channel\":\"room:\(roomId)\",\"type\":\"message.created\",\"roomId\":\(roomId),\"occurredAt\":\"t\",\"data\":{}}")
    }

    static func delivered(_ actions: [SubscriberAction]) -> [String] {
        actions.compactMap { if case .deliver(let e, _) = $0 { e.id?.description ?? "ephemeral" } else { nil } }
    }

    /// Connected, with room:12 wanted by loop 0 and positioned at 10-0.
    static func liveMachine() -> SubscriberStateMachine {
        var machine = SubscriberStateMachine(jitter: { 1 })
        _ = machine.start(now: 0)
        _ = machine.socketOpened(link: 1, now: 0)
        _ = machine.want(.room(12), loop: 0)
        _ = machine.received(.subscribed(channel: "chat:room:12"), now: 0)
        _ = machine.positionFetched(.room(12), token: 1, position: StreamID("10-0"))
        return machine
    }

    @Test func subscribesOnFirstWantThenReadsThePositionAfterTheConfirmation() {
        var machine = SubscriberStateMachine(jitter: { 1 })
        #expect(machine.start(now: 0) == [.connect(link: 1)])
        #expect(machine.want(.room(12), loop: 0) == [])  // not connected yet: sent on open
        #expect(machine.socketOpened(link: 1, now: 5) == [.send(["SUBSCRIBE", "chat:room:12"])])
        #expect(machine.want(.room(12), loop: 1) == [])
        #expect(machine.want(.user(7), loop: 1) == [.send(["SUBSCRIBE", "chat:user:7"])])
        #expect(machine.received(Self.message(12, "9-0"), now: 6) == [])  // before the confirmation: covered by the read
        #expect(machine.received(.subscribed(channel: "chat:room:12"), now: 6) == [.fetchPosition(.room(12), token: 1)])
        #expect(machine.received(Self.message(12, "11-0"), now: 7) == [])  // held during the read
        #expect(machine.received(Self.message(12, "10-0"), now: 7) == [])
        let actions = machine.positionFetched(.room(12), token: 1, position: StreamID("10-0"))
        #expect(actions.first == .ready(.room(12), position: StreamID("10-0")!, loops: [0, 1]))
        #expect(Self.delivered(actions) == ["11-0"])
        #expect(machine.want(.room(12), loop: 2) == [.ready(.room(12), position: StreamID("11-0")!, loops: [2])])
    }

    @Test func liveEventsAreDedupedByIdAndEphemeralOnesPassThrough() {
        var machine = Self.liveMachine()
        #expect(Self.delivered(machine.received(Self.message(12, "11-0"), now: 1)) == ["11-0"])
        #expect(Self.delivered(machine.received(Self.message(12, "11-0"), now: 1)) == [])
        #expect(Self.delivered(machine.received(Self.message(12, "10-5"), now: 1)) == [])
        #expect(Self.delivered(machine.received(Self.message(12, nil), now: 1)) == ["ephemeral"])
        #expect(machine.stats.duplicatesDropped == 2)
        #expect(machine.stats.eventsReceived == 4)
        #expect(machine.received(Self.message(99, "1-0"), now: 1) == [])  // not subscribed here
    }

    @Test func malformedOrMisroutedMessagesAreDiscardedNotDelivered() {
        var machine = Self.liveMachine()
        let bad = machine.received(.message(channel: "chat:room:12", payload: "{nope"), now: 1)
        guard case .discarded = bad.first else { Issue.record("\(bad)"); return }
        let misrouted = machine.received(.message(channel: "chat:room:12", payload:
            #"{"v":1,"id":"50-0","channel":"room:13","type":"x","data":{}}"#), now: 1)
        guard case .discarded = misrouted.first else { Issue.record("\(misrouted)"); return }
        #expect(machine.stats.discarded == 2)
        #expect(machine.isConnected)
    }

    @Test func theLastUnwantUnsubscribesAndAQuickRewantWaitsForItsOwnConfirmation() {
        var machine = Self.liveMachine()
        _ = machine.want(.room(12), loop: 1)
        #expect(machine.unwant(.room(12), loop: 0) == [])
        #expect(machine.unwant(.room(12), loop: 1) == [.send(["UNSUBSCRIBE", "chat:room:12"])])
        #expect(machine.channelCount == 0)
        #expect(machine.want(.room(12), loop: 0) == [.send(["SUBSCRIBE", "chat:room:12"])])
        #expect(machine.received(.unsubscribed(channel: "chat:room:12"), now: 1) == [])
        #expect(machine.received(.subscribed(channel: "chat:room:12"), now: 1) == [.fetchPosition(.room(12), token: 2)])
        // Two SUBSCRIBEs in flight: only the second confirmation starts the read.
        _ = machine.unwant(.room(12), loop: 0)
        _ = machine.want(.room(12), loop: 0)
        _ = machine.unwant(.room(12), loop: 0)
        _ = machine.want(.room(12), loop: 0)
        #expect(machine.received(.subscribed(channel: "chat:room:12"), now: 2) == [])
        #expect(machine.received(.subscribed(channel: "chat:room:12"), now: 2) == [.fetchPosition(.room(12), token: 3)])
    }

    @Test func pingsWhenIdleAndReconnectsWhenThePongIsLate() {
        var machine = Self.liveMachine()
        #expect(machine.nextDeadline == 5_000)
        #expect(machine.tick(now: 4_999) == [])
        #expect(machine.tick(now: 5_000) == [.send(["PING"])])
        #expect(machine.received(.pong, now: 6_000) == [])
        #expect(machine.tick(now: 10_999) == [])
        #expect(machine.tick(now: 11_000) == [.send(["PING"])])
        #expect(machine.tick(now: 15_999) == [])
        #expect(machine.tick(now: 16_000) == [.closeSocket])
        #expect(machine.stats.linkLosses == 1)
        #expect(machine.link == .waitingToReconnect(at: 16_100))
        #expect(machine.socketClosed(link: 1, now: 16_001) == [])  // our own close reported back
        #expect(machine.tick(now: 16_100) == [.connect(link: 2)])
        // Only an attempt that opens counts as a reconnect.
        #expect(machine.stats.reconnects == 0)
        _ = machine.socketOpened(link: 2, now: 16_200)
        #expect(machine.stats.reconnects == 1)
    }

    @Test func reconnectBacksOffExponentiallyUpToTheCap() {
        var machine = SubscriberStateMachine(jitter: { 1 })
        var now: UInt64 = 0
        _ = machine.start(now: now)
        var delays: [UInt64] = []
        for link in 1...8 {
            #expect(machine.socketClosed(link: UInt64(link), now: now) == [])
            guard case .waitingToReconnect(let at) = machine.link else { Issue.record("not waiting"); return }
            delays.append(at - now)
            now = at
            #expect(machine.tick(now: now) == [.connect(link: UInt64(link + 1))])
        }
        #expect(delays == [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000])
        _ = machine.socketOpened(link: 9, now: now)
        _ = machine.socketClosed(link: 9, now: now)
        guard case .waitingToReconnect(let at) = machine.link else { Issue.record("not waiting"); return }
        #expect(at - now == 100)  // a successful connection resets the back-off
        #expect(Backoff().delay(attempt: 3, jitter: 0) == 400)
    }

    @Test func aConnectThatHangsTimesOut() {
        var machine = SubscriberStateMachine(jitter: { 1 })
        _ = machine.start(now: 0)
        #expect(machine.tick(now: 2_999) == [])
        #expect(machine.tick(now: 3_000) == [.closeSocket])
        #expect(machine.socketOpened(link: 1, now: 3_001) == [])  // the stale socket is ignored
    }

    @Test func afterAReconnectEveryChannelIsResubscribedAndBackfilledFromTheLastDeliveredId() {
        var machine = Self.liveMachine()
        _ = machine.received(Self.message(12, "11-0"), now: 1)
        _ = machine.socketClosed(link: 1, now: 2)
        _ = machine.want(.room(31), loop: 1)  // wanted while down: subscribed on reconnect
        #expect(machine.tick(now: 102) == [.connect(link: 2)])
        #expect(machine.socketOpened(link: 2, now: 103) == [.send(["SUBSCRIBE", "chat:room:12", "chat:room:31"])])
        #expect(machine.received(.subscribed(channel: "chat:room:12"), now: 104)
                == [.fetchBackfill(.room(12), after: StreamID("11-0")!, count: 500, token: 2)])
        #expect(machine.received(Self.message(12, "14-0"), now: 105) == [])  // held during the backfill
        let entries = ["12-0", "13-0", "14-0"].map { Events.room(12, $0) }
        #expect(Self.delivered(machine.backfillFetched(.room(12), token: 2, entries: entries)) == ["12-0", "13-0", "14-0"])
        #expect(Self.delivered(machine.received(Self.message(12, "15-0"), now: 106)) == ["15-0"])
        #expect(machine.stats.backfilled == 3)
        #expect(machine.stats.duplicatesDropped == 1)
        #expect(machine.received(.subscribed(channel: "chat:room:31"), now: 106) == [.fetchPosition(.room(31), token: 3)])
    }

    @Test func backfillPagesUntilAShortPage() {
        var config = SubscriberConfiguration()
        config.backfillPageSize = 2
        var machine = SubscriberStateMachine(configuration: config, jitter: { 1 })
        _ = machine.start(now: 0)
        _ = machine.socketOpened(link: 1, now: 0)
        _ = machine.want(.room(12), loop: 0)
        _ = machine.received(.subscribed(channel: "chat:room:12"), now: 0)
        _ = machine.positionFetched(.room(12), token: 1, position: StreamID("10-0"))
        _ = machine.socketClosed(link: 1, now: 1)
        _ = machine.tick(now: 101)
        _ = machine.socketOpened(link: 2, now: 101)
        _ = machine.received(.subscribed(channel: "chat:room:12"), now: 101)
        let first = machine.backfillFetched(.room(12), token: 2, entries: [Events.room(12, "11-0"), Events.room(12, "12-0")])
        #expect(first.last == .fetchBackfill(.room(12), after: StreamID("12-0")!, count: 2, token: 3))
        #expect(machine.backfillFetched(.room(12), token: 2, entries: [Events.room(12, "99-0")]) == [])  // stale token
        #expect(Self.delivered(machine.backfillFetched(.room(12), token: 3, entries: [Events.room(12, "13-0")])) == ["13-0"])
    }

    @Test func aFailedReadIsRetriedWhileLiveEventsWait() {
        var machine = SubscriberStateMachine(jitter: { 1 })
        _ = machine.start(now: 0)
        _ = machine.socketOpened(link: 1, now: 0)
        _ = machine.want(.room(12), loop: 0)
        _ = machine.received(.subscribed(channel: "chat:room:12"), now: 0)
        _ = machine.received(Self.message(12, "5-0"), now: 10)
        #expect(machine.fetchFailed(.room(12), token: 1, now: 100) == [])
        #expect(machine.nextDeadline == 1_100)
        #expect(machine.tick(now: 1_100) == [.fetchPosition(.room(12), token: 2)])
        let actions = machine.positionFetched(.room(12), token: 2, position: nil)
        #expect(actions.first == .ready(.room(12), position: .zero, loops: [0]))
        #expect(Self.delivered(actions) == ["5-0"])
    }

    @Test func onlyTheFailedChannelIsRetriedAndAnUnwantedOneNever() {
        var machine = SubscriberStateMachine(jitter: { 1 })
        _ = machine.start(now: 0)
        _ = machine.socketOpened(link: 1, now: 0)
        for room in Int64(1)...200 {
            _ = machine.want(.room(room), loop: 0)
            _ = machine.received(.subscribed(channel: "chat:room:\(room)"), now: 0)
        }
        // Reads 1...200 took tokens 1...200; rooms 7 and 9 fail, the rest are answered.
        for room in Int64(1)...200 where room != 7 && room != 9 {
            _ = machine.positionFetched(.room(room), token: UInt64(room), position: nil)
        }
        _ = machine.fetchFailed(.room(7), token: 7, now: 100)
        _ = machine.fetchFailed(.room(9), token: 9, now: 100)
        _ = machine.unwant(.room(9), loop: 0)
        #expect(machine.tick(now: 500) == [])
        #expect(machine.tick(now: 1_100) == [.fetchPosition(.room(7), token: 201)])
        #expect(machine.tick(now: 2_200) == [])
    }

    @Test func anOverflowingHoldBufferReadsTheLogAgainInsteadOfGrowing() {
        var config = SubscriberConfiguration()
        config.maxBufferedEvents = 2
        var machine = SubscriberStateMachine(configuration: config, jitter: { 1 })
        _ = machine.start(now: 0)
        _ = machine.socketOpened(link: 1, now: 0)
        _ = machine.want(.room(12), loop: 0)
        _ = machine.received(.subscribed(channel: "chat:room:12"), now: 0)
        for id in ["11-0", "12-0", "13-0"] { _ = machine.received(Self.message(12, id), now: 1) }
        let actions = machine.positionFetched(.room(12), token: 1, position: StreamID("10-0"))
        #expect(actions == [.ready(.room(12), position: StreamID("10-0")!, loops: [0]),
                            .fetchBackfill(.room(12), after: StreamID("10-0")!, count: 500, token: 2)])
        let entries = ["11-0", "12-0", "13-0"].map { Events.room(12, $0) }
        #expect(Self.delivered(machine.backfillFetched(.room(12), token: 2, entries: entries)) == ["11-0", "12-0", "13-0"])
    }

    @Test func anErrorReplyDropsTheLink() {
        var machine = Self.liveMachine()
        let actions = machine.received(.error("ERR boom"), now: 1)
        #expect(actions.last == .closeSocket)
        #expect(!machine.isConnected)
    }
}
