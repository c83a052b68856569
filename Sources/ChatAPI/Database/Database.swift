import Synchronization

/// The routing front door features use: writes on the primary, plain reads on a replica.
///
/// Routing (CONTRACT.md "Database routing"):
/// - `write` runs a transaction on the primary (deadlocks retried) and, when told the user,
///   records the primary's GTID right after commit in the shared `WritePositionStore`.
/// - `readPrimary` is for credentials and tokens: always the primary.
/// - `read(for:)` picks a healthy replica whose heartbeat lag is within `maxReplicaLag`,
///   round robin across replicas. If the user wrote recently (a position is recorded, by
///   any instance), the read first waits on that replica with `MASTER_GTID_WAIT(pos, 0.2)`;
///   on timeout, or when too many reads already wait, the primary serves instead. We chose
///   "wait briefly, then primary" over "always primary after a write": a replica normally
///   applies a commit within milliseconds, so most such reads stay off the primary, while
///   the cap and the short timeout bound what a stalled replica can cost.
/// - A replica that fails during a read is marked down and the read runs again elsewhere,
///   so `body` must be read-only and safe to run twice. If the primary is down, a reachable
///   replica serves even past the lag limit: stale beats failing (counted as `staleReads`).
public final class Database: Sendable {
    public struct Options: Sendable {
        /// CHAT_DB_MAX_REPLICA_LAG: seconds.
        public var maxReplicaLag: Double = 2
        public var heartbeatInterval: Double = 0.5
        /// Seconds a read waits for the user's write position on a replica.
        public var positionWaitTimeout: Double = 0.2
        /// Reads allowed to wait on replicas at once; more go to the primary.
        public var maxConcurrentPositionWaits: Int = 16
        public var pool = DatabasePool.Options()
        public init() {}
    }

    public let primary: DatabasePool
    public let replicas: [DatabasePool]
    public let metrics = DatabaseMetrics()
    public let options: Options
    private let positions: any WritePositionStore
    private let monitor: ReplicaMonitor
    private let nextReplica = Atomic<Int>(0)
    private let waiting = Atomic<Int>(0)

    /// Builds the pools and starts the heartbeat / lag probes.
    public init(primary: DatabaseConfiguration, replicas: [DatabaseConfiguration],
                writePositions: any WritePositionStore, options: Options = Options()) {
        self.options = options
        self.primary = DatabasePool(name: "primary", configuration: primary, options: options.pool)
        self.replicas = replicas.enumerated().map { i, c in
            DatabasePool(name: "replica-\(i + 1)", configuration: c, options: options.pool)
        }
        positions = writePositions
        monitor = ReplicaMonitor(primary: primary, replicas: self.replicas.map { ($0.name, $0.configuration) },
                                 interval: options.heartbeatInterval)
        monitor.start()
    }

    /// From CHAT_DB_PRIMARY / CHAT_DB_REPLICAS style URLs (`mysql://user:password@host:port/db`).
    /// - Throws: `DatabaseConfigurationError` naming the malformed URL's problem.
    public convenience init(primaryURL: String, replicaURLs: [String], writePositions: any WritePositionStore,
                            options: Options = Options()) throws(DatabaseConfigurationError) {
        let primary = try DatabaseConfiguration(url: primaryURL)
        var replicas: [DatabaseConfiguration] = []
        for url in replicaURLs { replicas.append(try DatabaseConfiguration(url: url)) }
        self.init(primary: primary, replicas: replicas, writePositions: writePositions, options: options)
    }

    /// Stops the probes and closes idle connections. Call it at shutdown: the probe threads
    /// keep the instance alive until then.
    public func shutdown() {
        monitor.stop()
        primary.shutdown()
        for replica in replicas { replica.shutdown() }
    }

    // MARK: Writes

    /// Runs `body` in a transaction on the primary; rolls back on any error, retries deadlocks.
    /// - Parameter userId: whose read-your-writes position to record after commit.
    /// - Throws: `.unavailable` when the primary cannot be reached (nothing was written), or
    ///   what `body` throws.
    @discardableResult
    public func write<T>(for userId: Int64? = nil, _ body: (DatabaseConnection) throws -> T) throws -> T {
        metrics.writes.add(1, ordering: .relaxed)
        return try primary.withConnection { connection in
            let value = try connection.transaction(body)
            if let userId, let gtid = try? connection.lastGTID(), !gtid.isEmpty {
                do { try positions.record(userId: userId, gtid: gtid) } catch {
                    // The write stands; only this user's next replica read may be stale.
                    metrics.positionRecordFailures.add(1, ordering: .relaxed)
                }
            }
            return value
        }
    }

    // MARK: Reads

