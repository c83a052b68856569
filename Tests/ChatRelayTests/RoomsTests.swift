import Testing
import Shared
@testable import ChatRelay

@Suite struct SubscriptionRegistryTests {
    @Test func theFirstMemberSubscribesOthersWaitThenAllAreReady() {
        var registry = SubscriptionRegistry()
        #expect(registry.join(1, .room(12)) == .subscribe)
        #expect(registry.join(2, .room(12)) == .waiting)
        #expect(registry.deliver(Events.room(12, "5-0")).isEmpty)  // not ready: the position read covers it
        #expect(registry.channelReady(.room(12), position: StreamID("10-0")!) == [1, 2])
        #expect(registry.channelReady(.room(12), position: StreamID("11-0")!) == [])  // once
        #expect(registry.join(3, .room(12)) == .ready(position: StreamID("10-0")!))
        #expect(registry.channelCount == 1)
    }

    @Test func fanOutReachesEveryMemberAndAdvancesTheLoopsPosition() {
        var registry = SubscriptionRegistry()
        _ = registry.join(1, .room(12)); _ = registry.join(2, .room(12)); _ = registry.join(3, .room(31))
        _ = registry.channelReady(.room(12), position: .zero)
        _ = registry.channelReady(.room(31), position: .zero)
        #expect(registry.deliver(Events.room(12, "5-0")) == [1, 2])
        #expect(registry.deliver(Events.room(12, "5-0")).isEmpty)   // duplicate id
        #expect(registry.deliver(Events.room(12, "4-0")).isEmpty)   // older id
        #expect(registry.deliver(Events.typing(12)) == [1, 2])      // ephemeral: no id to compare
        #expect(registry.join(4, .room(12)) == .ready(position: StreamID("5-0")!))
        #expect(registry.deliver(Events.room(99, "1-0")).isEmpty)
    }

    @Test func theLastMemberLeavingUnsubscribes() {
        var registry = SubscriptionRegistry()
        _ = registry.join(1, .room(12)); _ = registry.join(2, .room(12))
        #expect(registry.leave(1, .room(12)) == false)
        #expect(registry.leave(1, .room(12)) == false)  // twice is harmless
        #expect(registry.leave(2, .room(12)) == true)
        #expect(registry.channelCount == 0)
        #expect(registry.join(3, .room(12)) == .subscribe)  // fresh: waits for a new position
        #expect(!registry.isReady(.room(12)))
    }
}

@Suite struct UserConnectionTableTests {
    @Test func theSeventeenthConnectionClosesTheOldest() {
        var table = UserConnectionTable(limit: 16)
        for i in 0..<16 { #expect(table.add(ConnectionRef(loop: i % 2, id: UInt64(i)), for: 7).isEmpty) }
        #expect(table.add(ConnectionRef(loop: 1, id: 16), for: 7) == [ConnectionRef(loop: 0, id: 0)])
        #expect(table.connections(of: 7).count == 16)
        #expect(table.add(ConnectionRef(loop: 0, id: 100), for: 8).isEmpty)  // other users are separate
        table.remove(ConnectionRef(loop: 1, id: 1), for: 7)
        #expect(table.add(ConnectionRef(loop: 0, id: 17), for: 7).isEmpty)
        #expect(table.connections(of: 7).first == ConnectionRef(loop: 0, id: 2))
        table.remove(ConnectionRef(loop: 0, id: 100), for: 8)
        #expect(table.userCount == 1)
    }
}

@Suite struct DeadlineWheelTests {
    @Test func dueIdsComeOutOnceInDeadlineOrder() {
        var wheel = DeadlineWheel(resolution: 1_000, slotCount: 8, now: 0)
        wheel.schedule(1, at: 2_500)
        wheel.schedule(2, at: 1_200)
        wheel.schedule(3, at: 30_000)  // several rounds away
        #expect(wheel.advance(to: 999) == [])
        #expect(wheel.advance(to: 2_000) == [2])
        #expect(wheel.advance(to: 3_000) == [1])
        #expect(wheel.advance(to: 29_000) == [])
        #expect(wheel.advance(to: 30_000) == [3])
        #expect(wheel.count == 0)
    }

    @Test func movingOrCancellingADeadlineDropsTheOldEntry() {
        var wheel = DeadlineWheel(resolution: 1_000, slotCount: 8, now: 0)
        wheel.schedule(1, at: 2_000)
        wheel.schedule(1, at: 5_000)
        wheel.schedule(2, at: 2_000)
        wheel.cancel(2)
        #expect(wheel.advance(to: 4_000) == [])
        #expect(wheel.advance(to: 5_000) == [1])
    }

    @Test func aLongPauseStillFindsEverythingDue() {
        var wheel = DeadlineWheel(resolution: 100, slotCount: 4, now: 0)
        for i in 0..<20 { wheel.schedule(UInt64(i), at: UInt64(i) * 150) }
        #expect(wheel.advance(to: 100_000) == (0..<20).map(UInt64.init))
    }

    @Test func aDeadlineInThePastIsDueAtTheNextTick() {
        var wheel = DeadlineWheel(resolution: 1_000, slotCount: 8, now: 5_000)
        wheel.schedule(1, at: 10)
        #expect(wheel.advance(to: 6_000) == [1])
    }
}
