import Foundation
import Testing
import TestSupport

/// Per-address budgets through nginx from distinct loopback sources (curl `--interface`): a
/// client cannot pick its address by sending `X-Forwarded-For`, because nginx appends the
/// address it saw and ChatAPI, trusting nginx, believes only that last hop.
@Suite(.serialized) struct ClientAddressTests {
    /// Sign-up from `source` through nginx, claiming to be `spoofed`; returns the status.
    private static func signUp(through nginx: NginxFixture, from source: String, claiming spoofed: String) throws -> Int {
        let body = #"{"username":"\#(Unique.username("addr"))","password":"correct horse battery","displayName":"A"}"#
        let output = try Command.check("curl", [
            "-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", source,
            "-H", "Content-Type: application/json", "-H", "X-Forwarded-For: \(spoofed)",
            "--data-binary", body, "\(nginx.baseURL)/api/v1/users",
        ])
        return Int(output) ?? -1
    }

    @Test func aSpoofedForwardedForDoesNotEscapeThePerAddressSignUpBudget() async throws {
        let stack = try APIStack.start(on: try await Fixtures.shared(), label: "address", apiEnvironment: [
            "CHAT_RATE_SIGNUP_PER_ADDRESS": "3",
        ])
        defer { stack.stop() }
        // A fresh pair of source addresses per run: the budget lives in Redis for a minute.
        let base = Int.random(in: 2...120) * 2
        let attacker = "127.0.0.\(base)", bystander = "127.0.0.\(base + 1)"

        var statuses: [Int] = []
        for attempt in 1...4 {
            statuses.append(try Self.signUp(through: stack.nginx, from: attacker, claiming: "203.0.113.\(attempt)"))
        }
        #expect(statuses == [201, 201, 201, 429], "\(statuses)")
        // The same spoofed address from another real source is a different client.
        #expect(try Self.signUp(through: stack.nginx, from: bystander, claiming: "203.0.113.1") == 201)
    }
}