    /// Reads on the primary: credentials, tokens, and reads inside a decision that must be exact.
    @discardableResult
    public func readPrimary<T>(_ body: (DatabaseConnection) throws -> T) throws -> T {
        metrics.primaryReads.add(1, ordering: .relaxed)
        return try primary.withConnection(body)
    }

    /// A plain read: on a replica unless read-your-writes, health or lag say otherwise.
    /// `body` must be read-only; it may run a second time on another server.
    @discardableResult
    public func read<T>(for userId: Int64?, _ body: (DatabaseConnection) throws -> T) throws -> T {
        guard !replicas.isEmpty else { return try readPrimary(body) }
        var position: String?
        if let userId {
            do { position = try positions.lastPosition(userId: userId) } catch {
                metrics.fallback(.positionStoreFailed)
                return try readPrimaryElseAnyReplica(body)
            }
        }
        let (candidates, reason) = usableReplicas()
        guard !candidates.isEmpty else {
            metrics.fallback(reason)
            return try readPrimaryElseAnyReplica(body)
        }
        for index in candidates {
            do {
                let outcome: ReplicaOutcome<T> = try replicas[index].withConnection { connection in
                    if let position, !(try waitForPosition(position, on: connection)) { return .notCaughtUp }
                    return .value(try body(connection))
                }
                guard case .value(let value) = outcome else { return try readPrimaryElseAnyReplica(body) }
                metrics.replicaReads.add(1, ordering: .relaxed)
                return value
            } catch let error as DatabaseError where error.breaksConnection {
                monitor.markUnreachable(index)
                metrics.fallback(.replicaFailed)
            }
        }
        return try readPrimaryElseAnyReplica(body)
    }

    private enum ReplicaOutcome<T> { case value(T), notCaughtUp }

    /// Waits for `position` on a replica; false (and a counted fallback) when the primary must serve.
    private func waitForPosition(_ position: String, on connection: DatabaseConnection) throws(DatabaseError) -> Bool {
        if waiting.add(1, ordering: .relaxed).newValue > options.maxConcurrentPositionWaits {
            waiting.subtract(1, ordering: .relaxed)
            metrics.fallback(.tooManyWaiters)
            return false
        }
        defer { waiting.subtract(1, ordering: .relaxed) }
        metrics.positionWaits.add(1, ordering: .relaxed)
        if try connection.waitForGTID(position, timeout: options.positionWaitTimeout) { return true }
        metrics.fallback(.writePositionTimeout)
        return false
    }

    /// Healthy replicas within the lag limit, in round-robin order, or the reason there are none.
    private func usableReplicas() -> ([Int], ReadFallbackReason) {
        let states = monitor.allStates()
        let start = nextReplica.add(1, ordering: .relaxed).oldValue
        var usable: [Int] = []
        var anyReachable = false
        for offset in 0..<states.count {
            let index = (start &+ offset) % states.count
            let state = states[index]
            guard state.reachable else { continue }
            anyReachable = true
            if let lag = state.lag, lag <= options.maxReplicaLag { usable.append(index) }
        }
        return (usable, anyReachable ? .replicaLagging : .replicaDown)
    }

    /// The primary, or, when it is unreachable, any reachable replica however stale.
    private func readPrimaryElseAnyReplica<T>(_ body: (DatabaseConnection) throws -> T) throws -> T {
        do {
            return try readPrimary(body)
        } catch let primaryError as DatabaseError where primaryError.breaksConnection {
            monitor.markPrimaryUnreachable()
            // Last resort, so the probes' view may be stale (a replica that just came back):
            // try the ones believed reachable first, then the others.
            let order = replicas.indices.sorted { monitor.state($0).reachable && !monitor.state($1).reachable }
            for index in order {
                let replica = replicas[index]
                do {
                    let value = try replica.withConnection(body)
                    metrics.staleReads.add(1, ordering: .relaxed)
                    return value
                } catch let error as DatabaseError where error.breaksConnection {
                    monitor.markUnreachable(index)
                }
            }
            throw primaryError
        }
    }

    // MARK: Health

    public struct ReplicaHealth: Sendable, Equatable {
        public var name: String
        public var reachable: Bool
        public var lag: Double?
        /// Reachable and within the lag limit: plain reads may go here.
        public var serving: Bool
    }

    /// The probes' latest view, for /actuator/health's `dbReplica` component.
    public func replicaHealth() -> [ReplicaHealth] {
        monitor.allStates().enumerated().map { i, s in
            ReplicaHealth(name: replicas[i].name, reachable: s.reachable, lag: s.lag,
                          serving: s.reachable && (s.lag.map { $0 <= options.maxReplicaLag } ?? false))
        }
    }

    /// Pings the primary through the pool, for the `db` health component.
    public func primaryIsUp() -> Bool {
        (try? primary.withConnection { $0.ping() }) ?? false
    }
}
