import Dispatch
import Synchronization

/// A bounded pool of connections to one server. Each connection is lent to one thread at a
/// time; a thread that finds none free waits up to `checkoutTimeout`, then gets
/// `.unavailable` (which features answer with 503 + Retry-After) instead of queueing forever.
///
/// On checkout an idle connection is checked cheaply (its socket polled for EOF) every time,
/// and with `mysql_ping` when it idled longer than `pingAfterIdle`; a dead session is
/// reconnected before it is handed out, and its statements are prepared again on first use.
/// That is what makes a server restart invisible to the next request.
public final class DatabasePool: Sendable {
    public struct Options: Sendable {
        public var maxConnections: Int
        /// Seconds a checkout waits for a free connection.
        public var checkoutTimeout: Double
        /// Seconds of idleness after which a checkout pings before lending.
        public var pingAfterIdle: Double
        public init(maxConnections: Int = 10, checkoutTimeout: Double = 2, pingAfterIdle: Double = 5) {
            precondition(maxConnections > 0, "a pool needs at least one connection")
            self.maxConnections = maxConnections
            self.checkoutTimeout = checkoutTimeout
            self.pingAfterIdle = pingAfterIdle
        }
    }

    /// "primary", "replica-1", ...: used in errors and metrics labels.
    public let name: String
    public let configuration: DatabaseConfiguration
    public let options: Options
    private let permits: DispatchSemaphore
    private let idle = Mutex<[DatabaseConnection]>([])
    private let counters = PoolCounters()
    private let closed = Atomic<Bool>(false)

    public init(name: String, configuration: DatabaseConfiguration, options: Options = Options()) {
        self.name = name
        self.configuration = configuration
        self.options = options
        permits = DispatchSemaphore(value: options.maxConnections)
    }

    deinit { shutdown() }

    /// Lends a connection to `body` and takes it back afterwards, whatever happens.
    /// - Throws: `.unavailable` when no connection could be had in time, or what `body` throws.
    @discardableResult
    public func withConnection<T>(_ body: (DatabaseConnection) throws -> T) throws -> T {
        let connection = try checkout()
        defer { checkin(connection) }
        return try body(connection)
    }

    /// Takes a healthy connection; pair with `checkin`. Prefer `withConnection`.
    public func checkout() throws(DatabaseError) -> DatabaseConnection {
        guard !closed.load(ordering: .acquiring) else { throw .unavailable("\(name) pool is shut down") }
        counters.waiting.add(1, ordering: .relaxed)
        let got = permits.wait(timeout: .now() + options.checkoutTimeout)
        counters.waiting.subtract(1, ordering: .relaxed)
        guard got == .success else {
            counters.timeouts.add(1, ordering: .relaxed)
            throw .unavailable("\(name): no free connection within \(options.checkoutTimeout) s")
        }
        do {
            let connection = try healthyConnection()
            counters.inUse.add(1, ordering: .relaxed)
            return connection
        } catch {
            permits.signal()
            throw error
        }
    }

    /// Returns a connection. A connection left inside a transaction or broken is closed
    /// rather than reused: its session state is unknown.
    public func checkin(_ connection: DatabaseConnection) {
        counters.inUse.subtract(1, ordering: .relaxed)
        if connection.inTransaction || closed.load(ordering: .acquiring) {
            connection.close()
        }
        idle.withLock { $0.append(connection) }   // broken ones reconnect on next checkout
        permits.signal()
    }

    public var statistics: PoolStatistics {
        PoolStatistics(name: name, maxConnections: options.maxConnections,
                       inUse: counters.inUse.load(ordering: .relaxed),
                       waiting: counters.waiting.load(ordering: .relaxed),
                       idle: idle.withLock { $0.count },
                       timeouts: counters.timeouts.load(ordering: .relaxed),
                       reconnects: counters.reconnects.load(ordering: .relaxed),
                       connectFailures: counters.connectFailures.load(ordering: .relaxed))
    }

    /// Closes idle connections and refuses new checkouts; lent ones close on checkin.
    public func shutdown() {
        closed.store(true, ordering: .releasing)
        let connections = idle.withLock { list in
            let all = list
            list.removeAll()
            return all
        }
        for connection in connections { connection.close() }
    }

    /// Most recently used first (LIFO): warm sessions stay warm, surplus ones idle out.
    private func healthyConnection() throws(DatabaseError) -> DatabaseConnection {
        guard let connection = idle.withLock({ $0.popLast() }) else {
            do {
                return try DatabaseConnection(configuration: configuration)
            } catch {
                counters.connectFailures.add(1, ordering: .relaxed)
                throw error
            }
        }
        let idleSeconds = Double(Monotonic.millis() &- connection.lastUsedMillis) / 1000
        let alive = !connection.idleSocketLooksDead()
            && (idleSeconds < options.pingAfterIdle || connection.ping())
        if !alive {
            do {
                try connection.reconnect()
                counters.reconnects.add(1, ordering: .relaxed)
            } catch {
                counters.connectFailures.add(1, ordering: .relaxed)
                idle.withLock { $0.append(connection) }   // keep the slot; try again next time
                throw error
            }
        }
        return connection
    }
}
