import Foundation

/// Applies pending migrations in order, as the migration user (`CHAT_DB_MIGRATE`).
///
/// Concurrency: the whole run holds `GET_LOCK('chat_migrate', 30)`, a named lock tied to the
/// session, so two instances starting together apply each step once: the second waits, then
/// sees the steps recorded and has nothing to do. A crashed holder releases it with its session.
///
/// Failure: MariaDB DDL commits implicitly, so a failed step may be half applied. The step is
/// recorded with `status = 'failed'` and its error, and every later start-up refuses to run
/// (`MigrationError.blocked`) until an operator acts:
///   1. read `SELECT * FROM schema_version WHERE status = 'failed'` (the error names the statement);
///   2. finish or undo that step's statements by hand so the schema matches either "before"
///      or "after" the step;
///   3. "after": `UPDATE schema_version SET status = 'applied', error = NULL WHERE version = N`;
///      "before": `DELETE FROM schema_version WHERE version = N` (it runs again at next start).
public struct Migrator: Sendable {
    public let configuration: DatabaseConfiguration
    public let migrations: [Migration]
    public var lockTimeout: Int = 30

    public init(configuration: DatabaseConfiguration, migrations: [Migration] = Migration.all) {
        precondition(Set(migrations.map(\.version)).count == migrations.count, "duplicate migration versions")
        var configuration = configuration
        // Waiting for the lock and rebuilding a big table take longer than a request's read
        // timeout; a migration must not be cut off half way by the client.
        configuration.readTimeout = max(configuration.readTimeout, 3600)
        configuration.writeTimeout = max(configuration.writeTimeout, 3600)
        self.configuration = configuration
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Applies what is pending.
    /// - Returns: the versions applied by this call (empty when up to date).
    /// - Throws: `MigrationError` (`.blocked` after an earlier failure, `.failed` for a step
    ///   that failed now, `.lockTimeout`), or `DatabaseError` when the server is unreachable.
    @discardableResult
    public func migrate() throws -> [Int] {
        let connection = try DatabaseConnection(configuration: configuration)
        defer { connection.close() }
        let locked = try connection.queryOne("SELECT GET_LOCK('chat_migrate', ?) AS locked", [.int(Int64(lockTimeout))])
        guard locked?.int("locked") == 1 else { throw MigrationError.lockTimeout(seconds: lockTimeout) }
        defer { _ = try? connection.query("SELECT RELEASE_LOCK('chat_migrate')") }

        try connection.executeOnce("""
            CREATE TABLE IF NOT EXISTS schema_version (
              version INT NOT NULL PRIMARY KEY,
              name VARCHAR(200) NOT NULL,
              applied_at DATETIME(3) NOT NULL,
              status ENUM('applied','failed') NOT NULL,
              error TEXT NULL
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
            """)
        let recorded = try connection.query("SELECT version, name, status, error FROM schema_version ORDER BY version")
        if let failed = recorded.first(where: { $0.string("status") == "failed" }) {
            throw MigrationError.blocked(version: Int(failed.int("version") ?? 0), name: failed.string("name") ?? "",
                                         error: failed.string("error") ?? "")
        }
        let done = Set(recorded.compactMap { $0.int("version").map(Int.init) })
        var applied: [Int] = []
        for migration in migrations where !done.contains(migration.version) {
            try apply(migration, on: connection)
            applied.append(migration.version)
        }
        return applied
    }

    /// The versions recorded as applied, in order (for `ChatAPI migrate` output and health).
    public func appliedVersions() throws -> [Int] {
        let connection = try DatabaseConnection(configuration: configuration)
        defer { connection.close() }
        return try connection.query("SELECT version FROM schema_version WHERE status = 'applied' ORDER BY version")
            .compactMap { $0.int("version").map(Int.init) }
    }

    private func apply(_ migration: Migration, on connection: DatabaseConnection) throws {
        for (index, statement) in migration.statements.enumerated() {
            do {
                try connection.executeOnce(statement)
            } catch {
                let message = "statement \(index + 1) of \(migration.statements.count) failed"
                    + (index > 0 ? " (statements 1-\(index) were applied)" : "") + ": \(error)"
                // Recording can itself fail if the server went away; the original error matters more.
                _ = try? connection.execute(
                    "INSERT INTO schema_version (version, name, applied_at, status, error) VALUES (?, ?, UTC_TIMESTAMP(3), 'failed', ?)",
                    [.int(Int64(migration.version)), .string(migration.name), .string(message)])
                throw MigrationError.failed(version: migration.version, name: migration.name, error: message)
            }
        }
        try connection.execute(
            "INSERT INTO schema_version (version, name, applied_at, status, error) VALUES (?, ?, UTC_TIMESTAMP(3), 'applied', NULL)",
            [.int(Int64(migration.version)), .string(migration.name)])
    }
}

public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A step failed now; it is recorded and blocks later runs.
    case failed(version: Int, name: String, error: String)
    /// An earlier run recorded a failed step: an operator must repair it (see Migrator docs).
    case blocked(version: Int, name: String, error: String)
    /// Another migrator held the lock longer than we were willing to wait.
    case lockTimeout(seconds: Int)

    public var description: String {
        switch self {
        case .failed(let v, let n, let e): "migration \(v) (\(n)) failed: \(e)"
        case .blocked(let v, let n, let e):
            "migration \(v) (\(n)) failed earlier and blocks start-up: \(e). Repair the schema by hand, then "
                + "UPDATE schema_version SET status='applied', error=NULL WHERE version=\(v) (if completed) or "
                + "DELETE FROM schema_version WHERE version=\(v) (if undone); see docs/schema.md"
        case .lockTimeout(let s): "another migrator held GET_LOCK('chat_migrate') for more than \(s) s"
        }
    }
}
