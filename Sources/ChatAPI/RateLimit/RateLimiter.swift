import Shared

/// Fixed-window counters in Redis, shared by every ChatAPI instance.
///
/// A window is one key with a TTL (`INCR`, then `EXPIRE` on the first hit, in one script so a
/// crash between them cannot leave a counter that never expires). When Redis is unreachable
/// the limiter lets requests through: refusing every login because a cache is down would turn
/// a Redis blip into an outage, and password hashing stays bounded by its own queue.
struct RateLimiter: Sendable {
    struct Rule: Sendable {
        let name: String
        let limit: Int
        let windowSeconds: Int
    }

    let redis: RedisPool
    let logger: Logger

    private static let script = RedisScript(source)

    private static let source = """
    local n = redis.call('INCR', KEYS[1])
    if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
    local ttl = redis.call('TTL', KEYS[1])
    return {n, ttl}
    """

    /// Counts one hit for `subject` under `rule`.
    /// - Throws: `Problem` 429 with `Retry-After` once the window's limit is passed.
    func hit(_ rule: Rule, subject: String) throws {
        let key = "chat:ratelimit:\(rule.name):\(subject)"
        let reply: RedisReply
        do {
            reply = try redis.with { try $0.evaluate(Self.script, keys: [key], arguments: [String(rule.windowSeconds)]) }
        } catch {
            logger.warning("rate limiter skipped: redis unavailable", ["rule": .string(rule.name)])
            return
        }
        guard case .array(let parts) = reply, parts.count == 2,
              case .integer(let count) = parts[0], case .integer(let ttl) = parts[1] else { return }
        if count > rule.limit {
            throw Problem.tooManyRequests(retryAfter: Int(max(ttl, 1)))
        }
    }
}
