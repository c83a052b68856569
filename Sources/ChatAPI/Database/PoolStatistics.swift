import Synchronization

/// A pool's counters: plain atomics that the metrics layer reads on scrape
/// (`chat_db_pool_in_use`, `chat_db_pool_waiting`, ... — the lead wires them to
/// MetricsRegistry gauges; nothing here depends on the registry).
public struct PoolStatistics: Sendable, Equatable {
    public var name: String
    public var maxConnections: Int
    /// Connections currently lent out.
    public var inUse: Int
    /// Threads waiting for a connection right now.
    public var waiting: Int
    /// Open connections sitting in the pool.
    public var idle: Int
    /// Checkouts that gave up after the checkout timeout (answered `.unavailable`).
    public var timeouts: Int
    /// Sessions opened again after a failed health check or a lost connection.
    public var reconnects: Int
    /// Attempts to connect that failed.
    public var connectFailures: Int
}

final class PoolCounters: Sendable {
    let inUse = Atomic<Int>(0)
    let waiting = Atomic<Int>(0)
    let timeouts = Atomic<Int>(0)
    let reconnects = Atomic<Int>(0)
    let connectFailures = Atomic<Int>(0)
}
