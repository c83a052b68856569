import Foundation
import Testing
import TestSupport
@testable import ChatAPI

/// Tests that restart, kill or hold back servers: their own primary + replica, one at a time.
@Suite("Database routing and recovery when servers restart, die or lag", .serialized)
final class DatabaseFailoverTests {
    let fixture: MariaDBFixture
    let schema: DatabaseTestEnvironment.Schema

    init() async throws {
        fixture = try DatabaseTestEnvironment.startFixture()
        schema = try await DatabaseTestEnvironment.freshDatabase("failover", on: fixture)
        try fixture.waitForReplicaToCatchUp()
    }

    deinit { fixture.stop() }

    private func makeDatabase(positions: any WritePositionStore = InMemoryWritePositionStore()) -> Database {
        var options = Database.Options()
        options.heartbeatInterval = 0.1
        options.maxReplicaLag = 30   // lag has its own test; here a held-back replica must stay "serving"
        options.pool = .init(maxConnections: 4, checkoutTimeout: 1, pingAfterIdle: 60)
        return Database(primary: schema.primary, replicas: [schema.replica], writePositions: positions, options: options)
    }

    private func waitUntilServing(_ db: Database) throws {
        #expect(eventually { db.replicaHealth().first?.serving == true }, "replica never became healthy")
    }

    private func port(_ c: DatabaseConnection) throws -> Int64 { try c.queryOne("SELECT @@port AS p")?.int("p") ?? 0 }

    @Test func poolReconnectsAndPreparesAgainAfterThePrimaryRestarts() throws {
        let pool = DatabasePool(name: "primary", configuration: schema.primary,
                                options: .init(maxConnections: 1, checkoutTimeout: 1, pingAfterIdle: 60))
        defer { pool.shutdown() }
        let sql = "SELECT COUNT(*) AS n FROM heartbeat WHERE id = ?"
        #expect(try pool.withConnection { try $0.queryOne(sql, [1])?.int("n") } == 1)
        fixture.stopPrimary()
        try fixture.startPrimary()
        // Same pooled connection, same cached statement text: the dead session is noticed at
        // checkout, reconnected, and the statement prepared again.
        #expect(try pool.withConnection { try $0.queryOne(sql, [1])?.int("n") } == 1)
        #expect(pool.statistics.reconnects == 1)
        try fixture.waitForReplicaToCatchUp()
    }

    @Test func plainReadsGoToTheReplicaAndWritesToThePrimary() throws {
        let db = makeDatabase()
        defer { db.shutdown() }
        try waitUntilServing(db)
        #expect(try db.read(for: nil) { try port($0) } == Int64(fixture.replicaPort))
        #expect(try db.readPrimary { try port($0) } == Int64(fixture.primaryPort))
        #expect(try db.write { try port($0) } == Int64(fixture.primaryPort))
        #expect(db.metrics.snapshot().replicaReads == 1)

        // Several replicas share the reads (here the same server under two names).
        var options = Database.Options()
        options.heartbeatInterval = 0.1
        let two = Database(primary: schema.primary, replicas: [schema.replica, schema.replica],
                           writePositions: InMemoryWritePositionStore(), options: options)
        defer { two.shutdown() }
        #expect(eventually { two.replicaHealth().allSatisfy(\.serving) })
        for _ in 0..<4 { try two.read(for: nil) { _ = try port($0) } }
        #expect(two.replicas.map { $0.statistics.idle } == [1, 1])
        #expect(two.metrics.snapshot().replicaReads == 4)
    }

    @Test func readsFallBackToThePrimaryWhenTheReplicaIsKilled() throws {
        let db = makeDatabase()
        defer { db.shutdown() }
        try waitUntilServing(db)
        fixture.killReplica()
        defer { try? fixture.startReplica() }
        // Before and after the probe notices, every read answers, from the primary.
        for _ in 0..<20 {
            #expect(try db.read(for: nil) { try port($0) } == Int64(fixture.primaryPort))
        }
        #expect(eventually { db.replicaHealth().first?.reachable == false })
        let fallbacks = db.metrics.snapshot().fallbacks
        #expect((fallbacks[.replicaFailed] ?? 0) + (fallbacks[.replicaDown] ?? 0) >= 1)
        try fixture.startReplica()
        try waitUntilServing(db)
        #expect(try db.read(for: nil) { try port($0) } == Int64(fixture.replicaPort))
    }

