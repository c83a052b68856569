import Foundation
import Shared

/// Everything a feature's handlers need, built once at start-up and shared read-only.
struct APIContext: Sendable {
    let database: Database
    let redis: RedisPool
    let authenticator: Authenticator
    let rateLimiter: RateLimiter
    let rateLimits: RateLimits
    let clientAddress: ClientAddressResolver
    let passwords: PasswordHashingPool
    let tokens: AccessTokenIssuer
    let revocation: SessionRevocation
    let publisher: OutboxPublisher
    let logger: Logger

    /// Commits `body` on the primary, then hands its events to the publisher at once.
    ///
    /// `userId` is whose read-your-writes position the commit moves.
    func write<T>(for userId: Int64?, _ body: (DatabaseConnection) throws -> (T, [OutboxEvent])) throws -> T {
        var events: [OutboxEvent] = []
        let value: T = try database.write(for: userId) { db in
            let (value, produced) = try body(db)
            try Outbox.append(produced, on: db)
            events = produced
            return value
        }
        if !events.isEmpty { publisher.nudge() }
        return value
    }
}

/// Request budgets per minute. Per username stops password guessing on one account; per
/// address stops one client spraying many accounts, set high enough for an office behind NAT.
struct RateLimits: Sendable {
    var loginPerUsername: RateLimiter.Rule
    var loginPerAddress: RateLimiter.Rule
    var signUpPerAddress: RateLimiter.Rule
    var refreshPerAddress: RateLimiter.Rule

    init(_ environment: Environment = Environment()) throws(ConfigError) {
        loginPerUsername = RateLimiter.Rule(
            name: "login-user", limit: try environment.int("CHAT_RATE_LOGIN_PER_USER", default: 10, range: 1...1_000_000),
            windowSeconds: 60)
        loginPerAddress = RateLimiter.Rule(
            name: "login-addr", limit: try environment.int("CHAT_RATE_LOGIN_PER_ADDRESS", default: 300, range: 1...1_000_000),
            windowSeconds: 60)
        signUpPerAddress = RateLimiter.Rule(
            name: "signup-addr", limit: try environment.int("CHAT_RATE_SIGNUP_PER_ADDRESS", default: 100, range: 1...1_000_000),
            windowSeconds: 60)
        refreshPerAddress = RateLimiter.Rule(
            name: "refresh-addr",
            limit: try environment.int("CHAT_RATE_REFRESH_PER_ADDRESS", default: 1200, range: 1...100_000_000),
            windowSeconds: 60)
    }
}
