import Shared

/// One WebSocket connection's relay protocol after the token was accepted, as a pure state
/// machine: inputs carry the loop's monotonic clock (ms), outputs are `SessionAction`s.
///
/// Start-up order (CONTRACT.md): join the user channel, then read the membership set, then
/// join those rooms, then `welcome` with each channel's position. Events that arrive before
/// `welcome` are held and sent after it when their id is past the welcome position.
struct RelaySession {
    enum Phase: Equatable, Sendable {
        case awaitingUserChannel
        case fetchingRooms
        case awaitingRooms
        case welcomed
        case closed
    }

    let connectionId: UInt64
    let userId: Int64
    let configuration: SessionConfiguration
    private(set) var sid: String
    /// Monotonic ms at which the access token expires (the I/O wrapper converts `exp`).
    private(set) var tokenExpiresAt: UInt64
    private(set) var phase: Phase = .awaitingUserChannel { didSet { liveChannel = nil } }
    /// Channels this connection is a member of (joined, maybe not yet ready).
    private(set) var channels: Set<ChannelName> = []
    /// Positions of ready channels: welcome positions, or the position at a later live join.
    private(set) var positions: [ChannelName: StreamID] = [:] { didSet { liveChannel = nil } }

    private var pending: [EventEnvelope] = []
    /// room.joined / room.left seen while the membership set was being read (true = joined).
    private var roomOverrides: [Int64: Bool] = [:]
    /// Rooms joined live: replay their log from the join's time once their position is known.
    private var catchUpFrom: [ChannelName: StreamID] = [:]
    /// Rooms whose catch-up read is in flight: their live events wait behind it (`pending`),
    /// so the channel's order holds (catch-up entries first, then what came live).
    private var catchingUp: Set<ChannelName> = [] { didSet { liveChannel = nil } }
    /// A channel whose events all go out as they come: welcomed, ready, not catching up, and
    /// one event past its position already sent (ids only grow per channel, so the rest are
    /// too). `quickDelivery` answers it without the dictionaries; any change above forgets it.
    private(set) var liveChannel: ChannelName?
    private var lastHeard: UInt64
    private var nextPingAt: UInt64?
    private let welcomeDeadline: UInt64
    private var typingBucket: TokenBucket

    init(connectionId: UInt64, userId: Int64, sid: String, tokenExpiresAt: UInt64, now: UInt64,
         configuration: SessionConfiguration = SessionConfiguration()) {
        self.connectionId = connectionId
        self.userId = userId
        self.sid = sid
        self.tokenExpiresAt = tokenExpiresAt
        self.configuration = configuration
        self.lastHeard = now
        self.nextPingAt = configuration.pingInterval.map { now + $0 }
        self.welcomeDeadline = now + configuration.welcomeTimeout
        self.typingBucket = TokenBucket(capacity: configuration.typingBurst,
                                        refillPerSecond: configuration.typingPerSecond, now: now)
    }

    var userChannel: ChannelName { .user(userId) }
    var isOpen: Bool { phase != .closed }
    var rooms: [Int64] {
        channels.compactMap { if case .room(let id) = $0 { id } else { nil } }.sorted()
    }

    /// The first actions: join the user channel (before the membership set is read).
    mutating func start() -> [SessionAction] {
        guard isOpen, channels.isEmpty else { return [] }
        channels.insert(userChannel)
        return [.join(userChannel)]
    }

    /// The registry knows `channel`'s position for this connection.
    mutating func channelReady(_ channel: ChannelName, position: StreamID) -> [SessionAction] {
        guard isOpen, channels.contains(channel), positions[channel] == nil else { return [] }
        positions[channel] = position
        switch phase {
        case .awaitingUserChannel where channel == userChannel:
            phase = .fetchingRooms
            return [.fetchRooms(userId: userId)]
        case .awaitingRooms:
            return welcomeIfReady()
        case .welcomed:
            var actions = flushPending(for: channel)
            if let from = catchUpFrom.removeValue(forKey: channel), from <= position {
                holdLiveEvents(of: channel)
                actions.append(.replay(ReplayRequest(channel: channel, from: from, through: position, kind: .catchUp)))
            }
            return actions
        default:
            return []
        }
    }

    /// The membership set was read.
    mutating func roomsFetched(_ roomIds: [Int64]) -> [SessionAction] {
        guard phase == .fetchingRooms else { return [] }
        var actions: [SessionAction] = []
        for roomId in Set(roomIds).sorted() where roomOverrides[roomId] != false && roomId > 0 {
            if channels.insert(.room(roomId)).inserted { actions.append(.join(.room(roomId))) }
        }
        roomOverrides = [:]
        phase = .awaitingRooms
        return actions + welcomeIfReady()
    }

    mutating func roomsFetchFailed() -> [SessionAction] {
        guard phase == .fetchingRooms else { return [] }
        return close(RelayCloseCode.internalError, "room membership unavailable, retry")
    }

    private mutating func welcomeIfReady() -> [SessionAction] {
        guard phase == .awaitingRooms, channels.allSatisfy({ positions[$0] != nil }) else { return [] }
        phase = .welcomed
        var actions: [SessionAction] = [.sendText(ServerFrame.welcome(
            userId: userId, rooms: rooms, connectionId: String(connectionId), positions: positions))]
        actions += flushPending(for: nil)
        return actions
    }

