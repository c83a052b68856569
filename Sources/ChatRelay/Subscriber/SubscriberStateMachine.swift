import Shared

/// The relay's one Redis Pub/Sub connection as a pure state machine, clock injected.
///
/// Channels are wanted by loops (refcounted per loop). A channel's first SUBSCRIBE is
/// followed by a read of its log's last id (its position); after a reconnect, by a
/// backfill of its log after the last id delivered. While either read is in flight live
/// messages are held, then merged: no event is delivered twice or with an id at or below
/// the last one delivered for its channel.
struct SubscriberStateMachine {
    enum Link: Equatable, Sendable {
        case idle
        case waitingToReconnect(at: UInt64)
        case connecting(since: UInt64)
        case connected(lastHeard: UInt64, pingSentAt: UInt64?)
    }

    enum ChannelPhase: Equatable, Sendable {
        case subscribing
        case positioning(token: UInt64)
        case backfilling(token: UInt64)
        case live
    }

    struct Channel: Sendable {
        var loops: Set<Int> = []
        /// Loops already told `ready`.
        var notified: Set<Int> = []
        var phase: ChannelPhase = .subscribing
        /// The last id delivered (or the position read); nil until the first position read.
        var last: StreamID?
        var buffer: [EventEnvelope] = []
        var overflowed = false
        var retryAt: UInt64?
        /// Where the next backfill page starts when skipped entries lie past `last`.
        var readCursor: StreamID?
    }

    let configuration: SubscriberConfiguration
    private let jitter: @Sendable () -> Double
    private(set) var link: Link = .idle
    /// Id of the current socket attempt; reports about older sockets are ignored.
    private(set) var linkId: UInt64 = 0
    private(set) var channels: [ChannelName: Channel] = [:]
    private(set) var stats = SubscriberStats()
    private var attempt = 0
    /// Whether a socket was ever open: the next opening is a reconnect.
    private var everConnected = false
    /// SUBSCRIBEs sent but not confirmed, per channel: an unwant + want in quick succession
    /// must not start the log read on the older confirmation (Redis was briefly unsubscribed).
    private var unconfirmed: [ChannelName: Int] = [:]
    private var nextToken: UInt64 = 0
    /// Channels with a log read waiting to be retried (`retryAt` set): usually none, so ticks
    /// and deadlines never walk every subscribed channel.
    private var retryDue: Set<ChannelName> = []

