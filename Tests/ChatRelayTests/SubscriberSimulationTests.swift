import Testing
import TestSupport
import Shared
@testable import ChatRelay

/// Drives the subscriber against a model of Redis with random interleavings of publishes,
/// replies, log reads and disconnects, and checks what every loop receives.
@Suite struct SubscriberSimulationTests {

    enum Fetch { case position(ChannelName, UInt64), backfill(ChannelName, StreamID, Int, UInt64) }
    enum Answer {
        case failed(ChannelName, token: UInt64)
        case position(ChannelName, token: UInt64, StreamID?)
        case entries(ChannelName, token: UInt64, [EventEnvelope])
    }

    struct World {
        var machine = SubscriberStateMachine(configuration: {
            var c = SubscriberConfiguration(); c.backfillPageSize = 3; c.maxBufferedEvents = 4; return c
        }(), jitter: { 0.5 })
        var now: UInt64 = 0
        var log: [ChannelName: [StreamID]] = [:]
        var clock: UInt64 = 1
        /// Redis side of the socket: subscriptions in effect, replies not yet read.
        var socketUp = false
        var linkId: UInt64 = 0
        var redisSubscribed: Set<ChannelName> = []
        var replies: [SubscriberReply] = []
        var fetches: [Fetch] = []
        /// Reads Redis has executed whose answers are still on their way (events published
        /// meanwhile arrive live, possibly first: the race the hold buffer exists for).
        var answers: [Answer] = []
        /// What each loop received after being told ready: per channel, ids in arrival order.
        var ready: [Int: [ChannelName: StreamID]] = [:]
        var received: [Int: [ChannelName: [StreamID]]] = [:]

        mutating func apply(_ actions: [SubscriberAction]) {
            for action in actions {
                switch action {
                case .connect(let link): linkId = link; socketUp = false; pendingOpen = true
                case .send(let command): redisExecute(command)
                case .closeSocket: socketUp = false; replies = []; redisSubscribed = []
                case .fetchPosition(let c, let t): fetches.append(.position(c, t))
                case .fetchBackfill(let c, let a, let n, let t): fetches.append(.backfill(c, a, n, t))
                case .ready(let c, let p, let loops):
                    for loop in loops {
                        #expect(ready[loop, default: [:]][c] == nil, "ready twice")
                        ready[loop, default: [:]][c] = p
                    }
                case .deliver(let event, let loops):
                    for loop in loops { received[loop, default: [:]][event.channel, default: []].append(event.id!) }
                case .discarded(let reason): Issue.record("discarded: \(reason)")
                }
            }
        }
        var pendingOpen = false

        mutating func redisExecute(_ command: [String]) {
            guard socketUp else { return }
            let names = command.dropFirst().compactMap { ChannelName(redisChannel: $0) }
            switch command[0] {
            case "SUBSCRIBE":
                for n in names { redisSubscribed.insert(n); replies.append(.subscribed(channel: n.redisChannel)) }
            case "UNSUBSCRIBE":
                for n in names { redisSubscribed.remove(n); replies.append(.unsubscribed(channel: n.redisChannel)) }
            case "PING": replies.append(.pong)
            default: Issue.record("unexpected command \(command)")
            }
        }

        mutating func publish(_ channel: ChannelName) {
            clock += 1
            let id = StreamID(milliseconds: clock, sequence: 0)
            log[channel, default: []].append(id)
            if socketUp && redisSubscribed.contains(channel) {
                replies.append(SubscriberStateMachineTests.message(Self.roomId(channel), id.description))
            }
        }

        static func roomId(_ c: ChannelName) -> Int64 { if case .room(let id) = c { id } else { 0 } }

        func envelope(_ c: ChannelName, _ id: StreamID) -> EventEnvelope {
            EventEnvelope(id: id, channel: c, type: "message.created", roomId: Self.roomId(c), occurredAt: "t", dataJSON: "{}")
        }

        /// Redis executes the read now; the answer is applied later by `deliverAnswer`.
        mutating func executeFetch(_ index: Int, fail: Bool) {
            switch fetches.remove(at: index) {
            case .position(let c, let t):
                answers.append(fail ? .failed(c, token: t) : .position(c, token: t, log[c]?.last))
            case .backfill(let c, let after, let count, let t):
                let entries = (log[c] ?? []).filter { $0 > after }.prefix(count).map { envelope(c, $0) }
                answers.append(fail ? .failed(c, token: t) : .entries(c, token: t, Array(entries)))
            }
        }

