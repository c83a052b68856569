/// A server WebSocket over a loop `Connection`: decodes frames, answers pings and the close
/// handshake, pings idle peers and drops silent ones, caps the send queue. The rules live in
/// `WebSocketConnectionState`; this class carries its outputs to the socket and the delegate.
///
/// Install it as the connection's handler after writing the 101 response (the HTTP server
/// does this for `WebSocketHandshake.upgradeResponse`), then `start` it, or let
/// `connectionOpened` do it. Loop-confined like its `Connection`: call it on that loop only
/// (from elsewhere, hop with `connection.loop.execute`).
public final class WebSocketConnection: ConnectionHandler {
    public struct Configuration: Sendable {
        public var maxMessageSize = 64 * 1024
        /// Ping a peer that has sent nothing for this long (seconds).
        public var pingInterval: Double = 25
        /// Drop a peer that has sent nothing for this long (seconds).
        public var idleTimeout: Double = 60
        /// How long to wait for the peer's close frame, or for it to read our last bytes (seconds).
        public var closeTimeout: Double = 5
        /// Bytes queued to a slow reader past which it is closed with 1008.
        public var maxQueuedBytes = 1 << 20
        public init() {}
    }

    public let connection: Connection
    public let configuration: Configuration
    private var delegate: WebSocketDelegate?
    private var decoder: WebSocketFrameDecoder
    private var state: WebSocketConnectionState
    private var started = false
    private var pending: [UInt8]
    private var heartbeat = TimerHandle()
    private var closeTimer = TimerHandle()

    /// - Parameter initialBytes: bytes that arrived after the upgrade request, if the caller
    ///   has any (the HTTP server passes its leftovers through `connection(_:received:)` instead).
    public init(connection: Connection, delegate: WebSocketDelegate, configuration: Configuration = Configuration(),
                initialBytes: [UInt8] = []) {
        self.connection = connection
        self.delegate = delegate
        self.configuration = configuration
        self.decoder = WebSocketFrameDecoder(configuration: .init(maxMessageSize: configuration.maxMessageSize))
        self.state = WebSocketConnectionState(pingInterval: configuration.pingInterval,
                                              idleTimeout: configuration.idleTimeout, now: connection.loop.now())
        self.pending = initialBytes
        // The send queue's cap is judged at each send; nothing waits for "writable".
        connection.notifiesWritable = false
    }

    /// Whether messages can still be sent (no close started).
    public var isOpen: Bool { state.isOpen && connection.isOpen }

    /// Starts the heartbeat, tells the delegate, and decodes bytes passed to `init`. Idempotent.
    public func start() {
        guard !started else { return }
        started = true
        state.receivedInput(at: connection.loop.now())
        scheduleHeartbeat(after: configuration.pingInterval)
        delegate?.webSocketOpened(self)
        if !pending.isEmpty {
            let bytes = pending
            pending = []
            receive(bytes)
        }
    }

    /// Sends a text message.
    public func send(text: String) { send(WebSocketFrameEncoder.text(text)) }

    /// Sends a binary message.
    public func send(binary bytes: [UInt8]) { send(SharedBytes(WebSocketFrameEncoder.binary(bytes))) }

    /// Sends an encoded frame (shared with other connections); closes with 1008 when the send
    /// queue would pass its cap.
    public func send(_ frame: SharedBytes) {
        guard isOpen else { return }
        guard connection.queuedBytes + frame.count <= configuration.maxQueuedBytes else {
            apply(state.sendQueueOverflowed())
            return
        }
        connection.write(frame)
    }

    /// Starts the close handshake: sends a close frame and waits (bounded) for the peer's.
    public func close(code: UInt16, reason: String = "") {
        apply(state.close(code: code, reason: reason))
    }

    // MARK: ConnectionHandler

    public func connectionOpened(_ connection: Connection) { start() }

    public func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {
        start()
        receive(bytes)
    }

    public func connectionInputClosed(_ connection: Connection) {
        // TCP ended without (or after) a close handshake: nothing more can be read.
        connection.closeAfterFlush()
    }

    public func connectionClosed(_ connection: Connection) {
        heartbeat.cancel()
        closeTimer.cancel()
        let delegate = self.delegate
        self.delegate = nil
        delegate?.webSocketClosed(self, code: state.closeCode, reason: state.closeReason)
    }

    // MARK: Internals

    private func receive(_ bytes: some Collection<UInt8>) {
        guard state.phase != .closed else { return }
        state.receivedInput(at: connection.loop.now())
        decoder.feed(bytes)
        do {
            while state.phase != .closed, let event = try decoder.next() {
                apply(state.received(event))
            }
        } catch {
            apply(state.failed(error))
        }
    }

    private func apply(_ output: WebSocketConnectionState.Output) {
        switch output.deliver {
        case .text(let text)?: delegate?.webSocket(self, receivedText: text)
        case .binary(let bytes)?: delegate?.webSocket(self, receivedBinary: bytes)
        default: break
        }
        if let bytes = output.write { connection.write(bytes) }
        switch output.tcp {
        case .keep: break
        case .closeAfterFlush: connection.closeAfterFlush()
        case .closeNow: connection.close()
        }
        if output.armCloseTimer {
            // A peer that neither answers our close nor reads what we queued is not waited for.
            closeTimer.cancel()
            closeTimer = connection.loop.schedule(after: configuration.closeTimeout) { [self] in
                connection.close()
            }
        }
    }

    /// The timers hold `self` strongly, and `connectionClosed` cancels both, which drops
    /// them: a `weak` capture would give every connection a side table, and each retain of
    /// it on the send path the slow way round.
    private func scheduleHeartbeat(after seconds: Double) {
        heartbeat = connection.loop.schedule(after: seconds) { [self] in heartbeatFired() }
    }

    private func heartbeatFired() {
        let beat = state.heartbeat(now: connection.loop.now())
        apply(beat.output)
        if beat.action != .drop && state.phase != .closed { scheduleHeartbeat(after: beat.nextCheck) }
    }
}
