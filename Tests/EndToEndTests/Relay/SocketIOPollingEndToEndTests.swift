import Foundation
import Testing
import TestSupport

extension RelayEndToEndTests {
    /// Held polls are deferred HTTP answers: no thread each (the relay used to cap them at 32).
    static let concurrentPollers = 200

    @Test func twoHundredHeldPollsOnOneRelayAllGetOneEventWithoutAThreadEachAndAnUpgradeOrALeaveReleasesAHeldPoll()
        async throws {
        let stack = try await RelayStack.shared()
        let users = (0..<Self.concurrentPollers).map { _ in RelayIds.next() }
        var configuration = stack.baseConfiguration
        configuration["relayPids"] = stack.relays.compactMap(\.pid).map(Int.init)
        configuration["many"] = ["room": RelayIds.next(), "users": users,
                                 "tokens": users.map { stack.token(user: $0) }] as [String: Any]
        configuration["upgrade"] = ["token": stack.token(user: RelayIds.next())]
        configuration["abandoned"] = ["token": stack.token(user: RelayIds.next())]
        let result = try ClientScript.run("socketio_polling.py", configuration: configuration, timeout: 120)

        // Every session held its GET at once (all from one address: one relay), and the one
        // event answered all of them; the relays kept a handful of threads meanwhile.
        let many = result["many"] as? [String: Any] ?? [:]
        #expect(many["sessions"] as? Int == Self.concurrentPollers)
        #expect((many["earlyAnswers"] as? [String])?.isEmpty == true, "answered before the event: \(many)")
        #expect(many["statuses"] as? [Int] == [200], "\(many)")
        #expect(many["delivered"] as? Int == Self.concurrentPollers, "\(many)")
        #expect((many["sample"] as? String)?.hasPrefix("42[\"message.created\",") == true, "\(many)")
        let threads = many["relayThreads"] as? [Int] ?? []
        #expect(threads.count == 2 && threads.allSatisfy { $0 < 64 }, "relay threads while polls were held: \(threads)")

        // An upgrade lets the held GET go with a noop, as Engine.IO does.
        let upgrade = result["upgrade"] as? [String: Any] ?? [:]
        #expect(upgrade["heldBefore"] as? Bool == true, "\(upgrade)")
        #expect(upgrade["probe"] as? String == "3probe")
        #expect(upgrade["pollStatus"] as? Int == 200 && upgrade["pollBody"] as? String == "6", "\(upgrade)")
        #expect((upgrade["afterUpgrade"] as? String)?.hasPrefix("42[\"error\",") == true, "\(upgrade)")

        // A client leaving mid-poll ends its session (no session left pointing at a dead GET).
        let abandoned = result["abandoned"] as? [String: Any] ?? [:]
        let whileHeld = abandoned["whileHeld"] as? [Any] ?? []
        #expect(whileHeld.first as? Int == 200 && whileHeld.last as? String == "ok", "\(abandoned)")
        let after = abandoned["after"] as? [Any] ?? []
        #expect(after.first as? Int == 400, "\(abandoned)")
        #expect((after.last as? String)?.contains("Session ID unknown") == true, "\(abandoned)")
    }
}
