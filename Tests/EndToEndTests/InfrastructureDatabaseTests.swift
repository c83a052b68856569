import Foundation
import Testing
import TestSupport

/// MariaDB primary + replica as the fixtures (and deploy/local) set them up.
@Suite(.serialized)
struct InfrastructureDatabaseTests {
    @Test func sharedStackComesUpFromNothingWithUsersAndReplication() async throws {
        let stack = try await Fixtures.shared()
        print("[InfrastructureDatabaseTests] shared stack start: \(String(format: "%.2f", stack.startSeconds)) s")
        #expect(stack.mariadb.primaryURL.hasPrefix("mysql://chat:"))
        #expect(stack.mariadb.migrateURL.hasPrefix("mysql://chat_migrate:"))
        let status = try stack.mariadb.records("SHOW SLAVE STATUS", on: .replica)
        #expect(status.count == 1)
        #expect(status.first?["Slave_IO_Running"] == "Yes")
        #expect(status.first?["Slave_SQL_Running"] == "Yes")
        #expect(status.first?["Using_Gtid"] == "Slave_Pos")
        let variables = try stack.mariadb.sql(
            "SELECT @@binlog_format, @@server_id, @@read_only, @@log_bin", on: .primary).first
        #expect(variables == ["ROW", "1", "0", "1"])
        let replicaVariables = try stack.mariadb.sql("SELECT @@server_id, @@read_only", on: .replica).first
        #expect(replicaVariables == ["2", "1"])
    }

    @Test func rowWrittenOnThePrimaryAppearsOnTheReplica() async throws {
        let db = try await Fixtures.shared().mariadb
        try db.sql("CREATE TABLE IF NOT EXISTS infra_probe (id INT PRIMARY KEY, note VARCHAR(64))",
                   as: .migrate, database: "chat")
        let id = Int.random(in: 1...1_000_000_000)
        try db.sql("INSERT INTO infra_probe VALUES (\(id), 'from the primary')", as: .app, database: "chat")
        try db.waitForReplicaToCatchUp()
        let rows = try db.sql("SELECT note FROM infra_probe WHERE id = \(id)", on: .replica, as: .app, database: "chat")
        #expect(rows == [["from the primary"]])
    }

    @Test func replicaRefusesWritesFromTheApplicationUser() async throws {
        let db = try await Fixtures.shared().mariadb
        try db.sql("CREATE TABLE IF NOT EXISTS infra_probe (id INT PRIMARY KEY, note VARCHAR(64))",
                   as: .migrate, database: "chat")
        try db.waitForReplicaToCatchUp()
        let error = #expect(throws: FixtureError.self) {
            try db.sql("INSERT INTO infra_probe VALUES (-1, 'on the replica')", on: .replica, as: .app, database: "chat")
        }
        #expect(error?.description.contains("read-only") == true)
    }

    @Test func applicationUserHasNoDDLButTheMigrationUserHas() async throws {
        let db = try await Fixtures.shared().mariadb
        #expect(throws: FixtureError.self) {
            try db.sql("CREATE TABLE app_may_not (id INT)", as: .app, database: "chat")
        }
        try db.sql("CREATE TABLE IF NOT EXISTS migrate_may (id INT); DROP TABLE migrate_may", as: .migrate, database: "chat")
        // What the services need without privileges of their own.
        let lock = try db.sql("SELECT GET_LOCK('chat-probe', 1), RELEASE_LOCK('chat-probe')", as: .app)
        #expect(lock == [["1", "1"]])
        let position = try db.sql("SELECT @@gtid_binlog_pos", as: .app).first?.first ?? ""
        let waited = try db.sql("SELECT MASTER_GTID_WAIT('\(position)', 5)", on: .replica, as: .app)
        #expect(waited == [["0"]])
    }

    @Test func replicaKilledWithSIGKILLRestartsAndCatchesUp() throws {
        let stack = try Fixtures.isolated(label: "replica-kill")
        defer { stack.stop() }
        let db = stack.mariadb
        try db.sql("CREATE TABLE chat.k (id INT PRIMARY KEY)")
        db.killReplica()
        #expect(!db.isReplicaRunning)
        try db.sql("INSERT INTO chat.k VALUES (1), (2)")    // written while the replica is down
        try db.startReplica()
        try db.waitForReplicaToCatchUp()
        #expect(try db.sql("SELECT COUNT(*) FROM chat.k", on: .replica) == [["2"]])
    }

    @Test func stoppedSQLThreadHoldsChangesBackUntilStarted() throws {
        let stack = try Fixtures.isolated(label: "sql-thread")
        defer { stack.stop() }
        let db = stack.mariadb
        try db.sql("CREATE TABLE chat.lag (id INT PRIMARY KEY)")
        try db.waitForReplicaToCatchUp()
        try db.stopReplicationSQLThread()
        try db.sql("INSERT INTO chat.lag VALUES (1)")
        usleep(300_000)
        #expect(try db.sql("SELECT COUNT(*) FROM chat.lag", on: .replica) == [["0"]])
        try db.startReplicationSQLThread()
        try db.waitForReplicaToCatchUp()
        #expect(try db.sql("SELECT COUNT(*) FROM chat.lag", on: .replica) == [["1"]])
    }

    @Test func primaryStopsAndStartsAgainWithItsData() throws {
        let stack = try Fixtures.isolated(label: "primary-restart")
        defer { stack.stop() }
        let db = stack.mariadb
        try db.sql("CREATE TABLE chat.p (id INT PRIMARY KEY); INSERT INTO chat.p VALUES (7)")
        db.stopPrimary()
        #expect(throws: FixtureError.self) { try db.sql("SELECT 1", as: .app) }
        try db.startPrimary()
        #expect(try db.sql("SELECT id FROM chat.p", as: .app) == [["7"]])
        try db.sql("INSERT INTO chat.p VALUES (8)")
        try db.waitForReplicaToCatchUp()   // the replica reconnects by itself
        #expect(try db.sql("SELECT COUNT(*) FROM chat.p", on: .replica) == [["2"]])
    }
}
