import Foundation
import Glibc
import Synchronization

/// A MariaDB primary and a GTID replica on free loopback ports in a temporary folder, set up
/// as deploy/local does (same option files and SQL templates in deploy/mariadb/): database
/// `chat`, application user `chat` (DML only), migration user `chat_migrate`, replication user.
/// Durability is traded for speed (no fsync): the data is thrown away after the tests.
public final class MariaDBFixture: Sendable {
    public enum Server: Sendable { case primary, replica }
    public enum User: Sendable { case root, app, migrate }

    public let directory: URL
    public let primaryPort: Int
    public let replicaPort: Int
    public let appPassword: String
    public let migratePassword: String
    let replicationPassword: String
    let primary: ManagedProcess
    let replica: ManagedProcess

    /// `mysql://chat:…@127.0.0.1:<primary>/chat`: CHAT_DB_PRIMARY.
    public var primaryURL: String { url("chat", appPassword, primaryPort) }
    /// `mysql://chat:…@127.0.0.1:<replica>/chat`: CHAT_DB_REPLICAS.
    public var replicaURL: String { url("chat", appPassword, replicaPort) }
    /// `mysql://chat_migrate:…@127.0.0.1:<primary>/chat`: CHAT_DB_MIGRATE.
    public var migrateURL: String { url("chat_migrate", migratePassword, primaryPort) }

    private func url(_ user: String, _ password: String, _ port: Int) -> String {
        "mysql://\(user):\(password)@127.0.0.1:\(port)/chat"
    }

    private init(directory: URL) {
        self.directory = directory
        primaryPort = FreePort.next()
        replicaPort = FreePort.next()
        appPassword = Self.password()
        migratePassword = Self.password()
        replicationPassword = Self.password()
        primary = Self.server("primary", port: primaryPort, in: directory)
        replica = Self.server("replica", port: replicaPort, in: directory)
    }

    /// Installs both data folders and starts both servers in parallel, then replication.
    public static func start(in directory: URL? = nil) throws -> MariaDBFixture {
        let fixture = MariaDBFixture(directory: try directory ?? FixtureDirectories.make("mariadb"))
        try fixture.installAndStart()
        return fixture
    }

    private static func password() -> String {
        (0..<24).map { _ in String("abcdefghijkmnopqrstuvwxyz23456789".randomElement()!) }.joined()
    }

    private static func server(_ role: String, port: Int, in dir: URL) -> ManagedProcess {
        let data = dir.appendingPathComponent(role).path
        var arguments = [
            "--defaults-file=\(Repository.path("deploy/mariadb/\(role).cnf"))",
            "--datadir=\(data)", "--port=\(port)", "--bind-address=127.0.0.1",
            "--socket=\(data)/mariadbd.sock", "--pid-file=\(data)/mariadbd.pid",
            "--log-error=\(dir.path)/logs/mariadb-\(role).err", "--tmpdir=\(data)-tmp",
            // Speed over durability: throw-away data.
            "--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0", "--innodb-doublewrite=0",
            "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=8M",
            "--performance-schema=0", "--skip-innodb-adaptive-hash-index",
        ]
        if role == "replica" { arguments.append("--skip-log-bin") }
        if getuid() == 0 { arguments.insert("--user=root", at: 1) }
        return ManagedProcess(name: "mariadb-\(role)", executable: "mariadbd", arguments: arguments,
                              directory: dir, marker: data)
    }

    private func dataDirectory(_ server: Server) -> String {
        directory.appendingPathComponent(server == .primary ? "primary" : "replica").path
    }

