/// A token bucket on an injected millisecond clock: `capacity` bursts, `refillPerSecond` sustained.
struct TokenBucket: Sendable {
    let capacity: Double
    let refillPerSecond: Double
    private var tokens: Double
    private var updatedAt: UInt64

    init(capacity: Double, refillPerSecond: Double, now: UInt64) {
        precondition(capacity >= 1 && refillPerSecond > 0, "a bucket must allow at least one action")
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.tokens = capacity
        self.updatedAt = now
    }

    /// Takes one token if available.
    mutating func take(now: UInt64) -> Bool {
        if now > updatedAt {
            tokens = min(capacity, tokens + Double(now - updatedAt) / 1000 * refillPerSecond)
            updatedAt = now
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
