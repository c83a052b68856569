import Testing
import Shared
@testable import ChatRelay

/// A registry member: the registry holds the objects themselves, the tests compare ids.
private final class Member {
    let id: UInt64
    init(_ id: UInt64) { self.id = id }
}

private struct Registry {
    var registry = SubscriptionRegistry<Member>()
    var members: [UInt64: Member] = [:]

    mutating func join(_ id: UInt64, _ channel: ChannelName) -> SubscriptionRegistry<Member>.JoinResult {
        let member = members[id] ?? Member(id)
        members[id] = member
        return registry.join(id, member, channel)
    }
    mutating func leave(_ id: UInt64, _ channel: ChannelName) -> Bool { registry.leave(id, channel) }
    /// Ids in delivery order, sorted (a fan-out has no order to promise).
    mutating func deliver(_ event: EventEnvelope) -> [UInt64] { registry.deliver(event).map(\.id).sorted() }
    mutating func channelReady(_ channel: ChannelName, position: StreamID) -> [UInt64] {
        let told = registry.channelReady(channel, position: position)
        #expect(told.allSatisfy { $0.id == $0.member.id })
        return told.map(\.id)
    }
    var channelCount: Int { registry.channelCount }
    func isReady(_ channel: ChannelName) -> Bool { registry.isReady(channel) }
}

@Suite struct SubscriptionRegistryTests {
    @Test func theFirstMemberSubscribesOthersWaitThenAllAreReady() {
        var registry = Registry()
        #expect(registry.join(1, .room(12)) == .subscribe)
        #expect(registry.join(2, .room(12)) == .waiting)
        #expect(registry.deliver(Events.room(12, "5-0")).isEmpty)  // not ready: the position read covers it
        #expect(registry.channelReady(.room(12), position: StreamID("10-0")!) == [1, 2])
        #expect(registry.channelReady(.room(12), position: StreamID("11-0")!) == [])  // once
        #expect(registry.join(3, .room(12)) == .ready(position: StreamID("10-0")!))
        #expect(registry.channelCount == 1)
    }

    @Test func fanOutReachesEveryMemberAndAdvancesTheLoopsPosition() {
        var registry = Registry()
        _ = registry.join(1, .room(12)); _ = registry.join(2, .room(12)); _ = registry.join(3, .room(31))
        _ = registry.channelReady(.room(12), position: .zero)
        _ = registry.channelReady(.room(31), position: .zero)
        #expect(registry.deliver(Events.room(12, "5-0")) == [1, 2])
        #expect(registry.deliver(Events.room(12, "5-0")).isEmpty)   // duplicate id
        #expect(registry.deliver(Events.room(12, "4-0")).isEmpty)   // older id
        #expect(registry.deliver(Events.typing(12)) == [1, 2])      // ephemeral: no id to compare
        #expect(registry.join(4, .room(12)) == .ready(position: StreamID("5-0")!))
        #expect(registry.deliver(Events.room(12, "6-0")) == [1, 2, 4])
        #expect(registry.deliver(Events.room(99, "1-0")).isEmpty)
    }

    @Test func joiningTwiceChangesNothing() {
        var registry = Registry()
        _ = registry.join(1, .room(12))
        #expect(registry.join(1, .room(12)) == .alreadyMember)
        _ = registry.channelReady(.room(12), position: .zero)
        #expect(registry.join(1, .room(12)) == .alreadyMember)
        #expect(registry.deliver(Events.room(12, "1-0")) == [1])   // once, not twice
    }

    @Test func theLastMemberLeavingUnsubscribes() {
        var registry = Registry()
        _ = registry.join(1, .room(12)); _ = registry.join(2, .room(12))
        #expect(registry.leave(1, .room(12)) == false)
        #expect(registry.leave(1, .room(12)) == false)  // twice is harmless
        #expect(registry.leave(2, .room(12)) == true)
        #expect(registry.channelCount == 0)
        #expect(registry.join(3, .room(12)) == .subscribe)  // fresh: waits for a new position
        #expect(!registry.isReady(.room(12)))
    }

    @Test func aLeaverIsReplacedByTheLastMemberAndEveryoneElseStays() {
        var registry = Registry()
        for id in UInt64(1)...5 { _ = registry.join(id, .room(7)) }
        _ = registry.channelReady(.room(7), position: .zero)
        #expect(registry.leave(2, .room(7)) == false)
        #expect(registry.leave(5, .room(7)) == false)   // the last slot itself
        #expect(registry.deliver(Events.room(7, "1-0")) == [1, 3, 4])
        #expect(registry.registry.memberIds(of: .room(7)).sorted() == [1, 3, 4])
    }

    @Test func aMemberLeavingDuringAFanOutDoesNotDisturbTheWalk() {
        var registry = Registry()
        for id in UInt64(1)...4 { _ = registry.join(id, .room(7)) }
        _ = registry.channelReady(.room(7), position: .zero)
        // What LoopHub does: walk the returned members while one of them leaves (closed with 1008).
        var reached: [UInt64] = []
        for member in registry.registry.deliver(Events.room(7, "1-0")) {
            reached.append(member.id)
            if member.id == 1 { _ = registry.leave(3, .room(7)) }
        }
        #expect(reached.sorted() == [1, 2, 3, 4])  // the walk had its own copy
        #expect(registry.deliver(Events.room(7, "2-0")) == [1, 2, 4])
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
