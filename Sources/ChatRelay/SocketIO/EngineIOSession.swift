import Shared

/// Timings and limits of Engine.IO sessions; milliseconds on the loop's monotonic clock.
struct EngineIOConfiguration: Sendable {
    /// The server pings this often (CONTRACT.md: 25 s) ...
    var pingInterval: UInt64 = 25_000
    /// ... and closes a session whose pong has not come this long after the ping.
    var pingTimeout: UInt64 = 20_000
    /// Largest polling body or WebSocket message the client may send (the relay's 64 KiB).
    var maxPayload = 64 * 1024
    /// A client that never sends CONNECT within this is closed (Socket.IO's 45 s).
    var connectTimeout: UInt64 = 45_000
    /// Long-polling GETs held at once per process; past it a poll is answered 503 (use the
    /// WebSocket transport). A held poll costs no thread, only its open connection (a few KiB
    /// in the kit and the kernel) and its session: the bound only keeps a flood finite.
    var maxHeldPolls = 10_000
}

/// One Engine.IO v4 session (one `sid`) as a pure state machine: the handshake, server pings
/// with a pong deadline, long-polling (an outbox a held GET takes), the upgrade to WebSocket
/// (`2probe` → `3probe`, then `5`), and close. Inputs carry the clock; outputs are `Action`s
/// the transport glue (`EngineIOConnection`) carries out.
struct EngineIOSession {
    enum Phase: Equatable, Sendable {
        case polling
        /// A WebSocket answered the probe; packets wait in the outbox until its `5`.
        case upgrading
        case websocket
        /// Polling, closed by the server: the next GET takes the last packets and `1`.
        case closing
        case closed
    }

    enum Transport: Sendable { case polling, websocket }

    enum Action: Equatable, Sendable {
        /// The data of a `message` packet: a Socket.IO packet for the layer above.
        case deliver(String)
        /// The held long-polling GET answers with this payload.
        case answerPoll(String)
        /// A text frame on the session's WebSocket.
        case sendWebSocket(String)
        /// A text frame on the WebSocket that is probing (not yet the session's).
        case sendProbe(String)
        /// The probing WebSocket is now the session's transport.
        case upgraded
        /// The session is over: close its sockets, forget its sid.
        case close(reason: String)
    }

    let sid: String
    let configuration: EngineIOConfiguration
    private(set) var phase: Phase
    private var outbox: [EngineIOPacket] = [] {
        didSet { if outbox.isEmpty { outboxBytes = 0 } }
    }
    /// What waits for the next poll (the relay's send-queue cap counts it).
    private(set) var outboxBytes = 0
    private(set) var pollHeld = false
    private var nextPingAt: UInt64?
    private var pongDeadline: UInt64?
    private var closeDeadline: UInt64?

    init(sid: String, transport: Transport, now: UInt64, configuration: EngineIOConfiguration = EngineIOConfiguration()) {
        self.sid = sid
        self.configuration = configuration
        self.phase = transport == .polling ? .polling : .websocket
        self.nextPingAt = now + configuration.pingInterval
    }

    var isOpen: Bool { phase != .closed }

    /// The `open` packet: `0{"sid":...,"upgrades":[...],"pingInterval":...,"pingTimeout":...,"maxPayload":...}`.
    var handshake: EngineIOPacket {
        let upgrades = phase == .polling ? "[\"websocket\"]" : "[]"
        return EngineIOPacket(.open, "{\"sid\":\(JSONText.quoted(sid)),\"upgrades\":\(upgrades),"
            + "\"pingInterval\":\(configuration.pingInterval),\"pingTimeout\":\(configuration.pingTimeout),"
            + "\"maxPayload\":\(configuration.maxPayload)}")
    }

    /// When `tick` next has something to do.
    var nextDeadline: UInt64 {
        [nextPingAt, pongDeadline, closeDeadline].compactMap { $0 }.min() ?? .max
    }

    // MARK: sending

    /// Queues or writes one packet to the client.
    mutating func send(_ packet: EngineIOPacket) -> [Action] {
        switch phase {
        case .closed, .closing: return []
        case .websocket: return [.sendWebSocket(packet.encoded)]
        case .polling, .upgrading:
            outbox.append(packet)
            outboxBytes += packet.data.utf8.count + 2
            return phase == .polling && pollHeld ? answerHeldPoll() : []
        }
    }

    private mutating func answerHeldPoll() -> [Action] {
        pollHeld = false
        let payload = PollingPayload.encode(outbox.isEmpty ? [.noop] : outbox)
        outbox = []
        return [.answerPoll(payload)]
    }

    // MARK: long-polling

