import Shared

/// `RelayStore` over a pool of blocking hiredis clients; safe from any thread (a client is
/// lent to one thread at a time), so the HTTP workers use it for the revoked-sid check too.
final class RedisRelayStore: RelayStore {
    let pool: RedisPool

    init(pool: RedisPool) { self.pool = pool }

    private func run(_ args: [String]) throws -> RedisReply {
        try pool.with { client in try client.command(args).checked() }
    }

    func roomIds(userId: Int64) throws -> [Int64] {
        guard let members = try run(["SMEMBERS", RedisKeys.userRooms(userId)]).array else {
            throw RedisError(.protocolError, "SMEMBERS did not answer an array")
        }
        return members.compactMap { $0.string.flatMap { Int64($0) } }.filter { $0 > 0 }
    }

    func lastLogId(_ channel: ChannelName) throws -> StreamID? {
        try RedisReplies.logEntries(run(["XREVRANGE", channel.redisLogKey, "+", "-", "COUNT", "1"])).first?.id
    }

    func firstLogId(_ channel: ChannelName) throws -> StreamID? {
        try RedisReplies.logEntries(run(["XRANGE", channel.redisLogKey, "-", "+", "COUNT", "1"])).first?.id
    }

    func logEntries(_ channel: ChannelName, from: StreamID, through: StreamID?, count: Int) throws -> [LogEntry] {
        try RedisReplies.logEntries(run(["XRANGE", channel.redisLogKey, from.description,
                                         through?.description ?? "+", "COUNT", String(count)]))
    }

    func isSessionRevoked(_ sid: String) throws -> Bool {
        try run(["EXISTS", RedisKeys.revokedSession(sid)]).integer.map { $0 > 0 } ?? false
    }

    func publish(_ channel: ChannelName, payload: String) throws {
        _ = try run(["PUBLISH", channel.redisChannel, payload])
    }

    func ping() throws {
        _ = try run(["PING"])
    }
}
