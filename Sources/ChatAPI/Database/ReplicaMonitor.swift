import Foundation
import Synchronization

/// Measures replica health and lag without special privileges (no SHOW SLAVE STATUS).
///
/// One thread keeps the primary's heartbeat row fresh (`ts = NOW(6)` every `interval`) and
/// remembers the value it wrote; one thread per replica reads the replicated row. Lag is the
/// difference of the two timestamps, both taken from the primary's clock, so clock skew
/// between hosts does not matter; resolution is one interval. Every instance may write the
/// heartbeat: the newest wins, which is all the measure needs. Each thread owns its own
/// connection, so a full pool never delays the measurement.
final class ReplicaMonitor: Sendable {
    struct ReplicaState: Sendable, Equatable {
        /// The last probe (or read) reached the server.
        var reachable: Bool
        /// Seconds behind the primary; nil until measured (or when the heartbeat is missing).
        var lag: Double?
    }

    let replicaNames: [String]
    private let primary: DatabaseConfiguration
    private let replicas: [DatabaseConfiguration]
    private let intervalMicros: UInt32
    private let states: Mutex<[ReplicaState]>
    /// Microseconds since 1970 (primary clock) of the last heartbeat we saw on the primary.
    private let primaryHeartbeat = Atomic<Int64>(0)
    private let primaryReachableFlag = Atomic<Bool>(true)
    private let stopped = Atomic<Bool>(false)
    private let running = Atomic<Int>(0)

    init(primary: DatabaseConfiguration, replicas: [(name: String, configuration: DatabaseConfiguration)], interval: Double) {
        self.primary = Self.probeConfiguration(primary)
        self.replicas = replicas.map { Self.probeConfiguration($0.configuration) }
        replicaNames = replicas.map(\.name)
        intervalMicros = UInt32(interval * 1_000_000)
        states = Mutex(Array(repeating: ReplicaState(reachable: true, lag: nil), count: replicas.count))
    }

    /// Probes must notice a dead server fast, not wait out the application's timeouts.
    private static func probeConfiguration(_ c: DatabaseConfiguration) -> DatabaseConfiguration {
        var c = c
        c.connectTimeout = 1
        c.readTimeout = 2
        c.writeTimeout = 2
        c.statementCacheSize = 4
        return c
    }

    var primaryReachable: Bool { primaryReachableFlag.load(ordering: .relaxed) }

    func state(_ index: Int) -> ReplicaState { states.withLock { $0[index] } }

    func allStates() -> [ReplicaState] { states.withLock { $0 } }

    /// A read found the replica dead: skip it until the next successful probe.
    func markUnreachable(_ index: Int) { states.withLock { $0[index].reachable = false } }

    func markPrimaryUnreachable() { primaryReachableFlag.store(false, ordering: .relaxed) }

    func start() {
        Thread.detachNewThread { [self] in self.loop { connection in try self.beatPrimary(&connection) } }
        for index in replicas.indices {
            Thread.detachNewThread { [self] in self.loop { connection in try self.probeReplica(index, &connection) } }
        }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }

    /// Number of probe threads still running (shutdown waits for zero in tests).
    var runningThreads: Int { running.load(ordering: .relaxed) }

    private func loop(_ step: (inout DatabaseConnection?) throws -> Void) {
        running.add(1, ordering: .relaxed)
        defer { running.subtract(1, ordering: .relaxed) }
        var connection: DatabaseConnection?
        while !stopped.load(ordering: .relaxed) {
            do { try step(&connection) } catch { /* recorded by the step; try again next round */ }
            usleep(intervalMicros)
        }
        connection?.close()
    }

    private func beatPrimary(_ connection: inout DatabaseConnection?) throws {
        do {
            let c = try connection ?? DatabaseConnection(configuration: primary)
            connection = c
            try c.execute("INSERT INTO heartbeat (id, ts) VALUES (1, NOW(6)) ON DUPLICATE KEY UPDATE ts = NOW(6)")
            if let ts = try c.queryOne("SELECT ts FROM heartbeat WHERE id = 1")?.date("ts") {
                primaryHeartbeat.store(Self.micros(ts), ordering: .relaxed)
            }
            primaryReachableFlag.store(true, ordering: .relaxed)
        } catch let error as DatabaseError {
            if error.breaksConnection { primaryReachableFlag.store(false, ordering: .relaxed) }
            throw error
        }
    }

    private func probeReplica(_ index: Int, _ connection: inout DatabaseConnection?) throws {
        do {
            let c = try connection ?? DatabaseConnection(configuration: replicas[index])
            connection = c
            let ts = try c.queryOne("SELECT ts FROM heartbeat WHERE id = 1")?.date("ts")
            let primaryTs = primaryHeartbeat.load(ordering: .relaxed)
            let lag: Double? = ts.flatMap { ts in
                primaryTs == 0 ? nil : max(0, Double(primaryTs - Self.micros(ts)) / 1_000_000)
            }
            states.withLock { $0[index] = ReplicaState(reachable: true, lag: lag) }
        } catch let error as DatabaseError {
            if error.breaksConnection {
                states.withLock { $0[index].reachable = false }
            } else {
                states.withLock { $0[index] = ReplicaState(reachable: true, lag: nil) }   // e.g. no heartbeat table yet
            }
            throw error
        }
    }

    private static func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
}
