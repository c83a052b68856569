import CMariaDB
import Foundation

/// One MariaDB session (one `MYSQL*`), used by one thread at a time.
///
/// Every statement is a server-side prepared statement, cached by its SQL text, so user input
/// only ever travels as bound parameters. A connection whose socket failed is marked broken;
/// the pool reconnects it (statements are prepared again on first use).
///
/// `@unchecked Sendable`: the pool moves a connection between worker threads, but hands it to
/// one borrower at a time and the hand-over goes through the pool's mutex, which orders the
/// previous borrower's writes before the next one's reads. Nobody else keeps a reference.
public final class DatabaseConnection: @unchecked Sendable {
    public let configuration: DatabaseConfiguration
    private var mysql: UnsafeMutablePointer<MYSQL>?
    private var statements: [String: PreparedStatement] = [:]
    private var statementUse: [String: UInt64] = [:]
    private var useCounter: UInt64 = 0
    /// True once a network error was seen: the session (and its transaction) is gone.
    public private(set) var isBroken = false
    public private(set) var inTransaction = false
    /// Set when COMMIT itself was lost: the outcome is unknown, so the write must not be retried.
    private(set) var commitInDoubt = false
    /// Monotonic time (ms) of the last successful round trip; the pool pings after idling.
    var lastUsedMillis: UInt64 = Monotonic.millis()
    /// How many times this connection had to connect again (tests and metrics).
    public private(set) var reconnects = 0

    /// Connects at once.
    /// - Throws: `DatabaseError.unavailable` when the server cannot be reached or refuses us.
    public init(configuration: DatabaseConfiguration) throws(DatabaseError) {
        self.configuration = configuration
        try connect()
    }

    deinit { disconnect() }

    /// Closes the session; later calls reconnect first.
    public func close() {
        disconnect()
        isBroken = true
    }

    // MARK: Statements

    /// Runs a prepared statement and returns its rows.
    public func query(_ sql: String, _ parameters: [SQLValue] = []) throws(DatabaseError) -> [SQLRow] {
        try run(sql, parameters, cache: true).rows
    }

    /// The first row, or nil.
    public func queryOne(_ sql: String, _ parameters: [SQLValue] = []) throws(DatabaseError) -> SQLRow? {
        try run(sql, parameters, cache: true).rows.first
    }

