import Foundation
import Synchronization
import Testing
@testable import ChatRelay
@testable import Shared

/// The Socket.IO endpoint's polling answers as deferred HTTP answers, on real loops (no socket):
/// what the kit would write is captured where it would hold the request.
@Suite(.serialized) struct SocketIOPollingTests {
    /// Stands in for the connection: holds a deferred answer and records it once it comes.
    final class Answer: Sendable {
        final class Slot: Sendable {
            let value = Mutex<HTTPResponse?>(nil)
            func store(_ response: HTTPResponse) { value.withLock { $0 = response } }
        }
        private let slot = Slot()
        let responder: HTTPResponder

        init(_ response: HTTPResponse) throws {
            responder = try #require(response.responder, "the endpoint answered at once: \(response.status)")
            let slot = self.slot
            switch responder.hold(deliver: { slot.store($0) }) {
            case .answered(let early): slot.store(early)
            case .held: break
            case .reused: Issue.record("a responder handed out twice")
            }
        }

        var response: HTTPResponse? { slot.value.withLock { $0 } }
        var text: String? { response.map { String(decoding: $0.body, as: UTF8.self) } }

        func wait(timeout: Double = 5) throws -> HTTPResponse {
            try waitUntil(timeout: timeout) { response != nil }
            return response!
        }
    }

    static let peer = try! SocketAddress.resolve(host: "127.0.0.1", port: 1)

    static func request(_ method: HTTPMethod, _ query: String, body: String = "") -> HTTPRequest {
        HTTPRequest(method: method, target: "/socket.io/?EIO=4&transport=polling" + query, body: Array(body.utf8), peer: peer)
    }

    /// A polling session's sid, from the handshake.
    static func handshake(_ endpoint: SocketIOEndpoint) throws -> String {
        let open = try Answer(try endpoint.handle(request(.get, ""))).wait()
        let text = String(decoding: open.body, as: UTF8.self)
        let sid = try #require(json(String(text.dropFirst()))?["sid"] as? String, "\(text)")
        return sid
    }

    @Test func aHeldPollIsAnsweredByTheSessionAndPollsPastTheBoundAre503() throws {
        let harness = try RelayHarness()
        defer { harness.stop() }
        var configuration = EngineIOConfiguration()
        configuration.maxHeldPolls = 1
        let hub = SocketIOHub(relay: harness.hub, configuration: configuration)
        let endpoint = SocketIOEndpoint(hub: hub)
        let first = try Self.handshake(endpoint), second = try Self.handshake(endpoint)

        let held = try Answer(try endpoint.handle(Self.request(.get, "&sid=\(first)")))
        try waitUntil { hub.heldPolls.load(ordering: .relaxed) == 1 }
        #expect(held.response == nil)
        let refused = #expect(throws: Problem.self) { try endpoint.handle(Self.request(.get, "&sid=\(second)")) }
        #expect(refused?.status == 503 && refused?.detail?.contains("websocket") == true)
        // The client's CONNECT comes by POST; the session answers the held GET with its CONNECT ack
        // or, refused, CONNECT_ERROR: either way the held poll is answered by the session.
        let posted = try Answer(try endpoint.handle(Self.request(.post, "&sid=\(first)", body: "40{\"token\":\"bad\"}")))
        #expect(try posted.wait().status == 200 && posted.text == "ok")
        #expect(try held.wait().status == 200)
        #expect(held.text?.hasPrefix("44{\"message\":") == true, "\(held.text ?? "")")
        try waitUntil { hub.heldPolls.load(ordering: .relaxed) == 0 }
    }

    @Test func aHeldPollWhoseClientLeftEndsItsSessionAndUnknownSidsAre400() throws {
        let harness = try RelayHarness()
        defer { harness.stop() }
        let hub = SocketIOHub(relay: harness.hub)
        let endpoint = SocketIOEndpoint(hub: hub)
        let sid = try Self.handshake(endpoint)
        let held = try Answer(try endpoint.handle(Self.request(.get, "&sid=\(sid)")))
        try waitUntil { hub.heldPolls.load(ordering: .relaxed) == 1 }
        #expect(held.responder.cancel())  // what the kit does when the client goes away
        try waitUntil { hub.heldPolls.load(ordering: .relaxed) == 0 }
        let after = try Answer(try endpoint.handle(Self.request(.post, "&sid=\(sid)", body: "6"))).wait()
        #expect(after.status == 400 && after.headers["X-Engine-IO-Error"] == "1")
        #expect(held.response == nil)
    }

    @Test func aSecondConcurrentPollIsRefusedAndTheFirstLetGoAsTheSessionEnds() throws {
        let harness = try RelayHarness()
        defer { harness.stop() }
        let hub = SocketIOHub(relay: harness.hub)
        let endpoint = SocketIOEndpoint(hub: hub)
        let sid = try Self.handshake(endpoint)
        let first = try Answer(try endpoint.handle(Self.request(.get, "&sid=\(sid)")))
        try waitUntil { hub.heldPolls.load(ordering: .relaxed) == 1 }
        let second = try Answer(try endpoint.handle(Self.request(.get, "&sid=\(sid)"))).wait()
        #expect(second.status == 400)
        #expect(try first.wait().status == 200 && first.text == "6")
        let after = try Answer(try endpoint.handle(Self.request(.post, "&sid=\(sid)", body: "6"))).wait()
        #expect(after.status == 400)
    }
}
