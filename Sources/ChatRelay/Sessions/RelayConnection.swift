import Foundation
import Shared

/// One relay connection on its loop: feeds the client's messages and the hub's events to a
/// `RelaySession` and carries out the actions it returns, over a `RelayTransport` (the `/ws`
/// WebSocket, or a Socket.IO session). Loop-confined.
///
/// Ping and silence are the socket's (`WebSocketConnection` sees pongs); token expiry and
/// the welcome deadline come from the session through the loop's `DeadlineWheel`.
final class RelayConnection: WebSocketDelegate {
    let id: UInt64
    let userId: Int64
    private var session: RelaySession
    private var transport: RelayTransport?
    /// Unowned without a check: a loop's hub lives as long as the process (RelayHub keeps it).
    private unowned(unsafe) let hub: LoopHub
    private let sendQueueCap: Int
    /// The close code the socket reported (for the log line).
    private(set) var closeCode: UInt16 = 1006
    /// Bytes still queued when this loop turn first sent here: what the kernel did not take in
    /// earlier turns. The cap judges that, not a burst queued within one turn (all of it is
    /// written by the turn's flush), so a fast reader is never cut for a burst.
    private var leftoverAtTurnStart = 0
    private var turnStamp: UInt64 = .max

    init(id: UInt64, claims: AccessClaims, hub: LoopHub, configuration: SessionConfiguration, sendQueueCap: Int) {
        self.id = id
        self.userId = claims.userId
        self.hub = hub
        self.sendQueueCap = sendQueueCap
        let now = hub.loop.now()
        // The token lives as long as the upgrade check accepted it: `exp` plus the key set's leeway.
        self.session = RelaySession(connectionId: id, userId: claims.userId, sid: claims.sid,
                                    tokenExpiresAt: Self.monotonicDeadline(exp: claims.exp + hub.relay.keys.leeway, now: now),
                                    now: now, configuration: configuration)
    }

    /// `exp` (Unix seconds) as a deadline on the loop's monotonic clock.
    static func monotonicDeadline(exp: Int64, now: UInt64, wallNow: Double = Date().timeIntervalSince1970) -> UInt64 {
        let remaining = max(0, Double(exp) - wallNow)
        return now + UInt64(min(remaining, 1e9) * 1000)
    }

    // MARK: WebSocketDelegate

    func webSocketOpened(_ socket: WebSocketConnection) {
        attach(socket)
    }

    func webSocket(_ socket: WebSocketConnection, receivedText text: String) {
        received(text: text)
    }

    func webSocket(_ socket: WebSocketConnection, receivedBinary bytes: [UInt8]) {
        perform(session.receivedBinary(now: hub.loop.now()))
    }

    func webSocketClosed(_ socket: WebSocketConnection, code: UInt16, reason: String) {
        transportClosed(code: code)
    }

    // MARK: any transport

    /// The transport is ready: register with the hub and start the session.
    func attach(_ transport: RelayTransport) {
        self.transport = transport
        guard hub.add(self) else { return }
        perform(session.start())
    }

    /// One client message (the relay protocol's JSON text).
    func received(text: String) {
        perform(session.received(text: text, now: hub.loop.now()))
    }

    /// The transport is gone (exactly once); `code` is for the log line.
    func transportClosed(code: UInt16) {
        transport = nil
        closeCode = code
        hub.remove(self, leaving: session.closed())
    }

    // MARK: from the hub

    func channelReady(_ channel: ChannelName, position: StreamID) {
        perform(session.channelReady(channel, position: position))
    }

    func deliver(_ event: EventEnvelope, frame: SharedBytes) {
        // Most events are room events for a welcomed member: no action list, no rescheduling.
        if let send = session.quickDelivery(event) {
            if send { self.send(event: event, frame: frame) }
            return
        }
        perform(session.deliver(event), event: event, frame: frame)
    }

    func tick(now: UInt64) { perform(session.tick(now: now)) }
    func drain() { perform(session.drain()) }
    func evict() { perform(session.evict()) }

    // MARK: actions

    private func perform(_ actions: [SessionAction], event: EventEnvelope? = nil, frame: SharedBytes? = nil) {
        for action in actions {
            switch action {
            case .sendText(let text): send(text: text)
            case .sendEvent: if let event, let frame { send(event: event, frame: frame) }
            case .sendPing: transport?.sendPing()
            case .close(let code, let reason): transport?.close(code: code, reason: reason)
            case .drop: transport?.drop()
            case .join(let channel): hub.join(self, channel)
            case .leave(let channel): hub.leave(id, channel)
            case .fetchRooms(let userId): fetchRooms(userId)
            case .verifyToken(let token): verify(token)
            case .replay(let request): replay(request)
            case .publishTyping(let roomId, let userId): publishTyping(roomId: roomId, userId: userId)
            }
        }
        if session.isOpen { hub.reschedule(id, at: session.nextDeadline) }
    }

