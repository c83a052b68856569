import Foundation
import Testing
import TestSupport

/// Ending a session or an account over REST closes that user's live sockets on the relay:
/// ChatAPI → outbox → Redis → ChatRelay → client, all real, through nginx.
@Suite(.serialized) struct SessionEndTests {
    @Test func logOutClosesTheSessionsLiveSocketWith4002() async throws {
        let stack = try await APIStack.shared()
        let user = try await stack.client.newUser(Unique.username("live"))
        let watcher = try SocketWatcher.start(nginx: stack.nginx, token: user.access)
        defer { watcher.process.stop() }
        #expect(try await watcher.waitForLine { $0 == "READY" } != nil, "\(watcher.lines)")

        let out = try await stack.client.send("DELETE", "/api/v1/tokens", json: ["refreshToken": user.refresh],
                                              token: user.access)
        #expect(out.status == 204)
        #expect(try await watcher.waitForLine { $0.hasPrefix("CLOSE") } == "CLOSE 4002", "\(watcher.lines)")

        // The relay now refuses the session's token before the upgrade.
        let again = try SocketWatcher.start(nginx: stack.nginx, token: user.access)
        defer { again.process.stop() }
        #expect(try await again.waitForLine { $0.hasPrefix("REFUSED") } == "REFUSED 401", "\(again.lines)")
    }

    @Test func deletingTheAccountClosesEverySocketWith4003() async throws {
        let stack = try await APIStack.shared()
        let name = Unique.username("gone")
        let user = try await stack.client.newUser(name)
        let second = try await stack.client.logIn(name)
        let otherAccess = try #require(second.json["accessToken"] as? String)
        let watchers = try [user.access, otherAccess].map { try SocketWatcher.start(nginx: stack.nginx, token: $0) }
        defer { watchers.forEach { $0.process.stop() } }
        for watcher in watchers {
            #expect(try await watcher.waitForLine { $0 == "READY" } != nil, "\(watcher.lines)")
        }
        let deleted = try await stack.client.send("DELETE", "/api/v1/users/me",
                                                  json: ["password": "correct horse battery"], token: user.access)
        #expect(deleted.status == 204)
        for watcher in watchers {
            let closed = try await watcher.waitForLine { $0.hasPrefix("CLOSE") }
            #expect(closed == "CLOSE 4003", "\(watcher.lines)")
        }
    }
}
