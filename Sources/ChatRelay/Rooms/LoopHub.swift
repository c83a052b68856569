import Shared

/// One loop's relay state: its connections, its `SubscriptionRegistry`, and one sweep timer
/// over a `DeadlineWheel` for every connection's deadlines (no timer per connection).
///
/// Safety of `@unchecked Sendable`: all mutable state is touched only on `loop`'s thread;
/// other threads reach it through `loop.execute` (the hub methods below assert it). `relay`
/// is set once by `RelayHub.init` before the loops run anything of the relay's.
final class LoopHub: @unchecked Sendable {
    let loop: EventLoop
    unowned(unsafe) var relay: RelayHub!
    private var registry = SubscriptionRegistry<RelayConnection>()
    private var connections: [UInt64: RelayConnection] = [:]
    private var wheel: DeadlineWheel
    private var sweep = TimerHandle()
    private var draining = false
    /// Frames queued since the last flush into the shared counter: one atomic add per fan-out
    /// (or per sweep) instead of one per connection.
    private var unflushedDeliveries: Int64 = 0

    init(loop: EventLoop) {
        self.loop = loop
        self.wheel = DeadlineWheel(resolution: 250, slotCount: 512, now: loop.now())
    }

    var index: Int { loop.index }

    /// Starts the sweep (on the loop).
    func start() {
        loop.execute { [self] in scheduleSweep() }
    }

    private func scheduleSweep() {
        sweep = loop.schedule(after: 0.25) { [self] in
            let now = loop.now()
            for id in wheel.advance(to: now) { connections[id]?.tick(now: now) }
            flushDeliveries()
            scheduleSweep()
        }
    }

    // MARK: connections (loop thread)

    var connectionCount: Int { connections.count }
    var channelCount: Int { registry.channelCount }

    /// Registers a new connection; false (and it is closed with 1001) while draining.
    @discardableResult
    func add(_ connection: RelayConnection) -> Bool {
        assert(loop.inEventLoop)
        guard !draining else {
            connection.drain()
            return false
        }
        connections[connection.id] = connection
        relay.stats.openConnections.increment()
        let evicted = relay.users.withLock {
            $0.add(ConnectionRef(loop: index, id: connection.id), for: connection.userId)
        }
        for victim in evicted {
            relay.stats.connectionsEvicted.increment()
            let hub = relay.loops[victim.loop]
            hub.loop.execute { hub.connections[victim.id]?.evict() }
        }
        relay.logger?.info("ws open", ["connection": .int(Int64(connection.id)), "userId": .int(connection.userId),
                                       "loop": .int(Int64(index))])
        return true
    }

    func remove(_ connection: RelayConnection, leaving channels: [ChannelName]) {
        assert(loop.inEventLoop)
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        wheel.cancel(connection.id)
        relay.stats.openConnections.decrement()
        relay.users.withLock { $0.remove(ConnectionRef(loop: index, id: connection.id), for: connection.userId) }
        for channel in channels { leave(connection.id, channel) }
        relay.logger?.info("ws closed", ["connection": .int(Int64(connection.id)), "userId": .int(connection.userId),
                                         "code": .int(Int64(connection.closeCode))])
    }

    /// A frame was queued to one of this loop's connections.
    func countDelivery() { unflushedDeliveries += 1 }

    private func flushDeliveries() {
        guard unflushedDeliveries > 0 else { return }
        relay.stats.deliveries.increment(by: unflushedDeliveries)
        unflushedDeliveries = 0
    }

    func reschedule(_ id: UInt64, at deadline: UInt64) {
        if wheel.deadline(of: id) != deadline { wheel.schedule(id, at: deadline) }
    }

    func connection(_ id: UInt64) -> RelayConnection? { connections[id] }

    // MARK: channels (loop thread)

    func join(_ connection: RelayConnection, _ channel: ChannelName) {
        // Only a registered connection: `remove` takes it out of every channel it is in, so
        // the registry never keeps a closed one.
        guard connections[connection.id] === connection else { return }
        switch registry.join(connection.id, connection, channel) {
        case .subscribe: relay.subscriber.want(channel, loop: index)
        case .waiting, .alreadyMember: break
        case .ready(let position): connection.channelReady(channel, position: position)
        }
    }

    func leave(_ id: UInt64, _ channel: ChannelName) {
        if registry.leave(id, channel) { relay.subscriber.unwant(channel, loop: index) }
    }

    /// From the subscriber: the channel is live at `position`.
    func channelReady(_ channel: ChannelName, position: StreamID) {
        assert(loop.inEventLoop)
        for (_, member) in registry.channelReady(channel, position: position) {
            member.channelReady(channel, position: position)
        }
    }

    /// From the subscriber: one event and its frame, encoded once for every connection.
    func deliver(_ event: EventEnvelope, frame: SharedBytes) {
        assert(loop.inEventLoop)
        // The registry holds the member objects: one walk over a dense array, no lookup each.
        for member in registry.deliver(event) { member.deliver(event, frame: frame) }
        flushDeliveries()
    }

    /// SIGTERM: every connection here closes with 1001; later arrivals too.
    func drain() {
        assert(loop.inEventLoop)
        draining = true
        for connection in Array(connections.values) { connection.drain() }
    }
}