    private func send(text: String) {
        guard admit(bytes: text.utf8.count + 2) else { return }
        transport?.sendText(text)
    }

    private func send(event: EventEnvelope, frame: SharedBytes) {
        guard admit(bytes: frame.count) else { return }
        transport?.sendEvent(event, frame: frame)
    }

    /// Whether `bytes` more may be queued; past the cap the reader is closed with 1008.
    private func admit(bytes: Int) -> Bool {
        guard let transport, transport.isOpen else { return false }
        // `now()` is cached per loop turn: a new value means a new turn (two turns in one
        // millisecond share the earlier reading, which only delays the verdict by that turn).
        let now = hub.loop.now()
        if now != turnStamp {
            turnStamp = now
            leftoverAtTurnStart = transport.queuedBytes
        }
        if leftoverAtTurnStart + bytes > sendQueueCap {
            // A reader this far behind is closed (1008) rather than allowed to grow memory:
            // its backlog is freed now, and it sees the 1008 if it reads on.
            hub.relay.stats.slowConsumersClosed.increment()
            session.markClosed()
            transport.abandon(code: RelayCloseCode.policy, reason: "send queue full")
            return false
        }
        hub.countDelivery()
        return true
    }

    /// Runs `work` on a command worker and `then` back on this loop if still connected.
    private func offLoop<T: Sendable>(_ work: @escaping @Sendable (RelayStore) throws -> T,
                                      then: @escaping (RelayConnection, Result<T, Error>) -> Void) {
        let hub = self.hub, id = self.id
        let back = LoopCallback(then)
        let accepted = hub.relay.workers.submit { store in
            let result = Result { try work(store) }
            hub.loop.execute {
                guard let connection = hub.connection(id) else { return }
                back.value(connection, result)
            }
        }
        if !accepted { then(self, .failure(RelayBusy())) }
    }

    private func fetchRooms(_ userId: Int64) {
        offLoop({ try $0.roomIds(userId: userId) }) { connection, result in
            switch result {
            case .success(let rooms): connection.perform(connection.session.roomsFetched(rooms))
            case .failure: connection.perform(connection.session.roomsFetchFailed())
            }
        }
    }

    private func verify(_ token: String) {
        let keys = hub.relay.keys
        offLoop({ store -> AccessClaims in
            let claims = try keys.verify(token)
            if try store.isSessionRevoked(claims.sid) { throw JWTError.invalidClaims }
            return claims
        }) { connection, result in
            switch result {
            case .success(let claims):
                let deadline = Self.monotonicDeadline(exp: claims.exp + keys.leeway, now: connection.hub.loop.now())
                connection.perform(connection.session.tokenVerified(userId: claims.userId, sid: claims.sid, expiresAt: deadline))
            case .failure(let error as JWTError):
                connection.hub.relay.logger?.info("auth refused", ["connection": .int(Int64(connection.id)),
                                                                   "reason": .string(error.detail)])
                connection.perform(connection.session.tokenRejected(WebSocketEndpoint.refusedTokenDetail))
            case .failure:
                connection.perform(connection.session.tokenRejected("token could not be checked, retry"))
            }
        }
    }

    private func replay(_ request: ReplayRequest) {
        let stats = hub.relay.stats
        if case .resume = request.kind { stats.resumeReplays.increment() }
        offLoop({ store -> ReplayResult in
            var skipped = 0
            let entries = try store.readLog(request.channel, from: request.from, through: request.through, skipped: &skipped)
            // Read after the range: trimming only moves it forward (see ResumeRule).
            let first = try store.firstLogId(request.channel)
            return ReplayResult(entries: entries, logFirstId: first)
        }) { connection, result in
            switch result {
            case .success(let replay):
                stats.replayedEvents.increment(by: Int64(replay.entries.count))
                connection.perform(connection.session.replayFinished(request, result: replay))
            case .failure:
                connection.perform(connection.session.replayFailed(request))
            }
        }
    }

    private func publishTyping(roomId: Int64, userId: Int64) {
        let payload = ServerFrame.typing(roomId: roomId, userId: userId, occurredAt: Timestamp.now()).json()
        // Fire and forget: typing is ephemeral and never logged.
        _ = hub.relay.workers.submit { store in try? store.publish(.room(roomId), payload: payload) }
    }
}