    /// A long-polling GET arrived: answered now when packets wait, else held.
    mutating func poll(now: UInt64) -> [Action] {
        switch phase {
        case .closed: return [.answerPoll(EngineIOPacket.close.encoded)]
        case .websocket: return [.answerPoll(EngineIOPacket.noop.encoded)]
        case .closing:
            let payload = PollingPayload.encode(outbox + [.close])
            outbox = []
            phase = .closed
            return [.answerPoll(payload), .close(reason: closingReason)]
        case .upgrading:
            return [.answerPoll(EngineIOPacket.noop.encoded)]
        case .polling:
            // Engine.IO allows one GET at a time: a second one is a broken client.
            if pollHeld { return fail("overlapping polling requests") }
            if !outbox.isEmpty { return answerHeldPollNow() }
            pollHeld = true
            return []
        }
    }

    private mutating func answerHeldPollNow() -> [Action] {
        let payload = PollingPayload.encode(outbox)
        outbox = []
        return [.answerPoll(payload)]
    }

    /// The held GET went away unanswered (its client left): nothing was taken.
    mutating func pollAbandoned() {
        pollHeld = false
    }

    /// The body of a long-polling POST.
    mutating func receivedPolling(_ body: String, now: UInt64) -> [Action] {
        guard phase == .polling || phase == .upgrading || phase == .closing else { return [] }
        let packets: [EngineIOPacket]
        do { packets = try PollingPayload.decode(body) } catch { return fail(error.description) }
        var actions: [Action] = []
        for packet in packets {
            actions += received(packet, now: now)
            if !isOpen { break }
        }
        return actions
    }

    // MARK: WebSocket

    /// A text frame on the session's WebSocket.
    mutating func receivedWebSocket(_ text: String, now: UInt64) -> [Action] {
        guard phase == .websocket else { return [] }
        do { return received(try EngineIOPacket.decode(text), now: now) } catch { return fail(error.description) }
    }

    /// A text frame on a WebSocket that came to upgrade this polling session.
    mutating func receivedProbe(_ text: String, now: UInt64) -> [Action] {
        let packet: EngineIOPacket
        do { packet = try EngineIOPacket.decode(text) } catch { return fail(error.description) }
        switch (phase, packet.kind) {
        case (.polling, .ping) where packet.data == "probe":
            phase = .upgrading
            // The client pauses polling: a held GET is let go with a noop.
            var actions: [Action] = [.sendProbe(EngineIOPacket(.pong, "probe").encoded)]
            if pollHeld { actions += answerHeldPollNoop() }
            return actions
        case (.upgrading, .upgrade):
            phase = .websocket
            var actions: [Action] = [.upgraded]
            if pollHeld { actions += answerHeldPollNoop() }
            actions += outbox.map { .sendWebSocket($0.encoded) }
            outbox = []
            return actions
        case (.upgrading, .noop), (.upgrading, .pong):
            return []
        default:
            return fail("unexpected packet \(JSONText.quoted(packet.encoded)) during the upgrade")
        }
    }

    private mutating func answerHeldPollNoop() -> [Action] {
        pollHeld = false
        return [.answerPoll(EngineIOPacket.noop.encoded)]
    }

    // MARK: packets from the client, any transport

    private mutating func received(_ packet: EngineIOPacket, now: UInt64) -> [Action] {
        switch packet.kind {
        case .message: return [.deliver(packet.data)]
        case .pong:
            guard pongDeadline != nil else { return [] }
            pongDeadline = nil
            nextPingAt = now + configuration.pingInterval
            return []
        case .ping: return send(EngineIOPacket(.pong, packet.data))
        case .noop: return []
        case .close:
            phase = .closed
            return [.close(reason: "client closed")]
        case .open, .upgrade:
            return fail("unexpected packet \(JSONText.quoted(packet.encoded))")
        }
    }

    // MARK: time and close

    mutating func tick(now: UInt64) -> [Action] {
        guard isOpen else { return [] }
        if let closeDeadline, now >= closeDeadline { return lost("closing timed out") }
        if let pongDeadline, now >= pongDeadline { return lost("ping timeout") }
        if let nextPingAt, now >= nextPingAt {
            self.nextPingAt = nil
            pongDeadline = now + configuration.pingTimeout
            return send(.ping)
        }
        return []
    }

    private var closingReason = "server closed"

    /// The server closes the session: `1` goes out (over polling, with the next GET).
    mutating func close(reason: String, now: UInt64) -> [Action] {
        switch phase {
        case .closed, .closing: return []
        case .websocket:
            phase = .closed
            return [.sendWebSocket(EngineIOPacket.close.encoded), .close(reason: reason)]
        case .polling, .upgrading:
            closingReason = reason
            phase = .closing
            closeDeadline = now + configuration.pingTimeout
            nextPingAt = nil
            pongDeadline = nil
            return pollHeld ? poll(now: now) : []
        }
    }

    /// The transport went away (socket closed, timeout): over without a goodbye.
    mutating func lost(_ reason: String) -> [Action] {
        guard isOpen else { return [] }
        phase = .closed
        var actions: [Action] = []
        if pollHeld { actions += answerHeldPollNoop() }
        return actions + [.close(reason: reason)]
    }

    private mutating func fail(_ reason: String) -> [Action] {
        lost("protocol error: \(reason)")
    }
}