        mutating func deliverAnswer(_ index: Int) {
            switch answers.remove(at: index) {
            case .failed(let c, let t): apply(machine.fetchFailed(c, token: t, now: now))
            case .position(let c, let t, let p): apply(machine.positionFetched(c, token: t, position: p))
            case .entries(let c, let t, let e): apply(machine.backfillFetched(c, token: t, entries: e))
            }
        }
    }

    let rooms: [ChannelName] = [.room(1), .room(2), .room(3)]

    @Test(arguments: 0..<40)
    func everyLoopGetsEveryEventAfterItsReadyPositionOnceAndInOrder(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed) &* 7919 &+ 1)
        var world = World()
        world.apply(world.machine.start(now: 0))
        var wanted: [Int: Set<ChannelName>] = [:]
        for step in 0..<400 {
            world.now += UInt64.random(in: 0...400, using: &rng)
            if world.pendingOpen && Bool.random(using: &rng) {
                world.pendingOpen = false
                world.socketUp = true
                world.apply(world.machine.socketOpened(link: world.linkId, now: world.now))
            }
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<35: world.publish(rooms.randomElement(using: &rng)!)
            case 35..<60:
                if !world.replies.isEmpty {
                    let reply = world.replies.removeFirst()
                    world.apply(world.machine.received(reply, now: world.now))
                }
            case 60..<68:
                if !world.fetches.isEmpty {
                    let i = Int.random(in: 0..<world.fetches.count, using: &rng)
                    world.executeFetch(i, fail: Int.random(in: 0..<6, using: &rng) == 0)
                }
            case 68..<75:
                if !world.answers.isEmpty {
                    world.deliverAnswer(Int.random(in: 0..<world.answers.count, using: &rng))
                }
            case 75..<79 where step < 350:
                // The link drops: unread replies are lost with it.
                if world.socketUp {
                    world.socketUp = false
                    world.replies = []
                    world.redisSubscribed = []
                    world.apply(world.machine.socketClosed(link: world.linkId, now: world.now))
                }
            case 79..<85 where step < 300:
                // Loops 0/1 only ever add wants, so their streams must be gap-free; loop 2 churns.
                let loop = Int.random(in: 0...1, using: &rng), room = rooms.randomElement(using: &rng)!
                if wanted[loop, default: []].insert(room).inserted { world.apply(world.machine.want(room, loop: loop)) }
            case 85..<88 where step < 300:
                let room = rooms.randomElement(using: &rng)!
                if wanted[2, default: []].contains(room) {
                    wanted[2]?.remove(room)
                    world.ready[2]?[room] = nil
                    world.received[2]?[room] = nil
                    world.apply(world.machine.unwant(room, loop: 2))
                } else {
                    wanted[2, default: []].insert(room)
                    world.apply(world.machine.want(room, loop: 2))
                }
            default:
                world.apply(world.machine.tick(now: world.now))
            }
        }
        // Heal: link up, everything read and answered, until quiet.
        for _ in 0..<500 {
            world.now += 500
            if world.pendingOpen {
                world.pendingOpen = false
                world.socketUp = true
                world.apply(world.machine.socketOpened(link: world.linkId, now: world.now))
            }
            while !world.replies.isEmpty {
                let reply = world.replies.removeFirst()
                world.apply(world.machine.received(reply, now: world.now))
            }
            while !world.fetches.isEmpty { world.executeFetch(0, fail: false) }
            while !world.answers.isEmpty { world.deliverAnswer(0) }
            world.apply(world.machine.tick(now: world.now))
        }
        #expect(world.machine.isConnected)
        for loop in 0...2 {
            for room in wanted[loop, default: []] {
                guard let start = world.ready[loop]?[room] else {
                    Issue.record("loop \(loop) never ready for \(room) (seed \(seed))")
                    continue
                }
                let expected = (world.log[room] ?? []).filter { $0 > start }
                let got = world.received[loop]?[room] ?? []
                #expect(got == expected, "loop \(loop) \(room) seed \(seed)")
            }
        }
    }
}
