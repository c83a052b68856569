import Foundation
import Synchronization

/// Where a user's last write position (the primary's GTID right after that user's commit)
/// is kept so that every ChatAPI instance sees it: the read-your-writes ledger.
///
/// Production backs it with Redis (`SET chat:rw:{userId} <gtid> PX <ttl>`), shared by all
/// instances behind nginx; the expiry only has to outlive normal replication delay, since
/// a replica lagging longer than `CHAT_DB_MAX_REPLICA_LAG` is skipped anyway.
public protocol WritePositionStore: Sendable {
    /// Remembers that `userId` wrote up to `gtid` (e.g. "0-1-42").
    func record(userId: Int64, gtid: String) throws
    /// The position `userId` must see, or nil when no recent write is known.
    func lastPosition(userId: Int64) throws -> String?
}

/// A process-local store with expiry: for tests and single-instance runs.
public final class InMemoryWritePositionStore: WritePositionStore {
    private struct Entry { var gtid: String; var expiresAt: UInt64 }
    private let entries = Mutex<[Int64: Entry]>([:])
    private let ttlMillis: UInt64

    public init(ttl: Double = 10) {
        ttlMillis = UInt64(ttl * 1000)
    }

    public func record(userId: Int64, gtid: String) {
        let now = Monotonic.millis()
        entries.withLock { entries in
            entries[userId] = Entry(gtid: gtid, expiresAt: now + ttlMillis)
            if entries.count > 100_000 { entries = entries.filter { $0.value.expiresAt > now } }
        }
    }

    public func lastPosition(userId: Int64) -> String? {
        let now = Monotonic.millis()
        return entries.withLock { entries in
            guard let entry = entries[userId] else { return nil }
            if entry.expiresAt <= now { entries[userId] = nil; return nil }
            return entry.gtid
        }
    }
}
