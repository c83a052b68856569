import Shared

/// One Engine.IO session on its loop and the Socket.IO main namespace over it: carries out
/// the `EngineIOSession`'s actions on its transports (held polls, WebSockets), checks the
/// CONNECT packet's token, then serves a `RelayConnection` (the same session as `/ws`: rooms,
/// fan-out, resume, typing, auth, limits) as its `RelayTransport`, framing each relay
/// message as a Socket.IO event. Loop-confined.
final class EngineIOConnection: RelayTransport {
    let sid: String
    private let hub: SocketIOHub
    private let loopHub: LoopHub
    private var session: EngineIOSession
    /// The session's WebSocket (direct, or after the upgrade) and one probing to upgrade.
    private var wire: SocketIOWire?
    private var probe: SocketIOWire?
    /// The long-polling GET waiting for packets (at most one: Engine.IO allows one at a time).
    private var heldPoll: HTTPResponder? {
        didSet {
            if oldValue == nil, heldPoll != nil {
                hub.heldPolls.add(1, ordering: .relaxed)
            } else if oldValue != nil, heldPoll == nil {
                hub.heldPolls.subtract(1, ordering: .relaxed)
            }
        }
    }
    private var timer: TimerHandle?
    private var timerAt: UInt64 = .max
    private let connectDeadline: UInt64
    /// The relay close code, for the WebSocket close and the relay's log line.
    private var closeCode: UInt16 = RelayCloseCode.normal

    private enum Namespace {
        case awaitingConnect
        case verifying
        case connected(RelayConnection)
        case refused
        case gone
    }
    private var namespace = Namespace.awaitingConnect

    init(hub: SocketIOHub, loopHub: LoopHub, sid: String, transport: EngineIOSession.Transport) {
        self.sid = sid
        self.hub = hub
        self.loopHub = loopHub
        let now = loopHub.loop.now()
        session = EngineIOSession(sid: sid, transport: transport, now: now, configuration: hub.configuration)
        connectDeadline = now + hub.configuration.connectTimeout
    }

    /// The `open` packet (the polling handshake's body, or the WebSocket's first frame).
    var handshake: String { session.handshake.encoded }

    func start() { reschedule() }

    // MARK: long-polling (from the HTTP side, on this loop)

    func poll(_ responder: HTTPResponder) {
        guard !responder.isCancelled else { return }  // its client left before the hop here
        guard heldPoll == nil else {
            responder.complete(SocketIOEndpoint.unknownSession)  // a second GET while one is held: the session is broken
            perform(session.poll(now: now))
            return
        }
        heldPoll = responder
        perform(session.poll(now: now))
    }

    /// The held GET's client went away (or the kit's bound passed): as Engine.IO does, the
    /// session ends ("poll connection closed prematurely") instead of waiting for a GET.
    func pollCancelled(_ responder: HTTPResponder) {
        guard heldPoll === responder else { return }
        heldPoll = nil
        session.pollAbandoned()
        perform(session.lost("poll connection closed prematurely"))
    }

    func post(_ body: String, _ responder: HTTPResponder) {
        perform(session.receivedPolling(body, now: now))
        responder.complete(SocketIOEndpoint.text("ok"))
    }

    // MARK: WebSockets (SocketIOWire, on this loop)

    func wireOpened(_ opened: SocketIOWire) {
        if session.phase == .websocket, wire == nil {
            wire = opened
            opened.send(handshake)
        } else if session.phase == .polling, probe == nil {
            probe = opened
        } else {
            opened.close(code: RelayCloseCode.policy, reason: "session is not upgradable")
        }
    }

    func wire(_ from: SocketIOWire, received text: String) {
        if from === wire {
            perform(session.receivedWebSocket(text, now: now))
        } else if from === probe {
            perform(session.receivedProbe(text, now: now))
        }
    }

    func wireClosed(_ closed: SocketIOWire, code: UInt16) {
        if closed === wire {
            if closeCode == RelayCloseCode.normal { closeCode = code }
            perform(session.lost("transport closed"))
        } else if closed === probe {
            probe = nil
            // A failed upgrade leaves the session neither polling nor on a WebSocket.
            if session.phase == .upgrading { perform(session.lost("upgrade failed")) }
        }
    }

    // MARK: actions

    private var now: UInt64 { loopHub.loop.now() }

    private func perform(_ actions: [EngineIOSession.Action]) {
        for action in actions {
            switch action {
            case .deliver(let data): socketIOReceived(data)
            case .answerPoll(let payload):
                heldPoll?.complete(SocketIOEndpoint.text(payload))
                heldPoll = nil
            case .sendWebSocket(let text): wire?.send(text)
            case .sendProbe(let text): probe?.send(text)
            case .upgraded:
                wire = probe
                probe = nil
            case .close(let reason): teardown(reason)
            }
        }
        reschedule()
    }

    private func reschedule() {
        guard session.isOpen else { return }
        var deadline = session.nextDeadline
        if case .awaitingConnect = namespace { deadline = min(deadline, connectDeadline) }
        guard deadline != timerAt else { return }
        timer?.cancel()
        timerAt = deadline
        let delay = Double(deadline &- min(deadline, now)) / 1000
        timer = loopHub.loop.schedule(after: max(0.01, delay)) { [weak self] in self?.timerFired() }
    }