    /// Runs a prepared statement that returns no rows (INSERT, UPDATE, DELETE, DDL).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue] = []) throws(DatabaseError) -> ExecuteResult {
        try run(sql, parameters, cache: true).result
    }

    /// Runs without keeping the statement (migrations' DDL, one-off admin statements).
    @discardableResult
    func executeOnce(_ sql: String, _ parameters: [SQLValue] = []) throws(DatabaseError) -> ExecuteResult {
        try run(sql, parameters, cache: false).result
    }

    func run(_ sql: String, _ parameters: [SQLValue], cache: Bool) throws(DatabaseError) -> (rows: [SQLRow], result: ExecuteResult) {
        let handle = try liveHandle()
        var statement = try statement(for: sql, handle: handle, cache: cache)
        do {
            let outcome = try statement.run(parameters)
            lastUsedMillis = Monotonic.millis()
            return outcome
        } catch let error where Self.isStaleStatement(error) {
            // The server forgot the statement, or its table changed shape since we prepared
            // it (only statements with a result set, i.e. reads, report that): preparing
            // again and running once more is safe.
            forget(sql)
            statement.close()   // its unread result would otherwise block the connection
            statement = try self.statement(for: sql, handle: handle, cache: cache)
            do { return try statement.run(parameters) } catch { throw noteFailure(error) }
        } catch {
            throw noteFailure(error)
        }
    }

    private func statement(for sql: String, handle: UnsafeMutablePointer<MYSQL>, cache: Bool) throws(DatabaseError) -> PreparedStatement {
        useCounter &+= 1
        if let cached = statements[sql] {
            statementUse[sql] = useCounter
            return cached
        }
        let prepared: PreparedStatement
        do { prepared = try PreparedStatement(mysql: handle, sql: sql) } catch { throw noteFailure(error) }
        guard cache else { return prepared }
        if statements.count >= configuration.statementCacheSize, let oldest = statementUse.min(by: { $0.value < $1.value })?.key {
            forget(oldest)   // least recently used; closing it frees its server-side handle
        }
        statements[sql] = prepared
        statementUse[sql] = useCounter
        return prepared
    }

    private func forget(_ sql: String) {
        statements[sql] = nil
        statementUse[sql] = nil
    }

    /// Number of cached prepared statements (tests).
    var cachedStatementCount: Int { statements.count }

    private static func isStaleStatement(_ error: DatabaseError) -> Bool {
        if case .server(let code, _) = error {
            return code == DatabaseError.Code.unknownStatementHandler || code == DatabaseError.Code.needReprepare
                || code == DatabaseError.Code.newStatementMetadata
        }
        return false
    }

    private func noteFailure(_ error: DatabaseError) -> DatabaseError {
        if error.breaksConnection {
            isBroken = true
            inTransaction = false
        }
        return error
    }

    // MARK: Transactions

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// A deadlock (1213) or lock wait timeout (1205) rolls the whole transaction back and
    /// runs `body` again, up to `maxAttempts` times with a short jittered pause, so `body`
    /// must only touch the database (and local state it rebuilds). Other errors propagate.
    /// - Throws: whatever `body` throws, or `DatabaseError`; `.deadlock` after the last attempt.
    public func transaction<T>(maxAttempts: Int = 3, _ body: (DatabaseConnection) throws -> T) throws -> T {
        precondition(!inTransaction, "transactions do not nest")
        var attempt = 1
        while true {
            do {
                return try transactionOnce(body)
            } catch DatabaseError.deadlock where attempt < maxAttempts {
                attempt += 1
                usleep(UInt32.random(in: 2_000...(10_000 * UInt32(attempt))))
            }
        }
    }

    private func transactionOnce<T>(_ body: (DatabaseConnection) throws -> T) throws -> T {
        commitInDoubt = false
        try simple("START TRANSACTION")
        inTransaction = true
        let value: T
        do {
            value = try body(self)
        } catch {
            rollback()
            throw error
        }
        do {
            try simple("COMMIT")
        } catch {
            if error.breaksConnection { commitInDoubt = true }
            rollback()
            throw error
        }
        inTransaction = false
        return value
    }

    /// Best effort: a broken connection has rolled back on the server already.
    private func rollback() {
        if !isBroken { try? simple("ROLLBACK") }
        inTransaction = false
    }

    /// Constant transaction-control statements, sent as plain queries (no parameters, no user text).
    private func simple(_ sql: StaticString) throws(DatabaseError) {
        let handle = try liveHandle()
        let rc = sql.withUTF8Buffer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                mysql_real_query(handle, $0, UInt(buffer.count))
            }
        }
        if rc != 0 { throw noteFailure(lastError(handle)) }
        lastUsedMillis = Monotonic.millis()
    }

    // MARK: Replication helpers

    /// The primary's binlog position, e.g. "0-1-42" (a GTID per replication domain).
    public func gtidBinlogPosition() throws(DatabaseError) -> String {
        try queryOne("SELECT @@gtid_binlog_pos AS pos")?.string("pos") ?? ""
    }

    /// The GTID of this session's last committed transaction ("" if it wrote nothing).
    public func lastGTID() throws(DatabaseError) -> String {
        try queryOne("SELECT @@last_gtid AS gtid")?.string("gtid") ?? ""
    }

    /// Waits until this server (a replica) has applied `gtid`, at most `timeout` seconds.
    /// - Returns: true when reached, false on timeout.
    public func waitForGTID(_ gtid: String, timeout: Double) throws(DatabaseError) -> Bool {
        let row = try queryOne("SELECT MASTER_GTID_WAIT(?, ?) AS r", [.string(gtid), .double(timeout)])
        return row?.int("r") == 0
    }

    // MARK: Connection management

    /// mysql_ping: true when the session is alive. Marks the connection broken otherwise.
    public func ping() -> Bool {
        guard !isBroken, let mysql else { return false }
        if mysql_ping(mysql) == 0 {
            lastUsedMillis = Monotonic.millis()
            return true
        }
        isBroken = true
        return false
    }

    /// A cheap liveness check for an idle session (one poll, no round trip): an idle socket
    /// that is readable holds either EOF (server restarted, connection killed) or an
    /// unsolicited error packet (shutdown notice). Either way the session is gone.
    func idleSocketLooksDead() -> Bool {
        guard !isBroken, let mysql else { return true }
        var descriptor = pollfd(fd: Int32(mysql_get_socket(mysql)), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, 0)
        if ready == 0 { return false }
        isBroken = true
        return true
    }

    /// Drops the session and its statements and connects again.
    public func reconnect() throws(DatabaseError) {
        disconnect()
        reconnects += 1
        try connect()
    }

    private func liveHandle() throws(DatabaseError) -> UnsafeMutablePointer<MYSQL> {
        if isBroken || mysql == nil {
            guard !inTransaction else { throw .unavailable("connection lost inside a transaction") }
            try reconnect()
        }
        return mysql!
    }

    private func connect() throws(DatabaseError) {
        MariaDBLibrary.ensureInitialized()
        guard let handle = mysql_init(nil) else { throw .unavailable("mysql_init failed (out of memory)") }
        var connectTimeout = configuration.connectTimeout
        var readTimeout = configuration.readTimeout
        var writeTimeout = configuration.writeTimeout
        var off: my_bool = 0
        var on: my_bool = 1
        mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        mysql_options(handle, MYSQL_OPT_READ_TIMEOUT, &readTimeout)
        mysql_options(handle, MYSQL_OPT_WRITE_TIMEOUT, &writeTimeout)
        // We reconnect ourselves: a silent auto-reconnect would lose session state and
        // prepared statements mid-transaction without telling us.
        mysql_options(handle, MYSQL_OPT_RECONNECT, &off)
        mysql_options(handle, MYSQL_REPORT_DATA_TRUNCATION, &on)
        mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        mysql_options(handle, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'")
        let c = configuration
        let connected = mysql_real_connect(handle, c.host, c.user, c.password, c.database, UInt32(c.port), nil, 0)
        guard connected != nil else {
            let code = mysql_errno(handle)
            let message = String(cString: mysql_error(handle))
            mysql_close(handle)
            // Refused credentials or an unknown database are configuration errors, but to a
            // caller they mean the same thing: this server cannot serve us now.
            throw .unavailable("\(c.displayName): \(code) \(message)")
        }
        mysql = handle
        isBroken = false
        inTransaction = false
        lastUsedMillis = Monotonic.millis()
    }

    private func disconnect() {
        if let mysql {
            // Close the session first: Connector/C then detaches the statements, and closing
            // them below only frees memory instead of talking to a possibly dead server.
            mysql_close(mysql)
            self.mysql = nil
        }
        statements.removeAll()
        statementUse.removeAll()
        inTransaction = false
    }

    private func lastError(_ handle: UnsafeMutablePointer<MYSQL>) -> DatabaseError {
        DatabaseError.from(code: mysql_errno(handle), message: String(cString: mysql_error(handle)))
    }
}

/// mysql_library_init is not thread-safe: run it once, before any connection is made.
enum MariaDBLibrary {
    private static let initialized: Bool = mysql_server_init(0, nil, nil) == 0
    static func ensureInitialized() { precondition(initialized, "mysql_library_init failed") }
}

enum Monotonic {
    static func millis() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}
