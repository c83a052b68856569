import Shared
import Synchronization

/// The relay's Engine.IO sessions, kept per loop like its connections.
///
/// Routing: nginx sends a client (by address) to one relay process; inside it, a polling
/// request or an upgrading WebSocket may land on any loop (SO_REUSEPORT), so each sid names
/// its owning loop (`"<loop>.<random>"`) and the request hops there with `loop.execute`.
final class SocketIOHub: Sendable {
    let relay: RelayHub
    let configuration: EngineIOConfiguration
    private let tables: [SocketIOLoopTable]
    private let nextLoop = Atomic<Int>(0)
    /// Long-polling GETs held now (each an open connection, no thread: `HTTPResponder`),
    /// bounded by `configuration.maxHeldPolls`.
    let heldPolls = Atomic<Int>(0)
    /// Relay connection ids for Socket.IO sessions, apart from TCP connection ids (which count up from 0).
    private let nextConnectionId = Atomic<UInt64>(1 << 62)

    init(relay: RelayHub, configuration: EngineIOConfiguration = EngineIOConfiguration()) {
        self.relay = relay
        self.configuration = configuration
        self.tables = relay.loops.map { _ in SocketIOLoopTable() }
    }

    static func loopIndex(ofSid sid: String) -> Int? {
        guard let dot = sid.firstIndex(of: "."), let index = Int(sid[..<dot]), index >= 0 else { return nil }
        return index
    }

    static func makeSid(loop: Int) -> String {
        "\(loop)." + Base64URL.encode(Crypto.randomBytes(15))
    }

    func makeConnectionId() -> UInt64 { nextConnectionId.add(1, ordering: .relaxed).newValue }

    /// A loop for a new polling session (round robin).
    func pickLoop() -> Int { nextLoop.add(1, ordering: .relaxed).newValue % relay.loops.count }

    /// Runs `body` on the loop owning `sid` with its session, or `missing` there when it has none.
    func withSession(_ sid: String, _ body: @escaping @Sendable (EngineIOConnection) -> Void,
                     missing: @escaping @Sendable () -> Void = {}) {
        guard let index = Self.loopIndex(ofSid: sid), index < tables.count else { return missing() }
        let hub = relay.loops[index], table = tables[index]
        let run: @Sendable () -> Void = {
            if let session = table.sessions[sid] { body(session) } else { missing() }
        }
        if hub.loop.inEventLoop { run() } else { hub.loop.execute(run) }
    }

    /// On loop `index`: a new session is registered.
    func register(_ session: EngineIOConnection, loop index: Int) {
        tables[index].sessions[session.sid] = session
    }

    func unregister(_ sid: String, loop index: Int) {
        tables[index].sessions[sid] = nil
    }

    /// Creates a session on loop `index` (from any thread); `then` runs there with it.
    func open(transport: EngineIOSession.Transport, loop index: Int,
              _ then: @escaping @Sendable (EngineIOConnection) -> Void) {
        let loopHub = relay.loops[index]
        let run: @Sendable () -> Void = { [self] in
            let session = EngineIOConnection(hub: self, loopHub: loopHub, sid: Self.makeSid(loop: index),
                                             transport: transport)
            register(session, loop: index)
            session.start()
            then(session)
        }
        if loopHub.loop.inEventLoop { run() } else { loopHub.loop.execute(run) }
    }
}

/// One loop's sessions by sid. Safety of `@unchecked Sendable`: `sessions` is touched only on
/// that loop (`SocketIOHub` hops there, `register`/`unregister` run there).
final class SocketIOLoopTable: @unchecked Sendable {
    var sessions: [String: EngineIOConnection] = [:]
}
