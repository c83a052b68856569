import Shared

/// Read-your-writes positions in Redis, so every ChatAPI instance sees a user's last write.
///
/// Ten seconds is far past any healthy replication delay: after that the replica has the
/// write anyway, or is lagging and skipped by the lag check.
struct RedisWritePositionStore: WritePositionStore {
    let redis: RedisPool
    var ttlMilliseconds = 10_000

    func record(userId: Int64, gtid: String) throws {
        _ = try redis.with { try $0.command(["SET", key(userId), gtid, "PX", String(ttlMilliseconds)]).checked() }
    }

    func lastPosition(userId: Int64) throws -> String? {
        try redis.with { try $0.command(["GET", key(userId)]).checked() }.string
    }

    private func key(_ userId: Int64) -> String { "chat:ryw:\(userId)" }
}