    /// Held events of `channel` (or of every ready channel) that are past its position.
    private mutating func flushPending(for channel: ChannelName?) -> [SessionAction] {
        var actions: [SessionAction] = []
        var keep: [EventEnvelope] = []
        for event in pending {
            guard channel == nil || event.channel == channel else { keep.append(event); continue }
            guard channels.contains(event.channel) else { continue }
            guard let position = positions[event.channel] else { keep.append(event); continue }
            if let id = event.id, id > position { actions.append(.sendText(event.json())) }
        }
        pending = keep
        return actions
    }

    /// Any frame from the peer (text, ping, pong) proves it is alive.
    mutating func heardFromPeer(now: UInt64) {
        lastHeard = max(lastHeard, now)
    }

    /// When `tick` next has something to do.
    var nextDeadline: UInt64 {
        var deadline = tokenExpiresAt
        if let silence = configuration.silenceTimeout { deadline = min(deadline, lastHeard + silence) }
        if let nextPingAt { deadline = min(deadline, nextPingAt) }
        if phase != .welcomed { deadline = min(deadline, welcomeDeadline) }
        return deadline
    }

    /// Time-driven duties, called by the loop's sweep at or after `nextDeadline`.
    mutating func tick(now: UInt64) -> [SessionAction] {
        guard isOpen else { return [] }
        if phase != .welcomed && now >= welcomeDeadline {
            return close(RelayCloseCode.internalError, "subscriptions not ready in time, retry")
        }
        if now >= tokenExpiresAt { return close(RelayCloseCode.tokenExpired, "token expired") }
        if let silence = configuration.silenceTimeout, now >= lastHeard + silence {
            phase = .closed
            return [.drop(reason: "peer silent")]
        }
        if let nextPingAt, let interval = configuration.pingInterval, now >= nextPingAt {
            self.nextPingAt = now + interval
            return [.sendPing]
        }
        return []
    }

    /// SIGTERM: going away.
    mutating func drain() -> [SessionAction] {
        close(RelayCloseCode.goingAway, "server shutting down")
    }

    /// Another connection of the same user pushed this one over the per-user limit.
    mutating func evict() -> [SessionAction] {
        close(RelayCloseCode.policy, "too many connections for this user")
    }

    /// The socket closed; returns the channels to leave.
    mutating func closed() -> [ChannelName] {
        phase = .closed
        let left = channels
        channels = []
        return Array(left)
    }

    /// The I/O layer closed the socket itself (slow reader): nothing more to send.
    mutating func markClosed() {
        phase = .closed
    }

    mutating func close(_ code: UInt16, _ reason: String) -> [SessionAction] {
        guard isOpen else { return [] }
        phase = .closed
        return [.close(code: code, reason: reason)]
    }

    // MARK: used by the extensions

    mutating func hold(_ event: EventEnvelope) -> [SessionAction] {
        guard pending.count < configuration.maxPendingEvents else {
            return close(RelayCloseCode.policy, "too many events before the subscription was ready")
        }
        pending.append(event)
        return []
    }

    mutating func joinRoomLive(_ roomId: Int64, joinedAt: StreamID?) -> [SessionAction] {
        switch phase {
        case .fetchingRooms: roomOverrides[roomId] = true
        case .welcomed:
            if let joinedAt { catchUpFrom[.room(roomId)] = StreamID(milliseconds: joinedAt.milliseconds, sequence: 0) }
        default: break
        }
        guard channels.insert(.room(roomId)).inserted else { return [] }
        return [.join(.room(roomId))]
    }

    mutating func leaveRoomLive(_ roomId: Int64) -> [SessionAction] {
        if phase == .fetchingRooms { roomOverrides[roomId] = false }
        let channel = ChannelName.room(roomId)
        catchUpFrom[channel] = nil
        catchingUp.remove(channel)
        pending.removeAll { $0.channel == channel }
        positions[channel] = nil
        guard channels.remove(channel) != nil else { return [] }
        var actions: [SessionAction] = [.leave(channel)]
        if phase == .awaitingRooms { actions += welcomeIfReady() }
        return actions
    }

    /// Whether live events of `channel` must wait for its catch-up read (the hot path asks
    /// first whether any read is in flight at all).
    func isCatchingUp(_ channel: ChannelName) -> Bool {
        !catchingUp.isEmpty && catchingUp.contains(channel)
    }

    /// The fan-out hot path without building an action list: true = queue the shared frame,
    /// false = skip, nil = the event needs `deliver` (control events, not yet welcomed).
    mutating func quickDelivery(_ event: EventEnvelope) -> Bool? {
        if event.channel == liveChannel { return true }
        guard phase == .welcomed, event.channel != userChannel, let position = positions[event.channel],
              !isCatchingUp(event.channel) else { return nil }
        guard let id = event.id else { return true }
        guard id > position else { return false }
        liveChannel = event.channel
        return true
    }

    /// Live events of `channel` wait (in `pending`) until `finishCatchUp`: a log read is on its way.
    mutating func holdLiveEvents(of channel: ChannelName) {
        catchingUp.insert(channel)
    }

    /// The catch-up read of `channel` was sent (or failed): the live events held behind it follow.
    mutating func finishCatchUp(_ channel: ChannelName) -> [SessionAction] {
        guard catchingUp.remove(channel) != nil else { return [] }
        return flushPending(for: channel)
    }

    mutating func takeTypingToken(now: UInt64) -> Bool { typingBucket.take(now: now) }

    mutating func renewToken(sid: String, expiresAt: UInt64) {
        self.sid = sid
        tokenExpiresAt = expiresAt
    }
}