    @Test func readYourWritesHoldsWhileTheReplicaStopsApplying() throws {
        // Two "instances" sharing one position store, as two ChatAPI processes share Redis.
        let positions = InMemoryWritePositionStore()
        let writer = makeDatabase(positions: positions)
        let reader = makeDatabase(positions: positions)
        defer { writer.shutdown(); reader.shutdown() }
        try waitUntilServing(reader)
        try writer.write(for: 1) { try $0.execute("INSERT INTO users (username, username_active, display_name, password_hash) VALUES ('ryw', 'ryw', 'R', 'x')") }
        #expect(eventually { (try? reader.read(for: 1) { try $0.query("SELECT id FROM users WHERE username = 'ryw'") })?.count == 1 })

        try fixture.stopReplicationSQLThread()
        defer { try? fixture.startReplicationSQLThread() }
        let id = try writer.write(for: 1) { c in
            try c.execute("INSERT INTO users (username, username_active, display_name, password_hash) VALUES ('ryw2', 'ryw2', 'R', 'x')").lastInsertId
        }
        // The writer's own user sees the row at once (served by the primary after a short wait)...
        let mine = try reader.read(for: 1) { try $0.queryOne("SELECT id FROM users WHERE id = ?", [.int(id)]) }
        #expect(mine?.int("id") == id)
        #expect((reader.metrics.snapshot().fallbacks[.writePositionTimeout] ?? 0) >= 1)
        // ...while another user's plain read is still served by the (stale) replica.
        let theirs = try reader.read(for: 2) { c in (try port(c), try c.queryOne("SELECT id FROM users WHERE id = ?", [.int(id)])) }
        #expect(theirs.0 == Int64(fixture.replicaPort))
        #expect(theirs.1 == nil)

        // With no room for waiters, such reads go straight to the primary.
        var noWaiting = Database.Options()
        noWaiting.heartbeatInterval = 0.1
        noWaiting.maxConcurrentPositionWaits = 0
        noWaiting.maxReplicaLag = 30
        let impatient = Database(primary: schema.primary, replicas: [schema.replica], writePositions: positions, options: noWaiting)
        defer { impatient.shutdown() }
        try waitUntilServing(impatient)
        #expect(try impatient.read(for: 1) { try port($0) } == Int64(fixture.primaryPort))
        #expect(impatient.metrics.snapshot().fallbacks[.tooManyWaiters] == 1)

        try fixture.startReplicationSQLThread()
        try fixture.waitForReplicaToCatchUp()
        let waitsBefore = reader.metrics.snapshot().replicaReads
        #expect(try reader.read(for: 1) { try port($0) } == Int64(fixture.replicaPort))
        #expect(reader.metrics.snapshot().replicaReads == waitsBefore + 1)
    }

    @Test func aLaggingReplicaIsSkippedUntilItCatchesUp() throws {
        var options = Database.Options()
        options.heartbeatInterval = 0.1
        options.maxReplicaLag = 0.5
        let db = Database(primary: schema.primary, replicas: [schema.replica], writePositions: InMemoryWritePositionStore(), options: options)
        defer { db.shutdown() }
        try waitUntilServing(db)
        try fixture.stopReplicationSQLThread()
        defer { try? fixture.startReplicationSQLThread() }
        #expect(eventually { (db.replicaHealth().first?.lag ?? 0) > 0.5 })
        #expect(try db.read(for: nil) { try port($0) } == Int64(fixture.primaryPort))
        #expect((db.metrics.snapshot().fallbacks[.replicaLagging] ?? 0) >= 1)
        try fixture.startReplicationSQLThread()
        try waitUntilServing(db)
        #expect(try db.read(for: nil) { try port($0) } == Int64(fixture.replicaPort))
    }

    @Test func writesFailCleanlyAndReadsUseTheReplicaWhileThePrimaryIsDown() throws {
        let db = makeDatabase()
        defer { db.shutdown() }
        try waitUntilServing(db)
        fixture.stopPrimary()
        defer { try? fixture.startPrimary() }
        #expect(throws: DatabaseError.self) {
            try db.write { try $0.execute("INSERT INTO users (username, username_active, display_name, password_hash) VALUES ('gone', 'gone', 'G', 'x')") }
        }
        do {
            try db.write { _ in 1 }
            Issue.record("a write with the primary down must fail")
        } catch let error as DatabaseError {
            #expect(error.breaksConnection, "expected .unavailable, got \(error)")
        }
        // Credential reads need the primary; plain reads keep working from the replica,
        // even once the lag measure stalls (no fresh heartbeat).
        #expect(try db.read(for: nil) { try port($0) } == Int64(fixture.replicaPort))
        #expect(try db.read(for: 1) { try port($0) } == Int64(fixture.replicaPort))
        try fixture.startPrimary()
        #expect(try db.write { try port($0) } == Int64(fixture.primaryPort))
        #expect(try db.readPrimary { try $0.query("SELECT id FROM users WHERE username = 'gone'") }.isEmpty)
    }
}
