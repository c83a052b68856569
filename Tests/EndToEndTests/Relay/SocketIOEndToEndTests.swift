import Foundation
import Testing
import TestSupport

extension RelayEndToEndTests {
    /// One user and a room for one Socket.IO scenario (clients/socketio_clients.py).
    static func socketIOSetup(_ stack: RelayStack) -> [String: Any] {
        let user = RelayIds.next(), other = RelayIds.next()
        return ["user": ["userId": user, "token": stack.token(user: user), "freshToken": stack.token(user: user)],
                "other": ["userId": other, "token": stack.token(user: other)],
                "room": RelayIds.next()]
    }

    @Test func theRealPythonSocketIOClientGetsWelcomeEventsResumeTypingAndClosesOverPollingAndWebSocket() async throws {
        let stack = try await RelayStack.shared()
        var configuration = stack.baseConfiguration
        configuration["polling"] = Self.socketIOSetup(stack)
        configuration["websocket"] = Self.socketIOSetup(stack)
        configuration["expired"] = stack.token(user: RelayIds.next(), lifetime: 900, issuedAgo: 1_000)
        let result = try ClientScript.run("socketio_clients.py", configuration: configuration, timeout: 90)

        for name in ["polling", "websocket"] {
            let setup = configuration[name] as? [String: Any] ?? [:]
            let user = (setup["user"] as? [String: Any])?["userId"] as? Int64 ?? 0
            let room = setup["room"] as? Int64 ?? 0
            let run = result[name] as? [String: Any] ?? [:]
            #expect(run["transport"] as? String == "websocket", "\(name): ended on \(run["transport"] ?? "nothing")")
            let welcome = run["welcome"] as? [String: Any] ?? [:]
            #expect((welcome["userId"] as? NSNumber)?.int64Value == user, "\(name): \(welcome)")
            #expect((welcome["rooms"] as? [NSNumber])?.map(\.int64Value) == [room], "\(name): \(welcome)")
            let events = run["events"] as? [[Any]] ?? []
            let named = { (event: String) in events.filter { $0.first as? String == event }.compactMap { $0.last as? [String: Any] } }
            // The welcome comes first, as the relay's first frame does.
            #expect(events.first?.first as? String == "welcome", "\(name): \(events.prefix(2))")
            // The live event: named by its type, the envelope as its argument.
            let live = run["live"] as? String ?? "?"
            let created = named("message.created")
            let liveEvent = created.first { $0["id"] as? String == live }
            #expect(liveEvent?["channel"] as? String == "room:\(room)", "\(name): \(created)")
            #expect((liveEvent?["data"] as? [String: Any])?["body"] as? String == "over socket.io")
            #expect(liveEvent?["replayed"] == nil)
            // Resume since the first logged event: the second replayed, then `resumed`.
            let before = run["before"] as? [String] ?? []
            let replayed = created.filter { $0["replayed"] as? Bool == true }.compactMap { $0["id"] as? String }
            #expect(replayed == Array(before.dropFirst()), "\(name): replayed \(replayed), logged \(before)")
            let resumed = named("resumed")
            #expect(resumed.count == 1 && resumed.first?["complete"] as? Bool == true, "\(name): \(resumed)")
            #expect(resumed.first?["channel"] as? String == "room:\(room)")
            // Typing reached the other member; the bad auth and the non-member typing are errors.
            let typing = run["peerTyping"] as? [[String: Any]] ?? []
            #expect(typing.contains { ($0["data"] as? [String: Any])?["userId"] as? NSNumber == NSNumber(value: user) },
                    "\(name): \(typing)")
            let errors = named("error").compactMap { $0["code"] as? String }
            #expect(errors.sorted() == ["invalid_token", "not_member"], "\(name): \(errors)")
            #expect(run["connectedAfter"] as? Bool == true)
            // Revoked: the `session.revoked` event, then `close` with the relay's code, then gone.
            let revoke = run["afterRevoke"] as? [String: Any] ?? [:]
            let after = revoke["events"] as? [[Any]] ?? []
            #expect(after.map { $0.first as? String } == ["session.revoked", "close"], "\(name): \(after)")
            let close = after.last?.last as? [String: Any]
            #expect((close?["code"] as? NSNumber)?.intValue == 4002, "\(name): \(after)")
            #expect(close?["reason"] as? String == "session revoked")
            #expect(revoke["disconnected"] as? Bool == true)

            // CONNECT_ERROR `44{"message":...}`, then the Engine.IO close.
            let expected = ["BadToken": "invalid or expired access token", "Expired": "invalid or expired access token",
                            "NoToken": "an access token is required"]
            for (refusal, message) in expected {
                let refused = result[name + refusal] as? [String: Any] ?? [:]
                #expect(refused["refused"] as? Bool == true, "\(name)\(refusal): \(refused)")
                let errors = refused["connectErrors"] as? [[String: Any]] ?? []
                #expect(errors.count == 1 && (errors.first?["message"] as? String)?.hasPrefix(message) == true,
                        "\(name)\(refusal): \(errors)")
                #expect(refused["disconnected"] as? Bool == true, "\(name)\(refusal): \(refused)")
            }
        }
    }
}
