import Foundation
import Testing
import TestSupport

/// Accounts while the database misbehaves: replication held back, replica killed, primary down.
/// One stack of its own, broken step by step.
@Suite(.serialized) struct AccountsFaultTests {
    private static let stack = Task<APIStack, any Error> {
        try APIStack.start(on: try Fixtures.isolated(label: "faults"), label: "faults")
    }

    @Test func readYourWritesHoldsWhileReplicationIsHeldBack() async throws {
        let stack = try await Self.stack.value
        let database = stack.infrastructure.mariadb
        try database.stopReplicationSQLThread()
        defer { try? database.startReplicationSQLThread() }
        let client = stack.client
        for _ in 0..<6 {
            let name = Unique.username("lag")
            let user = try await client.newUser(name)
            // Whichever instance nginx picks, the user's own read sees the user.
            for _ in 0..<2 {
                let me = try await client.send("GET", "/api/v1/users/me", token: user.access)
                #expect(me.status == 200, "\(me.text)")
                #expect(me.json["username"] as? String == name)
            }
        }
        // The replica really was behind: the rows are not there yet.
        let onReplica = try database.records("SELECT COUNT(*) AS n FROM chat.users WHERE username LIKE 'lag\\_%'", on: .replica)
        #expect(onReplica.first?["n"] == "0")
    }

    @Test func readsKeepAnsweringWhenTheReplicaIsKilled() async throws {
        let stack = try await Self.stack.value
        let client = stack.client
        let user = try await client.newUser(Unique.username("kill"))
        try stack.infrastructure.mariadb.waitForReplicaToCatchUp()
        stack.infrastructure.mariadb.killReplica()
        defer { try? stack.infrastructure.mariadb.startReplica() }
        for _ in 0..<10 {
            let me = try await client.send("GET", "/api/v1/users/me", token: user.access)
            #expect(me.status == 200, "\(me.text)")
        }
        let health = try await client.send("GET", "/actuator/health")
        #expect(health.status == 200)
        let components = health.json["components"] as? [String: [String: Any]]
        #expect(components?["dbReplica"]?["status"] as? String == "DOWN")
        #expect(components?["db"]?["status"] as? String == "UP")
    }

    @Test func writesAnswer503WithoutHalfWritingWhileThePrimaryIsDown() async throws {
        let stack = try await Self.stack.value
        let database = stack.infrastructure.mariadb
        try? database.startReplica()
        let client = stack.client
        let user = try await client.newUser(Unique.username("down"))
        try database.waitForReplicaToCatchUp()
        let usersBefore = try database.records("SELECT COUNT(*) AS n FROM chat.users", on: .replica).first?["n"]
        database.stopPrimary()
        defer { try? database.startPrimary() }

        let name = Unique.username("never")
        let write = try await client.signUp(name)
        #expect(write.status == 503, "\(write.text)")
        #expect(write.header("Retry-After") != nil)
        let refresh = try await client.send("POST", "/api/v1/tokens/refresh", json: ["refreshToken": user.refresh])
        #expect(refresh.status == 503, "\(refresh.text)")

        // Reads are served by the replica.
        for _ in 0..<4 {
            let me = try await client.send("GET", "/api/v1/users/me", token: user.access)
            #expect(me.status == 200, "\(me.text)")
        }
        let health = try await client.send("GET", "/actuator/health")
        #expect(health.status == 503)

        try database.startPrimary()
        // Nothing was half-written: the refused sign-up left no row, and the refresh token still works once.
        let usersAfter = try database.records("SELECT COUNT(*) AS n FROM chat.users").first?["n"]
        #expect(usersAfter == usersBefore)
        var rotated = 0
        for _ in 0..<40 where rotated == 0 {
            let retry = try await client.send("POST", "/api/v1/tokens/refresh", json: ["refreshToken": user.refresh])
            if retry.status == 200 { rotated = 1 } else { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(rotated == 1)
    }
}
