import Foundation
import Testing
import TestSupport

extension RelayEndToEndTests {
    /// `ms-seq` as the pair of numbers the contract compares.
    static func order(_ id: String) -> [Int] { id.split(separator: "-").compactMap { Int($0) } }
    static func precedes(_ a: String, _ b: String) -> Bool { order(a).lexicographicallyPrecedes(order(b)) }

    @Test func resumeAfterALossDuringABurstMissesNothingDuplicatesNothingAndKeepsOrder() async throws {
        let stack = try await RelayStack.shared()
        let user = RelayIds.next(), user2 = RelayIds.next()
        var configuration = stack.baseConfiguration
        configuration["userId"] = user
        configuration["userId2"] = user2
        configuration["room"] = RelayIds.next()
        configuration["trimRoom"] = RelayIds.next()
        configuration["token"] = stack.token(user: user)
        configuration["token2"] = stack.token(user: user2)
        configuration["source"] = "127.0.13.1"
        configuration["count"] = 300
        let result = try ClientScript.run("resume.py", configuration: configuration, timeout: 45)

        let burst = result["burst"] as? [String: Any] ?? [:]
        let channel = "room:\(configuration["room"]!)"
        let published = burst["published"] as? [String] ?? []
        let before = burst["beforeLoss"] as? [String] ?? []
        let frames = burst["frames"] as? [[String: Any]] ?? []
        let welcome = burst["welcome"] as? [String: Any] ?? [:]
        let position = (welcome["positions"] as? [String: String])?[channel] ?? ""
        #expect(published.count == 300)
        #expect(before.count >= 60 && before.count < 300, "the loss came mid-burst: \(before.count)")
        let events = frames.filter { $0["channel"] as? String == channel && $0["id"] != nil }
        let replayed = events.filter { $0["replayed"] as? Bool == true }.compactMap { $0["id"] as? String }
        let live = events.filter { $0["replayed"] == nil }.compactMap { $0["id"] as? String }
        // Replayed: strictly after `since`, up to the welcome position, in order; live: after it.
        #expect(replayed.allSatisfy { !Self.precedes(position, $0) && Self.precedes(before.last ?? "", $0) })
        #expect(live.allSatisfy { Self.precedes(position, $0) })
        #expect(replayed == replayed.sorted(by: Self.precedes))
        #expect(live == live.sorted(by: Self.precedes))
        // Together: every published event exactly once.
        #expect(before + replayed + live == published, "before \(before.count), replayed \(replayed.count), live \(live.count)")
        let resumed = frames.filter { $0["type"] as? String == "resumed" }
        #expect(resumed.count == 1)
        #expect(resumed.first?["channel"] as? String == channel)
        #expect(resumed.first?["complete"] as? Bool == true)
        // `resumed` comes after the last replayed event.
        let resumedIndex = frames.firstIndex { $0["type"] as? String == "resumed" } ?? -1
        let lastReplayIndex = frames.lastIndex { $0["replayed"] as? Bool == true } ?? -1
        #expect(resumedIndex > lastReplayIndex)

        let trim = result["trim"] as? [String: Any] ?? [:]
        let trimChannel = "room:\(configuration["trimRoom"]!)"
        let trimIds = trim["published"] as? [String] ?? []
        let trimFrames = trim["frames"] as? [[String: Any]] ?? []
        let answers = trimFrames.filter { $0["type"] as? String == "resumed" }
        #expect(answers.map { $0["complete"] as? Bool } == [false, true])
        #expect(answers.allSatisfy { $0["channel"] as? String == trimChannel })
        let replays = trimFrames.filter { $0["replayed"] as? Bool == true }.compactMap { $0["id"] as? String }
        // What the trimmed log still holds after `since` (the last 5), then the complete one's 3.
        #expect(replays == Array(trimIds.suffix(5)) + Array(trimIds.suffix(3)))
    }

    @Test func sessionRevokedClosesThatSessionWith4002AndUserDeletedTheRestWith4003() async throws {
        let stack = try await RelayStack.shared()
        let user = RelayIds.next()
        var configuration = stack.baseConfiguration
        configuration["userId"] = user
        configuration["revokedSid"] = "gone-\(user)"
        configuration["revokedToken"] = stack.token(user: user, sid: "gone-\(user)")
        configuration["keptToken"] = stack.token(user: user, sid: "kept-\(user)")
        configuration["sources"] = Self.sources(2, block: 14)
        let result = try ClientScript.run("closes.py", configuration: configuration)

        let revoked = result["revoked"] as? [String: Any] ?? [:]
        let kept = result["kept"] as? [String: Any] ?? [:]
        #expect(revoked["closeCode"] as? Int == 4002)
        // The client sees why before the close: the event itself arrives first.
        #expect(revoked["ids"] as? [String] == [result["revocation"] as? String].compactMap { $0 })
        #expect(result["reconnect"] as? Int == 401)
        #expect(kept["closeCode"] as? Int == 4003)
        #expect(kept["ids"] as? [String] == [result["revocation"], result["later"], result["deletion"]].compactMap { $0 as? String })
    }
}
