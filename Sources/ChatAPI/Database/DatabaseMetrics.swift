import Synchronization

/// Why a plain read went to the primary instead of a replica.
public enum ReadFallbackReason: Int, Sendable, CaseIterable {
    /// Every replica is down or failed its last probe.
    case replicaDown
    /// Every reachable replica lags more than the allowed maximum (or its lag is unknown).
    case replicaLagging
    /// The chosen replica failed during the read.
    case replicaFailed
    /// Read-your-writes: the replica did not reach the user's write position in time.
    case writePositionTimeout
    /// Read-your-writes: too many reads were already waiting on replicas.
    case tooManyWaiters
    /// Read-your-writes: the position store could not be read.
    case positionStoreFailed

    public var label: String {
        switch self {
        case .replicaDown: "replica_down"
        case .replicaLagging: "replica_lagging"
        case .replicaFailed: "replica_failed"
        case .writePositionTimeout: "ryw_timeout"
        case .tooManyWaiters: "ryw_busy"
        case .positionStoreFailed: "position_store_failed"
        }
    }
}

/// Routing counters (`chat_db_queries_total{target}`, `chat_db_read_fallbacks_total{reason}`):
/// plain atomics read on scrape; the lead wires them into MetricsRegistry.
public final class DatabaseMetrics: Sendable {
    let writes = Atomic<Int>(0)
    let primaryReads = Atomic<Int>(0)
    let replicaReads = Atomic<Int>(0)
    let positionWaits = Atomic<Int>(0)
    let positionRecordFailures = Atomic<Int>(0)
    /// Reads served by a lagging replica because the primary was down.
    let staleReads = Atomic<Int>(0)
    // Atomic is not copyable, so it cannot live in an array; fallbacks are rare enough for a mutex.
    private let fallbacks = Mutex<[Int]>(Array(repeating: 0, count: ReadFallbackReason.allCases.count))

    func fallback(_ reason: ReadFallbackReason) { fallbacks.withLock { $0[reason.rawValue] += 1 } }

    public struct Snapshot: Sendable, Equatable {
        public var writes: Int
        public var primaryReads: Int
        public var replicaReads: Int
        /// Reads that waited for a write position on a replica (MASTER_GTID_WAIT).
        public var positionWaits: Int
        public var positionRecordFailures: Int
        public var staleReads: Int
        public var fallbacks: [ReadFallbackReason: Int]
        public var totalFallbacks: Int { fallbacks.values.reduce(0, +) }
    }

    public func snapshot() -> Snapshot {
        var byReason: [ReadFallbackReason: Int] = [:]
        let counts = fallbacks.withLock { $0 }
        for reason in ReadFallbackReason.allCases { byReason[reason] = counts[reason.rawValue] }
        return Snapshot(writes: writes.load(ordering: .relaxed), primaryReads: primaryReads.load(ordering: .relaxed),
                        replicaReads: replicaReads.load(ordering: .relaxed), positionWaits: positionWaits.load(ordering: .relaxed),
                        positionRecordFailures: positionRecordFailures.load(ordering: .relaxed),
                        staleReads: staleReads.load(ordering: .relaxed), fallbacks: byReason)
    }
}
