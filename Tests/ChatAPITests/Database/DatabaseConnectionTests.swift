import Foundation
import Synchronization
import Testing
import TestSupport
@testable import ChatAPI

@Suite("DatabaseConnection against a real MariaDB")
struct DatabaseConnectionTests {
    private func connection(_ label: String) async throws -> DatabaseConnection {
        let schema = try await DatabaseTestEnvironment.freshDatabase(label, migrated: false)
        let connection = try DatabaseConnection(configuration: schema.migrate)
        try connection.execute("""
            CREATE TABLE kinds (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, n BIGINT NULL, s VARCHAR(100) NULL,
              t MEDIUMTEXT NULL, d DATETIME(3) NULL, b BOOLEAN NULL, f DOUBLE NULL, bin BLOB NULL,
              u BIGINT UNSIGNED NULL, dec_value DECIMAL(10,2) NULL,
              UNIQUE KEY uq_kinds_s (s)) DEFAULT CHARSET=utf8mb4
            """)
        return connection
    }

    @Test func everyValueTypeRoundTripsExactly() async throws {
        let c = try await connection("types")
        let date = Date(timeIntervalSince1970: 1_764_583_200.123)
        let emoji = "héllo 👩‍💻🍕 ' \" ; -- DROP TABLE kinds"
        let bytes: [UInt8] = [0, 1, 2, 255, 0, 7]
        let result = try c.execute("INSERT INTO kinds (n, s, d, b, f, bin, u, dec_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                   [.int(-9_007_199_254_740_991), .string(emoji), .date(date), .bool(true),
                                    .double(3.25), .bytes(bytes), .int(42), .string("12.34")])
        #expect(result.affectedRows == 1)
        #expect(result.lastInsertId > 0)
        let row = try #require(try c.queryOne("SELECT * FROM kinds WHERE id = ?", [.int(result.lastInsertId)]))
        #expect(row.int("n") == -9_007_199_254_740_991)
        #expect(row.string("s") == emoji)
        #expect(row["b"] == .bool(true))
        #expect(row.double("f") == 3.25)
        #expect(row.bytes("bin") == bytes)
        #expect(row.int("u") == 42)
        #expect(row.string("dec_value") == "12.34")
        let stored = try #require(row.date("d"))
        #expect(Int64((stored.timeIntervalSince1970 * 1000).rounded()) == 1_764_583_200_123)
        // The server sees the same instant in UTC, whatever the host's time zone.
        let text = try c.queryOne("SELECT DATE_FORMAT(d, '%Y-%m-%d %H:%i:%s.%f') AS text FROM kinds WHERE id = ?", [.int(result.lastInsertId)])
        #expect(text?.string("text") == "2025-12-01 10:00:00.123000")
    }

    @Test func nullsBindAndDecodeAsNull() async throws {
        let c = try await connection("nulls")
        let id = try c.execute("INSERT INTO kinds (n, s, d, b, f, bin) VALUES (?, ?, ?, ?, ?, ?)",
                               [.null, .null, .null, .null, .null, .null]).lastInsertId
        let row = try #require(try c.queryOne("SELECT n, s, d, b, f, bin FROM kinds WHERE id = ?", [.int(id)]))
        #expect(row.values == [.null, .null, .null, .null, .null, .null])
        #expect(row.int("n") == nil)
        #expect(try c.query("SELECT id FROM kinds WHERE s IS NULL").count == 1)
    }

    @Test func textLongerThanTheFetchBufferIsReadInFull() async throws {
        let c = try await connection("longtext")
        let long = String(repeating: "0123456789abcdef🍕", count: 20_000)   // ~400 KB
        #expect(long.utf8.count > PreparedStatement.initialTextCapacity * 100)
        let id = try c.execute("INSERT INTO kinds (t, s) VALUES (?, ?)", [.string(long), "short"]).lastInsertId
        try c.execute("INSERT INTO kinds (t, s) VALUES (?, ?)", [.string("tiny"), "second"])
        let rows = try c.query("SELECT t, s FROM kinds WHERE id >= ? ORDER BY id", [.int(id)])
        #expect(rows.count == 2)
        #expect(rows[0].string("t") == long)
        #expect(rows[0].string("s") == "short")
        #expect(rows[1].string("t") == "tiny")
    }

    @Test func duplicateKeyNamesTheViolatedKey() async throws {
        let c = try await connection("dup")
        try c.execute("INSERT INTO kinds (s) VALUES (?)", ["taken"])
        #expect(throws: DatabaseError.duplicate(key: "uq_kinds_s")) {
            try c.execute("INSERT INTO kinds (s) VALUES (?)", ["taken"])
        }
        #expect(throws: DatabaseError.duplicate(key: "PRIMARY")) {
            try c.execute("INSERT INTO kinds (id) VALUES (1), (1)")
        }
    }

    @Test func transactionRollsBackWhenTheBodyThrows() async throws {
        struct Boom: Error {}
        let c = try await connection("rollback")
        #expect(throws: Boom.self) {
            try c.transaction { tx in
                try tx.execute("INSERT INTO kinds (s) VALUES (?)", ["inside"])
                throw Boom()
            }
        }
        #expect(throws: DatabaseError.duplicate(key: "uq_kinds_s")) {
            try c.transaction { tx in
                try tx.execute("INSERT INTO kinds (s) VALUES (?)", ["first"])
                try tx.execute("INSERT INTO kinds (s) VALUES (?)", ["first"])
            }
        }
        #expect(try c.query("SELECT id FROM kinds").isEmpty)
        #expect(!c.inTransaction)
        let committed = try c.transaction { tx in try tx.execute("INSERT INTO kinds (s) VALUES (?)", ["kept"]).lastInsertId }
        #expect(try c.queryOne("SELECT s FROM kinds WHERE id = ?", [.int(committed)])?.string("s") == "kept")
    }

    @Test func deadlockedTransactionIsRetriedAsAWhole() async throws {
        let schema = try await DatabaseTestEnvironment.freshDatabase("deadlock", migrated: false)
        let a = try DatabaseConnection(configuration: schema.migrate)
        let b = try DatabaseConnection(configuration: schema.migrate)
        try a.execute("CREATE TABLE acct (id INT PRIMARY KEY, v INT NOT NULL)")
        try a.execute("INSERT INTO acct VALUES (1, 0), (2, 0)")
        // b locks row 2 and then waits for row 1, which a's first attempt holds: a deadlock
        // that InnoDB resolves by rolling one of them back; the victim retries and succeeds.
        let attempts = AttemptCounter()
        let bAttempts = AttemptCounter()
        let bStarted = DispatchSemaphore(value: 0)
        let aHolds = DispatchSemaphore(value: 0)
        let bDone = DispatchSemaphore(value: 0)
        let bResult = ResultSlot()
        Thread.detachNewThread {
            do {
                try b.transaction { tx in
                    let first = bAttempts.next() == 1
                    try tx.execute("UPDATE acct SET v = v + 1 WHERE id = 2")
                    if first {
                        bStarted.signal()
                        aHolds.wait()
                    }
                    try tx.execute("UPDATE acct SET v = v + 1 WHERE id = 1")
                }
                bResult.set(nil)
            } catch { bResult.set(error) }
            bDone.signal()
        }
        bStarted.wait()
        try a.transaction { tx in
            let attempt = attempts.next()
            try tx.execute("UPDATE acct SET v = v + 1 WHERE id = 1")
            if attempt == 1 {
                aHolds.signal()
                usleep(200_000)   // let b block on row 1
            }
            try tx.execute("UPDATE acct SET v = v + 1 WHERE id = 2")
        }
        bDone.wait()
        #expect(bResult.get() == nil)
        let rows = try a.query("SELECT v FROM acct ORDER BY id")
        #expect(rows.map { $0.int("v") } == [2, 2])   // both transactions applied exactly once
        #expect(attempts.next() + bAttempts.next() == 5)  // three attempts in all: one was the victim
    }

    @Test func statementsAreCachedAndArityIsChecked() async throws {
        let c = try await connection("cache")
        let before = c.cachedStatementCount
        for i in 0..<5 { try c.execute("INSERT INTO kinds (n) VALUES (?)", [.int(Int64(i))]) }
        #expect(c.cachedStatementCount == before + 1)
        #expect(try c.query("SELECT n FROM kinds ORDER BY n").map { $0.int("n") } == [0, 1, 2, 3, 4])
        #expect(throws: DatabaseError.self) { try c.execute("INSERT INTO kinds (n) VALUES (?)", []) }
        #expect(throws: DatabaseError.self) { try c.query("SELEC nonsense") }
    }

    @Test func cachedStatementIsPreparedAgainWhenItsTableChanges() async throws {
        let c = try await connection("reprepare")
        try c.execute("INSERT INTO kinds (n) VALUES (1)")
        #expect(try c.queryOne("SELECT * FROM kinds")?.columns.names.count == 10)
        try c.execute("ALTER TABLE kinds ADD COLUMN extra VARCHAR(10) NOT NULL DEFAULT 'new'")
        let row = try #require(try c.queryOne("SELECT * FROM kinds"))
        #expect(row.string("extra") == "new")
        #expect(row.int("n") == 1)
    }

    @Test func readOnlyServerAnswersReadOnly() async throws {
        let schema = try await DatabaseTestEnvironment.freshDatabase("readonly", migrated: true)
        try await DatabaseTestEnvironment.fixture().waitForReplicaToCatchUp()
        let replica = try DatabaseConnection(configuration: schema.replica)
        #expect(throws: DatabaseError.readOnly) {
            try replica.execute("INSERT INTO heartbeat (id, ts) VALUES (2, NOW(6))")
        }
    }

    @Test func urlParsingNamesWhatIsWrong() throws {
        let c = try DatabaseConfiguration(url: "mysql://chat:p%40ss@db.local:3307/chat")
        #expect(c.host == "db.local" && c.port == 3307 && c.user == "chat" && c.password == "p@ss" && c.database == "chat")
        #expect(throws: DatabaseConfigurationError.self) { try DatabaseConfiguration(url: "postgres://a@b/c") }
        #expect(throws: DatabaseConfigurationError.self) { try DatabaseConfiguration(url: "mysql://chat@db/") }
        #expect(DatabaseError.duplicateKeyName(in: "Duplicate entry 'x' for key 'users.uq_users_username_active'") == "uq_users_username_active")
    }
}

final class AttemptCounter: Sendable {
    private let value = Mutex<Int>(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}

final class ResultSlot: Sendable {
    private let value = Mutex<String?>(nil)
    func set(_ error: (any Error)?) { value.withLock { $0 = error.map { "\($0)" } } }
    func get() -> String? { value.withLock { $0 } }
}
