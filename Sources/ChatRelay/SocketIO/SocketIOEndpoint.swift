import Foundation
import Shared

/// `/socket.io/?EIO=4&transport=...`: the Engine.IO v4 HTTP side. Runs inline on the
/// connection's loop, since nothing here blocks: what needs the session hops to the loop owning
/// it and answers through an `HTTPResponder`, so a held poll occupies no thread.
///
/// - `transport=websocket` without `sid`: the WebSocket upgrade at once (a new session on the
///   connection's loop, `open` as its first frame).
/// - `transport=polling` without `sid`: the handshake, answered with the `open` packet.
/// - `transport=polling&sid=`: GET takes (or waits for) the session's packets, POST brings the
///   client's; both hop to the loop that owns the sid (`SocketIOHub`).
/// - `transport=websocket&sid=`: a WebSocket upgrading that polling session.
struct SocketIOEndpoint: Sendable {
    let hub: SocketIOHub

    static let textType = "text/plain; charset=UTF-8"

    func handle(_ request: HTTPRequest) throws -> HTTPResponse {
        guard request.query["EIO"] == "4" else {
            throw Self.problem(5, "unsupported protocol version: only EIO=4 is served")
        }
        let sid = request.query["sid"]
        switch request.query["transport"] {
        case "websocket":
            guard request.method == .get else { throw Self.problem(2, "bad handshake method") }
            return try upgrade(request, sid: sid)
        case "polling":
            guard let sid else {
                guard request.method == .get else { throw Self.problem(2, "bad handshake method") }
                return handshake()
            }
            guard SocketIOHub.loopIndex(ofSid: sid).map({ $0 < hub.relay.loops.count }) ?? false else {
                throw Self.problem(1, "Session ID unknown")
            }
            switch request.method {
            case .get: return try poll(sid)
            case .post: return try post(sid, body: request.body)
            default: throw Self.problem(2, "polling uses GET and POST")
            }
        default:
            throw Self.problem(0, "transport unknown: use polling or websocket")
        }
    }

    /// A 400 as problem+json like every other refusal of the relay, with Engine.IO's error code
    /// (0 transport unknown, 1 session unknown, 2 bad method, 3 bad request, 5 version) in
    /// `X-Engine-IO-Error`: the reference server's `{"code","message"}` body is not copied;
    /// Engine.IO clients act on the status alone.
    static func problem(_ code: Int, _ message: String) -> Problem {
        var problem = Problem.badRequest(detail: message)
        problem.headers.set("X-Engine-IO-Error", "\(code)")
        return problem
    }

    /// A polling answer's body (`text/plain`, as Engine.IO sends it).
    static func text(_ body: String) -> HTTPResponse {
        .text(body, contentType: textType)
    }

    /// The answer to a request naming a sid this relay does not have (or a broken one).
    static let unknownSession = HTTPResponse.problem(problem(1, "Session ID unknown"))

    /// Seconds a handshake or POST waits for its session's loop before the kit answers 503.
    static let loopHopTimeout = 5.0

    private func handshake() -> HTTPResponse {
        let responder = HTTPResponder(timeout: Self.loopHopTimeout)
        hub.open(transport: .polling, loop: hub.pickLoop()) { responder.complete(Self.text($0.handshake)) }
        return .deferred(responder)
    }

    private func poll(_ sid: String) throws -> HTTPResponse {
        // Each held poll is an open connection and a session; a bound keeps a flood finite.
        guard hub.heldPolls.load(ordering: .relaxed) < hub.configuration.maxHeldPolls else {
            throw Problem.serviceUnavailable(retryAfter: 1, detail: "too many long-polling clients: use the websocket transport")
        }
        // The session answers by its next ping at the latest; past that its loop is stuck.
        let responder = HTTPResponder(timeout: Double(hub.configuration.pingInterval + hub.configuration.pingTimeout) / 1000)
        let hub = self.hub
        responder.onCancel { hub.withSession(sid) { $0.pollCancelled(responder) } }
        hub.withSession(sid) { $0.poll(responder) } missing: { responder.complete(Self.unknownSession) }
        return .deferred(responder)
    }

    private func post(_ sid: String, body: [UInt8]) throws -> HTTPResponse {
        guard body.count <= hub.configuration.maxPayload else {
            throw Problem(status: 413, detail: "payload over \(hub.configuration.maxPayload) bytes")
        }
        guard let payload = String(validating: body, as: UTF8.self) else { throw Self.problem(3, "payload is not UTF-8") }
        let responder = HTTPResponder(timeout: Self.loopHopTimeout)
        hub.withSession(sid) { $0.post(payload, responder) } missing: { responder.complete(Self.unknownSession) }
        return .deferred(responder)
    }

    private func upgrade(_ request: HTTPRequest, sid: String?) throws -> HTTPResponse {
        let accept: String
        switch WebSocketHandshake.validate(method: request.method.rawValue, header: { request.headers[$0] }) {
        case .success(let key): accept = key
        case .failure(let error): throw Self.problem(3, error.detail)
        }
        let loops = hub.relay.loops.count
        if let sid, !(SocketIOHub.loopIndex(ofSid: sid).map({ $0 < loops }) ?? false) {
            throw Self.problem(1, "Session ID unknown")
        }
        var response = HTTPResponse(status: 101)
        for (name, value) in WebSocketHandshake.responseHeaders(acceptKey: accept) { response.headers.set(name, value) }
        let socketHub = hub
        response.upgrade = { connection in socketHub.makeWebSocket(for: connection, upgrading: sid) }
        return response
    }
}

extension SocketIOHub {
    /// The handler of an upgraded `/socket.io/` connection (on its loop, after the 101): a new
    /// session on this loop, or a wire to the polling session `sid` (on whichever loop owns it).
    func makeWebSocket(for connection: Connection, upgrading sid: String?) -> WebSocketConnection {
        let index = connection.loop.index
        let sessionSid: String
        if let sid {
            sessionSid = sid
        } else {
            sessionSid = SocketIOHub.makeSid(loop: index)
            let session = EngineIOConnection(hub: self, loopHub: relay.loops[index], sid: sessionSid, transport: .websocket)
            register(session, loop: index)
            session.start()
        }
        let wire = SocketIOWire(loop: connection.loop, sid: sessionSid, hub: self)
        var options = relay.options.webSocket
        options.maxMessageSize = configuration.maxPayload
        return WebSocketConnection(connection: connection, delegate: wire, configuration: options)
    }
}
