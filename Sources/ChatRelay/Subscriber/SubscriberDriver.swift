import Shared

/// Runs the `SubscriberStateMachine` on one event loop: a transport for the Pub/Sub socket,
/// command workers for the log reads, and sinks that hand events to the loops.
///
/// Safety of `@unchecked Sendable`: every mutable property is touched only on `loop`'s
/// thread; the public entry points that other threads call (`want`, `unwant`, `start`)
/// hop onto the loop with `execute` first.
final class SubscriberDriver: @unchecked Sendable {
    /// Where ready notices and events go (to the loop hubs); called on the driver's loop.
    struct Sinks: Sendable {
        var ready: @Sendable (ChannelName, StreamID, [Int]) -> Void
        var deliver: @Sendable (EventEnvelope, SharedBytes, [Int]) -> Void
        var discarded: @Sendable (String) -> Void = { _ in }
    }

    let loop: EventLoop
    private var machine: SubscriberStateMachine
    private let transport: SubscriberTransport
    private let workers: CommandWorkers
    private let sinks: Sinks
    private var timer = TimerHandle()
    private var stopped = false
    private let tickInterval: Double
    private let stats: RelayStats
    /// The machine's counts already added to the registry's counters (they only go up).
    private var exported = SubscriberStats()

    init(loop: EventLoop, transport: SubscriberTransport, workers: CommandWorkers, sinks: Sinks,
         stats: RelayStats, configuration: SubscriberConfiguration = SubscriberConfiguration(),
         tickInterval: Double = 0.1) {
        self.loop = loop
        self.transport = transport
        self.workers = workers
        self.sinks = sinks
        self.stats = stats
        self.tickInterval = tickInterval
        self.machine = SubscriberStateMachine(configuration: configuration)
    }

    func start() {
        loop.execute { [self] in
            apply(machine.start(now: loop.now()))
            scheduleTick()
        }
    }

    func stop() {
        loop.execute { [self] in
            stopped = true
            timer.cancel()
            transport.close()
        }
    }

    func want(_ channel: ChannelName, loop index: Int) {
        loop.execute { [self] in apply(machine.want(channel, loop: index)) }
    }

    func unwant(_ channel: ChannelName, loop index: Int) {
        loop.execute { [self] in apply(machine.unwant(channel, loop: index)) }
    }

    // MARK: transport reports (on the loop)

    func socketOpened(link: UInt64) {
        guard !stopped else { return }
        apply(machine.socketOpened(link: link, now: loop.now()))
        publishLinkState()
    }

    func socketClosed(link: UInt64) {
        guard !stopped else { return }
        apply(machine.socketClosed(link: link, now: loop.now()))
        publishLinkState()
    }

    func received(_ reply: SubscriberReply) {
        guard !stopped else { return }
        apply(machine.received(reply, now: loop.now()))
        publishLinkState()
    }

    // MARK: internals

    private func scheduleTick() {
        timer = loop.schedule(after: tickInterval) { [self] in
            guard !stopped else { return }
            apply(machine.tick(now: loop.now()))
            publishLinkState()
            scheduleTick()
        }
    }

    /// Copies the machine's link state and counts into the metrics (counters by difference).
    private func publishLinkState() {
        stats.setRedisConnected(machine.isConnected)
        stats.roomsSubscribed.set(machine.roomChannelCount)
        stats.userChannelsSubscribed.set(machine.channelCount - machine.roomChannelCount)
        let now = machine.stats
        if now == exported { return }
        stats.redisReconnects.increment(by: Int64(now.reconnects - exported.reconnects))
        stats.eventsReceived.increment(by: Int64(now.eventsReceived - exported.eventsReceived))
        stats.backfilled.increment(by: Int64(now.backfilled - exported.backfilled))
        exported = now
    }

    private func apply(_ actions: [SubscriberAction]) {
        for action in actions {
            switch action {
            case .connect(let link): transport.open(link: link, driver: self)
            case .send(let command): transport.send(command)
            case .closeSocket: transport.close()
            case .fetchPosition(let channel, let token): fetchPosition(channel, token)
            case .fetchBackfill(let channel, let after, let count, let token): fetchBackfill(channel, after, count, token)
            case .ready(let channel, let position, let loops): sinks.ready(channel, position, loops)
            case .deliver(let event, let loops):
                // Encoded once here; the same bytes are queued to every member on every loop.
                sinks.deliver(event, WebSocketFrameEncoder.text(event.json()), loops)
            case .discarded(let reason): sinks.discarded(reason)
            }
        }
    }

    private func fetchPosition(_ channel: ChannelName, _ token: UInt64) {
        let accepted = workers.submit { [self] store in
            let result = Result { try store.lastLogId(channel) }
            loop.execute { [self] in
                switch result {
                case .success(let position): apply(machine.positionFetched(channel, token: token, position: position))
                case .failure: apply(machine.fetchFailed(channel, token: token, now: loop.now()))
                }
            }
        }
        if !accepted { apply(machine.fetchFailed(channel, token: token, now: loop.now())) }
    }

    private func fetchBackfill(_ channel: ChannelName, _ after: StreamID, _ count: Int, _ token: UInt64) {
        let accepted = workers.submit { [self] store in
            let result = Result { try store.logEntries(channel, from: after.successor, through: nil, count: count) }
            loop.execute { [self] in
                switch result {
                case .success(let raw):
                    let parsed = raw.compactMap { try? EventParser.parseLogEntry(id: $0.id, event: $0.event) }
                    if parsed.count < raw.count { sinks.discarded("\(raw.count - parsed.count) malformed log entries in \(channel)") }
                    apply(machine.backfillFetched(channel, token: token, entries: parsed,
                                                  rawCount: raw.count, pageEnd: raw.last?.id))
                case .failure:
                    apply(machine.fetchFailed(channel, token: token, now: loop.now()))
                }
            }
        }
        if !accepted { apply(machine.fetchFailed(channel, token: token, now: loop.now())) }
    }
}