    private func installAndStart() throws {
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("logs"),
                                                withIntermediateDirectories: true)
        // mariadb-install-db for both at once (each ~0.5 s), then both servers at once.
        let errors = ConcurrentErrors()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let server: Server = index == 0 ? .primary : .replica
            do {
                try FileManager.default.createDirectory(atPath: dataDirectory(server) + "-tmp",
                                                        withIntermediateDirectories: true)
                var arguments = ["--no-defaults", "--datadir=\(dataDirectory(server))", "--skip-test-db",
                                 "--auth-root-authentication-method=socket", "--skip-name-resolve",
                                 "--innodb-log-file-size=8M", "--tmpdir=\(dataDirectory(server))-tmp"]
                if getuid() == 0 { arguments.append("--user=root") }
                try Command.check("mariadb-install-db", arguments)
                try process(server).start()
            } catch { errors.add(error) }
        }
        try errors.throwFirst()
        try waitUntilReady(.primary)
        try waitUntilReady(.replica)
        try sql(render("users.sql.template", [
            "APP_PASSWORD": appPassword, "MIGRATE_PASSWORD": migratePassword,
            "REPL_PASSWORD": replicationPassword]), on: .primary)
        try sql(render("replica.sql.template", [
            "PRIMARY_HOST": "127.0.0.1", "PRIMARY_PORT": String(primaryPort),
            "REPL_PASSWORD": replicationPassword]), on: .replica)
        try waitForReplicaToCatchUp()
    }

    private func process(_ server: Server) -> ManagedProcess { server == .primary ? primary : replica }

    private func render(_ template: String, _ values: [String: String]) throws -> String {
        var text = try String(contentsOfFile: Repository.path("deploy/mariadb/\(template)"), encoding: .utf8)
        for (key, value) in values { text = text.replacingOccurrences(of: "@@\(key)@@", with: value) }
        return text
    }

    /// Waits until `server` accepts connections (root over its socket).
    public func waitUntilReady(_ server: Server, timeout: Double = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        let p = process(server)
        while true {
            let ping = try Command.run("mariadb-admin", ["--no-defaults", "--socket=\(dataDirectory(server))/mariadbd.sock",
                                                         "-uroot", "--connect-timeout=1", "ping"])
            if ping.status == 0 { return }
            if !p.isRunning { throw FixtureError("MariaDB \(server) exited during start-up:\n\(errorLogTail(server))") }
            if Date() > deadline { throw FixtureError("MariaDB \(server) not ready after \(timeout) s:\n\(errorLogTail(server))") }
            usleep(50_000)
        }
    }

    public func errorLogTail(_ server: Server) -> String {
        let file = directory.appendingPathComponent("logs/mariadb-\(server == .primary ? "primary" : "replica").err")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }

    /// Runs SQL with the `mariadb` client; returns rows of tab-separated columns (no header).
    /// `.root` connects over the server's socket, `.app` and `.migrate` over TCP as the services do.
    @discardableResult
    public func sql(_ statements: String, on server: Server = .primary, as user: User = .root,
                    database: String? = nil) throws -> [[String]] {
        var arguments = ["--no-defaults", "--batch", "--skip-column-names", "--connect-timeout=5"]
        switch user {
        case .root: arguments += ["--socket=\(dataDirectory(server))/mariadbd.sock", "-uroot"]
        case .app, .migrate:
            arguments += ["--protocol=TCP", "-h127.0.0.1", "-P\(server == .primary ? primaryPort : replicaPort)",
                          user == .app ? "-uchat" : "-uchat_migrate",
                          "-p\(user == .app ? appPassword : migratePassword)"]
        }
        if let database { arguments.append(database) }
        let output = try Command.run("mariadb", arguments, input: statements)
        guard output.status == 0 else {
            throw FixtureError("SQL on the \(server) as \(user) failed: \(output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return output.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Like `sql`, but each row as a dictionary by column name (e.g. `SHOW SLAVE STATUS`).
    public func records(_ statement: String, on server: Server = .primary) throws -> [[String: String]] {
        let output = try Command.run("mariadb", ["--no-defaults", "--batch", "--connect-timeout=5",
                                                 "--socket=\(dataDirectory(server))/mariadbd.sock", "-uroot"],
                                     input: statement)
        guard output.status == 0 else { throw FixtureError("SQL on the \(server) failed: \(output.stderr)") }
        let lines = output.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { Dictionary(zip(header, $0), uniquingKeysWith: { first, _ in first }) }
    }

    /// Waits until the replica has applied everything the primary has written so far.
    public func waitForReplicaToCatchUp(timeout: Int = 20) throws {
        let position = try sql("SELECT @@gtid_binlog_pos", on: .primary).first?.first ?? ""
        let result = try sql("SELECT MASTER_GTID_WAIT('\(position)', \(timeout))", on: .replica).first?.first
        guard result == "0" else {
            throw FixtureError("replica did not reach GTID \(position) within \(timeout) s (result \(result ?? "none")):\n\(errorLogTail(.replica))")
        }
    }

    /// SIGKILL the replica, as a crash would.
    public func killReplica() { replica.kill() }
    /// Clean shutdown of the replica.
    public func stopReplica() { replica.stop() }
    /// Starts the replica again on the same port and data; replication resumes by itself.
    public func startReplica() throws { try replica.start(); try waitUntilReady(.replica) }
    /// Clean shutdown of the primary (writers then see it unreachable).
    public func stopPrimary() { primary.stop() }
    /// SIGKILL the primary.
    public func killPrimary() { primary.kill() }
    public func startPrimary() throws { try primary.start(); try waitUntilReady(.primary) }
    public var isReplicaRunning: Bool { replica.isRunning }
    public var isPrimaryRunning: Bool { primary.isRunning }
    /// Replication lag on demand: the replica keeps receiving but stops applying.
    public func stopReplicationSQLThread() throws { try sql("STOP SLAVE SQL_THREAD", on: .replica) }
    public func startReplicationSQLThread() throws { try sql("START SLAVE SQL_THREAD", on: .replica) }

    /// A further database beside `chat`, with the same grants (a test that wants a clean schema).
    /// Returns (primary, replica, migrate) URLs for it.
    public func createDatabase(_ name: String) throws -> (primary: String, replica: String, migrate: String) {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !name.isEmpty else {
            throw FixtureError("database name \(name) must be letters, digits and _")
        }
        try sql("""
            CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
            GRANT SELECT, INSERT, UPDATE, DELETE ON `\(name)`.* TO 'chat'@'%';
            GRANT ALL PRIVILEGES ON `\(name)`.* TO 'chat_migrate'@'%';
            """)
        try waitForReplicaToCatchUp()
        func swap(_ url: String) -> String { String(url.dropLast("chat".count)) + name }
        return (swap(primaryURL), swap(replicaURL), swap(migrateURL))
    }

    /// Stops both servers (replica first).
    public func stop() {
        replica.stop()
        primary.stop()
    }
}

/// Errors collected from concurrentPerform's iterations.
final class ConcurrentErrors: Sendable {
    private let errors = Mutex<[any Error]>([])
    func add(_ error: any Error) { errors.withLock { $0.append(error) } }
    func throwFirst() throws { if let first = errors.withLock({ $0.first }) { throw first } }
}
