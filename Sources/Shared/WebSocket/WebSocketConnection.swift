/// A server WebSocket over a loop `Connection`: decodes frames, answers pings and the close
/// handshake, pings idle peers and drops silent ones, caps the send queue.
///
/// Install it as the connection's handler after writing the 101 response, then call `start`
/// (or let `connectionOpened` do it) with any bytes read past the request's headers.
public final class WebSocketConnection: ConnectionHandler {
    public struct Configuration: Sendable {
        public var maxMessageSize = 64 * 1024
        /// Ping a peer that has sent nothing for this long (seconds).
        public var pingInterval: Double = 25
        /// Drop a peer that has sent nothing for this long (seconds).
        public var idleTimeout: Double = 60
        /// After our close frame, wait this long for the peer's before closing TCP (seconds).
        public var closeTimeout: Double = 5
        /// Bytes queued to a slow reader past which it is closed with 1008.
        public var maxQueuedBytes = 1 << 20
        public init() {}
    }

    private enum State { case idle, open, closing, closed }

    public let connection: Connection
    public let configuration: Configuration
    private var delegate: WebSocketDelegate?
    private var decoder: WebSocketFrameDecoder
    private var state = State.idle
    private var pending: [UInt8]
    private var lastInput: UInt64 = 0
    private var heartbeat = TimerHandle()
    private var closeTimer = TimerHandle()
    /// The close code reported to the delegate once TCP is gone.
    private var closeCode: UInt16 = 1006
    private var closeReasonText = ""

    /// - Parameter initialBytes: bytes that arrived after the upgrade request, if any.
    public init(connection: Connection, delegate: WebSocketDelegate, configuration: Configuration = Configuration(),
                initialBytes: [UInt8] = []) {
        self.connection = connection
        self.delegate = delegate
        self.configuration = configuration
        self.decoder = WebSocketFrameDecoder(configuration: .init(maxMessageSize: configuration.maxMessageSize))
        self.pending = initialBytes
    }

    /// Whether messages can still be sent (no close started).
    public var isOpen: Bool { state == .open && connection.isOpen }

    /// Starts the heartbeat, tells the delegate, and decodes bytes passed to `init`. Idempotent.
    public func start() {
        guard state == .idle else { return }
        state = .open
        lastInput = connection.loop.now()
        scheduleHeartbeat()
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
            // The queue is stuck behind a slow reader: a close frame would wait behind it too.
            finish(code: CloseCode.policy, reason: "send queue full", sendFrame: false)
            connection.close()
            return
        }
        connection.write(frame)
    }

    /// Starts the close handshake: sends a close frame and waits (bounded) for the peer's.
    public func close(code: UInt16, reason: String = "") {
        guard state == .open || state == .idle else { return }
        state = .closing
        closeCode = code
        closeReasonText = reason
        connection.write(WebSocketFrameEncoder.close(code: code, reason: reason))
        closeTimer = connection.loop.schedule(after: configuration.closeTimeout) { [weak self] in
            self?.connection.close()
        }
    }

    // MARK: ConnectionHandler

    public func connectionOpened(_ connection: Connection) { start() }

    public func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {
        if state == .idle { start() }
        receive(bytes)
    }

    public func connectionInputClosed(_ connection: Connection) {
        // TCP ended without (or after) a close handshake: nothing more can be read.
        connection.closeAfterFlush()
    }

    public func connectionClosed(_ connection: Connection) {
        heartbeat.cancel()
        closeTimer.cancel()
        state = .closed
        let delegate = self.delegate
        self.delegate = nil
        delegate?.webSocketClosed(self, code: closeCode, reason: closeReasonText)
    }

    // MARK: Internals

    private func receive(_ bytes: some Collection<UInt8>) {
        guard state == .open || state == .closing else { return }
        lastInput = connection.loop.now()
        decoder.feed(bytes)
        do {
            while let event = try decoder.next() {
                handle(event)
                if state == .closed { return }
            }
        } catch {
            finish(code: error.closeCode, reason: error.detail, sendFrame: true)
        }
    }

    private func handle(_ event: WebSocketMessageEvent) {
        switch event {
        case .text(let text): if state == .open { delegate?.webSocket(self, receivedText: text) }
        case .binary(let bytes): if state == .open { delegate?.webSocket(self, receivedBinary: bytes) }
        case .ping(let payload): if state == .open { connection.write(WebSocketFrameEncoder.pong(payload)) }
        case .pong: break
        case .close(let code, let reason):
            if state == .closing {
                // Our close was answered: the handshake is complete.
                connection.closeAfterFlush()
                state = .closed
            } else {
                // Echo the peer's code (RFC 6455 §5.5.1); an empty close gets an empty one.
                connection.write(code.map { WebSocketFrameEncoder.close(code: $0) } ?? [0x88, 0x00])
                closeCode = code ?? 1005
                closeReasonText = reason
                state = .closed
                connection.closeAfterFlush()
            }
        }
    }

    /// Fails the connection: optionally a close frame, then TCP closed once it is flushed.
    private func finish(code: UInt16, reason: String, sendFrame: Bool) {
        closeCode = code
        closeReasonText = reason
        if sendFrame { connection.write(WebSocketFrameEncoder.close(code: code, reason: reason)) }
        state = .closed
        connection.closeAfterFlush()
        // A peer that stops reading would keep closeAfterFlush waiting: bound it.
        closeTimer = connection.loop.schedule(after: configuration.closeTimeout) { [weak self] in
            self?.connection.close()
        }
    }

    private func scheduleHeartbeat(after seconds: Double? = nil) {
        heartbeat = connection.loop.schedule(after: seconds ?? configuration.pingInterval) { [weak self] in
            self?.heartbeatFired()
        }
    }

    private func heartbeatFired() {
        guard state == .open || state == .closing else { return }
        let silentFor = Double(connection.loop.now() &- lastInput) / 1000
        let action = Self.heartbeatAction(silentFor: silentFor, configuration: configuration)
        switch action.action {
        case .drop:
            closeCode = 1006
            closeReasonText = "peer silent for \(Int(silentFor)) s"
            connection.close()
            return
        case .ping:
            connection.write(WebSocketFrameEncoder.ping())
        case .wait:
            break
        }
        scheduleHeartbeat(after: action.nextCheck)
    }

    enum HeartbeatAction: Equatable { case wait, ping, drop }

    /// Pure, for tests: ping a quiet peer, drop a silent one, and when to look again (so a
    /// silent peer is dropped at `idleTimeout`, not at the next multiple of `pingInterval`).
    static func heartbeatAction(silentFor: Double, configuration: Configuration)
        -> (action: HeartbeatAction, nextCheck: Double) {
        let untilDrop = configuration.idleTimeout - silentFor
        if untilDrop <= 0 { return (.drop, 0) }
        if silentFor >= configuration.pingInterval - 0.05 {
            return (.ping, max(0.05, min(configuration.pingInterval, untilDrop)))
        }
        return (.wait, max(0.05, min(configuration.pingInterval - silentFor, untilDrop)))
    }
}