    init(configuration: SubscriberConfiguration = SubscriberConfiguration(),
         jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }) {
        self.configuration = configuration
        self.jitter = jitter
    }

    var isConnected: Bool { if case .connected = link { true } else { false } }
    var channelCount: Int { channels.count }
    /// Room channels among `channels` (the rest are user channels), kept by want/unwant.
    private(set) var roomChannelCount = 0

    mutating func start(now: UInt64) -> [SubscriberAction] {
        guard link == .idle else { return [] }
        return beginConnect(now: now)
    }

    private mutating func beginConnect(now: UInt64) -> [SubscriberAction] {
        linkId += 1
        link = .connecting(since: now)
        return [.connect(link: linkId)]
    }

    // MARK: socket

    mutating func socketOpened(link id: UInt64, now: UInt64) -> [SubscriberAction] {
        guard id == linkId, case .connecting = link else { return [] }
        link = .connected(lastHeard: now, pingSentAt: nil)
        attempt = 0
        if everConnected { stats.reconnects += 1 }
        everConnected = true
        for name in channels.keys { unconfirmed[name] = 1 }
        let names = channels.keys.map(\.redisChannel).sorted()
        var actions: [SubscriberAction] = []
        var start = 0
        while start < names.count {
            let end = min(start + configuration.subscribeBatch, names.count)
            actions.append(.send(["SUBSCRIBE"] + names[start..<end]))
            start = end
        }
        return actions
    }

    mutating func socketClosed(link id: UInt64, now: UInt64) -> [SubscriberAction] {
        guard id == linkId else { return [] }
        switch link {
        case .connecting, .connected: return lose(now: now, close: false)
        case .idle, .waitingToReconnect: return []
        }
    }

    /// The link is gone: every channel must be subscribed again, then backfilled.
    private mutating func lose(now: UInt64, close: Bool) -> [SubscriberAction] {
        let delay = configuration.backoff.delay(attempt: attempt, jitter: jitter())
        attempt += 1
        stats.linkLosses += 1
        link = .waitingToReconnect(at: now + delay)
        unconfirmed = [:]
        for name in Array(channels.keys) {
            channels[name]?.phase = .subscribing
            channels[name]?.buffer = []
            channels[name]?.overflowed = false
            channels[name]?.retryAt = nil
            channels[name]?.readCursor = nil
        }
        retryDue = []
        return close ? [.closeSocket] : []
    }

    /// When `tick` next has something to do (nil: nothing scheduled).
    var nextDeadline: UInt64? {
        var deadline: UInt64?
        func consider(_ t: UInt64) { deadline = min(deadline ?? t, t) }
        switch link {
        case .idle: break
        case .waitingToReconnect(let at): consider(at)
        case .connecting(let since): consider(since + configuration.connectTimeout)
        case .connected(let lastHeard, let pingSentAt):
            if let pingSentAt { consider(pingSentAt + configuration.pongTimeout) }
            else { consider(lastHeard + configuration.pingInterval) }
        }
        for name in retryDue { if let retryAt = channels[name]?.retryAt { consider(retryAt) } }
        return deadline
    }

    /// Reconnects, heartbeats, timeouts and read retries.
    mutating func tick(now: UInt64) -> [SubscriberAction] {
        switch link {
        case .idle:
            return []
        case .waitingToReconnect(let at):
            return now >= at ? beginConnect(now: now) : []
        case .connecting(let since):
            return now >= since + configuration.connectTimeout ? lose(now: now, close: true) : []
        case .connected(let lastHeard, let pingSentAt):
            if let pingSentAt {
                if now >= pingSentAt + configuration.pongTimeout { return lose(now: now, close: true) }
            } else if now >= lastHeard + configuration.pingInterval {
                link = .connected(lastHeard: lastHeard, pingSentAt: now)
                return [.send(["PING"])] + retryFetches(now: now)
            }
            return retryFetches(now: now)
        }
    }

    private mutating func retryFetches(now: UInt64) -> [SubscriberAction] {
        var actions: [SubscriberAction] = []
        guard !retryDue.isEmpty else { return [] }
        for name in retryDue.sorted(by: { $0.description < $1.description }) {
            guard let retryAt = channels[name]?.retryAt, now >= retryAt else { continue }
            channels[name]?.retryAt = nil
            retryDue.remove(name)
            actions += startRead(name)
        }
        return actions
    }

    /// Retries `name`'s log read at `time` (the command connection failed).
    mutating func scheduleRetry(_ name: ChannelName, at time: UInt64) {
        guard channels[name] != nil else { return }
        channels[name]?.retryAt = time
        retryDue.insert(name)
    }

    // MARK: wants from loops

    /// A loop has its first member of `channel`.
    mutating func want(_ name: ChannelName, loop: Int) -> [SubscriberAction] {
        if var channel = channels[name] {
            channel.loops.insert(loop)
            // A known position is a valid start for a new loop: later ids reach it in order.
            if let last = channel.last, !channel.notified.contains(loop) {
                channel.notified.insert(loop)
                channels[name] = channel
                return [.ready(name, position: last, loops: [loop])]
            }
            channels[name] = channel
            return []
        }
        channels[name] = Channel(loops: [loop])
        if case .room = name { roomChannelCount += 1 }
        guard isConnected else { return [] }
        unconfirmed[name, default: 0] += 1
        return [.send(["SUBSCRIBE", name.redisChannel])]
    }

    /// A loop's last member of `channel` left.
    mutating func unwant(_ name: ChannelName, loop: Int) -> [SubscriberAction] {
        guard var channel = channels[name] else { return [] }
        channel.loops.remove(loop)
        channel.notified.remove(loop)
        guard channel.loops.isEmpty else {
            channels[name] = channel
            return []
        }
        channels[name] = nil
        retryDue.remove(name)
        if case .room = name { roomChannelCount -= 1 }
        return isConnected ? [.send(["UNSUBSCRIBE", name.redisChannel])] : []
    }

    // MARK: used by the extension

    /// Counts a SUBSCRIBE confirmation; true when none is outstanding for the channel.
    mutating func confirmSubscribe(_ name: ChannelName) -> Bool {
        let left = (unconfirmed[name] ?? 1) - 1
        unconfirmed[name] = left > 0 ? left : nil
        return left <= 0
    }

    mutating func heard(now: UInt64, pong: Bool) {
        guard case .connected(_, let pingSentAt) = link else { return }
        link = .connected(lastHeard: now, pingSentAt: pong ? nil : pingSentAt)
    }

    mutating func failLink(now: UInt64) -> [SubscriberAction] {
        guard isConnected else { return [] }
        return lose(now: now, close: true)
    }

    mutating func count(_ keyPath: WritableKeyPath<SubscriberStats, Int>, by n: Int = 1) {
        stats[keyPath: keyPath] += n
    }

    mutating func update(_ name: ChannelName, _ body: (inout Channel) -> Void) {
        guard var channel = channels[name] else { return }
        body(&channel)
        channels[name] = channel
    }

    /// Issues the log read the channel's state needs: its position, or the next backfill page.
    mutating func startRead(_ name: ChannelName) -> [SubscriberAction] {
        guard let channel = channels[name] else { return [] }
        nextToken += 1
        let token = nextToken
        if let last = channel.last {
            channels[name]?.phase = .backfilling(token: token)
            let after = max(last, channel.readCursor ?? last)
            return [.fetchBackfill(name, after: after, count: configuration.backfillPageSize, token: token)]
        }
        channels[name]?.phase = .positioning(token: token)
        return [.fetchPosition(name, token: token)]
    }
}