    private func timerFired() {
        timerAt = .max
        timer = nil
        let now = self.now
        if case .awaitingConnect = namespace, now >= connectDeadline {
            perform(session.lost("no CONNECT in time"))
            return
        }
        perform(session.tick(now: now))
    }

    private func teardown(_ reason: String) {
        hub.unregister(sid, loop: loopHub.index)
        timer?.cancel()
        timer = nil
        heldPoll?.complete(SocketIOEndpoint.text(EngineIOPacket.noop.encoded))
        heldPoll = nil
        wire?.close(code: closeCode, reason: "")
        probe?.drop()
        wire = nil
        probe = nil
        if case .connected(let relayConnection) = namespace {
            // Later in this turn: the relay connection may be in the middle of its own actions.
            let back = LoopCallback(relayConnection), code = closeCode
            loopHub.loop.execute { back.value.transportClosed(code: code) }
        }
        namespace = .gone
        hub.relay.logger?.debug("engine.io closed", ["sid": .string(sid), "reason": .string(reason)])
    }

    // MARK: Socket.IO

    private func emit(_ socketIOText: String) {
        perform(session.send(.message(socketIOText)))
    }

    private func socketIOReceived(_ data: String) {
        let packet: SocketIOPacket
        do {
            packet = try SocketIOPacket.decode(data)
        } catch {
            if case .connected = namespace {
                sendText(ServerFrame.error(.invalid(error.description)))
            } else {
                refuse(error.description)
            }
            return
        }
        switch (namespace, packet) {
        case (.awaitingConnect, .connect(let auth)):
            guard let token = SocketIOFraming.token(auth: auth) else {
                return refuse("an access token is required: auth {\"token\": \"...\"}")
            }
            namespace = .verifying
            verify(token)
        case (.connected(let relayConnection), .event(let name, let arguments, _)):
            do {
                relayConnection.received(text: try SocketIOFraming.clientMessage(name: name, arguments: arguments))
            } catch {
                sendText(ServerFrame.error(.invalid(error.description)))
            }
        case (_, .disconnect):
            perform(session.close(reason: "client disconnected", now: now))
        default:
            break  // events before CONNECT, a second CONNECT: Socket.IO servers ignore them too
        }
    }

    private enum Verdict: Sendable { case accepted(AccessClaims), refused(String) }

    private func verify(_ token: String) {
        let keys = hub.relay.keys, sid = self.sid, socketHub = hub
        let accepted = hub.relay.workers.submit { store in
            let verdict: Verdict
            do {
                let claims = try keys.verify(token)
                verdict = try store.isSessionRevoked(claims.sid) ? .refused("session revoked") : .accepted(claims)
            } catch is JWTError {
                verdict = .refused("invalid or expired access token")
            } catch {
                verdict = .refused("token could not be checked, retry")
            }
            socketHub.withSession(sid) { $0.verified(verdict) }
        }
        if !accepted { refuse("server busy, retry") }
    }

    private func verified(_ verdict: Verdict) {
        guard case .verifying = namespace else { return }
        switch verdict {
        case .refused(let message):
            hub.relay.stats.upgradesRefused.increment()
            refuse(message)
        case .accepted(let claims):
            let options = hub.relay.options
            let relayConnection = RelayConnection(id: hub.makeConnectionId(), claims: claims, hub: loopHub,
                                                  configuration: options.session, sendQueueCap: options.sendQueueCap)
            namespace = .connected(relayConnection)
            emit(SocketIOPacket.connected(sid: Base64URL.encode(Crypto.randomBytes(15))).encoded)
            relayConnection.attach(self)
        }
    }

    /// CONNECT_ERROR, then the Engine.IO close.
    private func refuse(_ message: String) {
        namespace = .refused
        closeCode = RelayCloseCode.policy
        emit(SocketIOPacket.connectError(message: message).encoded)
        perform(session.close(reason: "connect refused", now: now))
    }

    // MARK: RelayTransport

    var isOpen: Bool { session.phase != .closed && session.phase != .closing }
    var queuedBytes: Int { (wire?.queuedBytes ?? 0) + session.outboxBytes }

    func sendText(_ text: String) { emit(SocketIOFraming.event(relayText: text)) }
    func sendEvent(_ event: EventEnvelope, frame: SharedBytes) { emit(SocketIOFraming.event(event)) }
    /// Engine.IO pings on its own (every `pingInterval`, with a pong deadline).
    func sendPing() {}

    /// The relay's close: the reason as a `close` event (`{"code":4001,"reason":"token
    /// expired"}`, Socket.IO has no close codes), then DISCONNECT and the Engine.IO close.
    func close(code: UInt16, reason: String) {
        guard isOpen else { return }
        closeCode = code
        emit(SocketIOPacket.eventText("close", "{\"code\":\(code),\"reason\":\(JSONText.quoted(reason))}"))
        emit(SocketIOPacket.disconnect.encoded)
        perform(session.close(reason: reason, now: now))
    }

    func drop() { perform(session.lost("dropped by the relay")) }
}
