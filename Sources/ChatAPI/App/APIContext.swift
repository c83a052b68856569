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

/// Request budgets, per window of a minute unless named otherwise.
struct RateLimits: Sendable {
    var loginPerUsername = RateLimiter.Rule(name: "login-user", limit: 10, windowSeconds: 60)
    var loginPerAddress = RateLimiter.Rule(name: "login-addr", limit: 60, windowSeconds: 60)
    var signUpPerAddress = RateLimiter.Rule(name: "signup-addr", limit: 60, windowSeconds: 60)
    var refreshPerAddress = RateLimiter.Rule(name: "refresh-addr", limit: 600, windowSeconds: 60)
}
