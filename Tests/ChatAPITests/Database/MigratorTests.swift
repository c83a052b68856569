import Foundation
import Testing
import TestSupport
@testable import ChatAPI

@Suite("Migrator applies the schema once, under a lock, and stops at a failed step")
struct MigratorTests {
    @Test func migratingTwiceAppliesEachVersionOnce() async throws {
        let schema = try await DatabaseTestEnvironment.freshDatabase("idem", migrated: false)
        let migrator = Migrator(configuration: schema.migrate)
        #expect(try migrator.migrate() == Migration.all.map(\.version))
        #expect(try migrator.migrate() == [])
        #expect(try migrator.appliedVersions() == Migration.all.map(\.version))
        let c = try DatabaseConnection(configuration: schema.primary)
        let tables = Set(try c.query("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()")
            .compactMap { $0.string("t") })
        for table in ["users", "sessions", "refresh_tokens", "friends", "friend_groups", "friend_group_members", "blocks",
                      "rooms", "room_members", "messages", "message_client_ids", "threads", "message_marks",
                      "message_mark_counts", "read_cursors", "event_outbox", "heartbeat", "schema_version"] {
            #expect(tables.contains(table), "missing table \(table)")
        }
    }

    @Test func twoConcurrentMigratorsDoNotRace() async throws {
        let schema = try await DatabaseTestEnvironment.freshDatabase("race", migrated: false)
        // A slow first step widens the window in which an unlocked second runner would start too.
        let slow = [Migration(version: 1, name: "slow", statements: ["DO SLEEP(0.5)", "CREATE TABLE once (id INT PRIMARY KEY)"]),
                    Migration(version: 2, name: "second", statements: ["INSERT INTO once VALUES (1)"])]
        async let first = Task.detached { try Migrator(configuration: schema.migrate, migrations: slow).migrate() }.value
        async let second = Task.detached { try Migrator(configuration: schema.migrate, migrations: slow).migrate() }.value
        let results = try await [first, second]
        #expect(results.sorted { $0.count < $1.count } == [[], [1, 2]])
        let c = try DatabaseConnection(configuration: schema.primary)
        #expect(try c.query("SELECT id FROM once").count == 1)
    }

    @Test func failedStepIsRecordedAndBlocksLaterRunsUntilRepaired() async throws {
        let schema = try await DatabaseTestEnvironment.freshDatabase("failed", migrated: false)
        let broken = [Migration(version: 1, name: "good", statements: ["CREATE TABLE a (id INT PRIMARY KEY)"]),
                      Migration(version: 2, name: "half", statements: ["CREATE TABLE b (id INT PRIMARY KEY)",
                                                                       "CREATE TABLE a (id INT PRIMARY KEY)"]),
                      Migration(version: 3, name: "later", statements: ["CREATE TABLE c (id INT PRIMARY KEY)"])]
        let migrator = Migrator(configuration: schema.migrate, migrations: broken)
        do {
            try migrator.migrate()
            Issue.record("the broken step should have failed")
        } catch MigrationError.failed(let version, _, let error) {
            #expect(version == 2)
            #expect(error.contains("statement 2 of 2"))
        }
        let c = try DatabaseConnection(configuration: schema.migrate)
        let row = try #require(try c.queryOne("SELECT status, error FROM schema_version WHERE version = 2"))
        #expect(row.string("status") == "failed")
        #expect(row.string("error")?.contains("1050") == true)   // table already exists
        #expect(throws: MigrationError.self) { try migrator.migrate() }
        #expect(try c.queryOne("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'c'")?.int("n") == 0)

        // The operator completes step 2 by hand and marks it applied: step 3 then runs.
        try c.execute("UPDATE schema_version SET status = 'applied', error = NULL WHERE version = 2")
        #expect(try migrator.migrate() == [3])
    }

    @Test func schemaEnforcesTheContractsInvariants() async throws {
        let schema = try await DatabaseTestEnvironment.freshDatabase("invariants")
        let c = try DatabaseConnection(configuration: schema.primary)
        func user(_ name: String) throws -> Int64 {
            try c.execute("INSERT INTO users (username, username_active, display_name, password_hash) VALUES (?, ?, ?, 'x')",
                          [.string(name), .string(name), .string(name.uppercased())]).lastInsertId
        }
        let ann = try user("ann"), bob = try user("bob")
        #expect(throws: DatabaseError.duplicate(key: "uq_users_username_active")) { _ = try user("ann") }
        // Soft delete frees the name.
        try c.execute("UPDATE users SET deleted_at = UTC_TIMESTAMP(3), username_active = NULL WHERE id = ?", [.int(ann)])
        let ann2 = try user("ann")
        #expect(ann2 != ann)
        // Group members must be friends; unfriending removes them from groups.
        let group = try c.execute("INSERT INTO friend_groups (owner_id, name) VALUES (?, '🍕')", [.int(ann2)]).lastInsertId
        try c.execute("INSERT INTO friend_groups (owner_id, name) VALUES (?, '🍔')", [.int(ann2)])
        #expect(throws: DatabaseError.self) {
            try c.execute("INSERT INTO friend_group_members (group_id, owner_id, friend_id) VALUES (?, ?, ?)", [.int(group), .int(ann2), .int(bob)])
        }
        try c.execute("INSERT INTO friends (user_id, friend_id) VALUES (?, ?)", [.int(ann2), .int(bob)])
        try c.execute("INSERT INTO friend_group_members (group_id, owner_id, friend_id) VALUES (?, ?, ?)", [.int(group), .int(ann2), .int(bob)])
        try c.execute("DELETE FROM friends WHERE user_id = ? AND friend_id = ?", [.int(ann2), .int(bob)])
        #expect(try c.query("SELECT friend_id FROM friend_group_members").isEmpty)
        // One direct room per pair.
        try c.execute("INSERT INTO rooms (type, created_by, direct_key) VALUES ('direct', ?, ?)", [.int(ann2), .string("\(bob):\(ann2)")])
        #expect(throws: DatabaseError.duplicate(key: "uq_rooms_direct_key")) {
            try c.execute("INSERT INTO rooms (type, created_by, direct_key) VALUES ('direct', ?, ?)", [.int(bob), .string("\(bob):\(ann2)")])
        }
        // Messages page by keyset on (room_id, id), across partitions.
        for i in 0..<5 { try c.execute("INSERT INTO messages (room_id, sender_id, body) VALUES (7, ?, ?)", [.int(bob), .string("m\(i)")]) }
        let page = try c.query("SELECT body FROM messages WHERE room_id = ? AND id < ? ORDER BY id DESC LIMIT 2", [7, .int(Int64.max)])
        #expect(page.map { $0.string("body") } == ["m4", "m3"])
        #expect(throws: DatabaseError.duplicate(key: "PRIMARY")) {
            try c.execute("INSERT INTO message_client_ids (sender_id, client_message_id, message_id, room_id) VALUES (1, 'k', 1, 7), (1, 'k', 2, 7)")
        }
    }
}
