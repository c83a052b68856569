/// The rules of a server WebSocket connection apart from sockets and clocks: what to do on
/// each decoded frame, on a decoding failure, on a close we start, on a full send queue and
/// on a heartbeat. `WebSocketConnection` carries the outputs out; tests drive it directly.
struct WebSocketConnectionState {
    enum Phase: Equatable { case open, closing, closed }

    /// What the TCP connection should do.
    enum TCPAction: Equatable { case keep, closeAfterFlush, closeNow }

    /// One step's effects, in order: deliver, write, then the TCP action.
    struct Output: Equatable {
        var deliver: WebSocketMessageEvent?
        var write: [UInt8]?
        var tcp = TCPAction.keep
        /// Bound the wait for the peer (its close frame, or reading what we queued).
        var armCloseTimer = false
        static let nothing = Output()
    }

    enum Heartbeat: Equatable { case wait, ping, drop }

    let pingInterval: Double
    let idleTimeout: Double
    private(set) var phase = Phase.open
    /// What the connection ended with, for the delegate: 1006 until a close code is known.
    private(set) var closeCode: UInt16 = 1006
    private(set) var closeReason = ""
    /// A close frame may be sent once (RFC 6455 §5.5.1).
    private(set) var sentClose = false
    private var lastInput: UInt64

    init(pingInterval: Double, idleTimeout: Double, now: UInt64) {
        self.pingInterval = pingInterval
        self.idleTimeout = idleTimeout
        self.lastInput = now
    }

    /// Whether messages may still be sent.
    var isOpen: Bool { phase == .open }

    /// Bytes arrived (any bytes keep a peer alive).
    mutating func receivedInput(at now: UInt64) { lastInput = now }

    /// A decoded frame.
    mutating func received(_ event: WebSocketMessageEvent) -> Output {
        switch event {
        case .text, .binary:
            return phase == .open ? Output(deliver: event) : .nothing
        case .ping(let payload):
            return phase == .open ? Output(write: WebSocketFrameEncoder.pong(payload)) : .nothing
        case .pong:
            return .nothing
        case .close(let code, let reason):
            guard phase != .closed else { return .nothing }
            if phase == .closing {
                // Our close was answered: the handshake is complete.
                phase = .closed
                return Output(tcp: .closeAfterFlush, armCloseTimer: true)
            }
            // Echo the peer's code (§5.5.1); an empty close gets an empty one.
            phase = .closed
            closeCode = code ?? 1005
            closeReason = reason
            return Output(write: closeFrame(code.map { WebSocketFrameEncoder.close(code: $0) } ?? [0x88, 0x00]),
                          tcp: .closeAfterFlush, armCloseTimer: true)
        }
    }

    /// The decoder failed: fail the connection with its close code (§7.1.7).
    mutating func failed(_ error: WebSocketError) -> Output {
        guard phase != .closed else { return .nothing }
        phase = .closed
        // After our close frame went out, its code is what the connection ended with.
        if !sentClose {
            closeCode = error.closeCode
            closeReason = error.detail
        }
        return Output(write: closeFrame(WebSocketFrameEncoder.close(code: error.closeCode, reason: error.detail)),
                      tcp: .closeAfterFlush, armCloseTimer: true)
    }

    /// We start the close handshake; the peer's close frame completes it.
    mutating func close(code: UInt16, reason: String) -> Output {
        guard phase == .open else { return .nothing }
        phase = .closing
        closeCode = code
        closeReason = reason
        return Output(write: closeFrame(WebSocketFrameEncoder.close(code: code, reason: reason)), armCloseTimer: true)
    }

    /// The send queue would pass its cap: a close frame would wait behind the stuck queue too,
    /// so the connection is dropped with 1008 reported.
    mutating func sendQueueOverflowed() -> Output {
        guard phase != .closed else { return .nothing }
        phase = .closed
        closeCode = CloseCode.policy
        closeReason = "send queue full"
        return Output(tcp: .closeNow)
    }

    /// The heartbeat timer fired: ping a quiet peer, drop a silent one, and when to look
    /// again (so a silent peer is dropped at `idleTimeout`, not at a multiple of `pingInterval`).
    mutating func heartbeat(now: UInt64) -> (action: Heartbeat, output: Output, nextCheck: Double) {
        guard phase != .closed else { return (.wait, .nothing, 0) }
        let silentFor = Double(now &- lastInput) / 1000
        let untilDrop = idleTimeout - silentFor
        if untilDrop <= 0 {
            phase = .closed
            closeCode = 1006
            closeReason = "peer silent for \(Int(silentFor)) s"
            return (.drop, Output(tcp: .closeNow), 0)
        }
        if phase == .closing { return (.wait, .nothing, max(0.05, untilDrop)) }  // the close timer decides
        if silentFor >= pingInterval - 0.05 {
            return (.ping, Output(write: WebSocketFrameEncoder.ping()), max(0.05, min(pingInterval, untilDrop)))
        }
        return (.wait, .nothing, max(0.05, min(pingInterval - silentFor, untilDrop)))
    }

    private mutating func closeFrame(_ frame: [UInt8]) -> [UInt8]? {
        guard !sentClose else { return nil }
        sentClose = true
        return frame
    }
}
