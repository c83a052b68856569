import Shared

/// Copies the database layer's atomics into the registry when metrics are scraped.
struct DatabaseMetricsExporter: Sendable {
    let database: Database
    let metrics: MetricsRegistry

    func update() {
        let snapshot = database.metrics.snapshot()
        let queries = [("primary_write", snapshot.writes), ("primary_read", snapshot.primaryReads),
                       ("replica_read", snapshot.replicaReads)]
        for (target, count) in queries {
            set(metrics.counter("chat_db_queries_total", help: "Database calls by target", labels: ["target": target]), count)
        }
        for (reason, count) in snapshot.fallbacks {
            set(metrics.counter("chat_db_read_fallbacks_total", help: "Plain reads sent to the primary, by reason",
                                labels: ["reason": reason.label]), count)
        }
        set(metrics.counter("chat_db_position_waits_total", help: "Reads that waited for a write position on a replica"),
            snapshot.positionWaits)
        for pool in [database.primary] + database.replicas {
            let stats = pool.statistics
            metrics.gauge("chat_db_pool_in_use", help: "Connections lent out", labels: ["pool": stats.name]).set(stats.inUse)
            metrics.gauge("chat_db_pool_waiting", help: "Threads waiting for a connection", labels: ["pool": stats.name]).set(stats.waiting)
            metrics.gauge("chat_db_pool_idle", help: "Idle open connections", labels: ["pool": stats.name]).set(stats.idle)
        }
    }

    /// Counters only go up: add what happened since the last scrape.
    private func set(_ counter: Counter, _ total: Int) {
        let delta = Int64(total) - counter.current
        if delta > 0 { counter.increment(by: delta) }
    }
}
