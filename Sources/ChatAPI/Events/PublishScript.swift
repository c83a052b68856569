import Shared

/// The one Lua script that turns an outbox row into a logged, published event.
///
/// Atomic in Redis, so a retried publish never duplicates (the marker key remembers the
/// outbox id for a day) and the log's order is the publish order. The membership mirror and
/// the revoked-session key change in the same script as the event that announces them, so a
/// relay never sees one without the other.
///
/// KEYS: 1 marker, 2 channel log, 3 (optional) side-effect key.
/// ARGV: 1 Pub/Sub channel, 2 envelope JSON without `id` (starts with `{"v":1,`),
///       3 log max length, 4 log retention in ms, 5 side effect (`sadd`, `srem`, `setex` or
///       empty), 6 its member or value, 7 its TTL in seconds.
/// Returns the stream entry id (the event id).
enum PublishScript {
    static let script = RedisScript(source)

    static let source = """
    local done = redis.call('GET', KEYS[1])
    if done then return done end
    local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'event', ARGV[2])
    local t = redis.call('TIME')
    local oldest = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[4])
    if oldest > 0 then redis.call('XTRIM', KEYS[2], 'MINID', '~', tostring(oldest)) end
    local op = ARGV[5]
    if op == 'sadd' then redis.call('SADD', KEYS[3], ARGV[6])
    elseif op == 'srem' then redis.call('SREM', KEYS[3], ARGV[6])
    elseif op == 'setex' then redis.call('SET', KEYS[3], ARGV[6], 'EX', ARGV[7]) end
    redis.call('PUBLISH', ARGV[1], '{"v":1,"id":"' .. id .. '",' .. string.sub(ARGV[2], 8))
    redis.call('SET', KEYS[1], id, 'EX', 86400)
    return id
    """

    /// What the script does besides logging and publishing.
    enum SideEffect: Equatable {
        case none
        case addToSet(key: String, member: String)
        case removeFromSet(key: String, member: String)
        case setWithExpiry(key: String, value: String, seconds: Int)
    }

    /// The script's keys and arguments for one event.
    static func arguments(outboxId: Int64, envelope: EventEnvelope, retention: EventLogRetention,
                          sideEffect: SideEffect) -> (keys: [String], args: [String]) {
        var keys = [RedisKeys.publishedMarker(outboxId), envelope.channel.redisLogKey]
        var args = [envelope.channel.redisChannel, envelope.json(), String(retention.maxEntries),
                    String(retention.maxAgeSeconds * 1000)]
        switch sideEffect {
        case .none:
            args += ["", "", ""]
        case .addToSet(let key, let member):
            keys.append(key); args += ["sadd", member, ""]
        case .removeFromSet(let key, let member):
            keys.append(key); args += ["srem", member, ""]
        case .setWithExpiry(let key, let value, let seconds):
            keys.append(key); args += ["setex", value, String(seconds)]
        }
        return (keys, args)
    }
}

/// How much history each channel's log keeps for resume (CONTRACT.md: 24 h, 10,000 entries).
struct EventLogRetention: Sendable {
    var maxEntries: Int = 10_000
    var maxAgeSeconds: Int = 86_400
}
