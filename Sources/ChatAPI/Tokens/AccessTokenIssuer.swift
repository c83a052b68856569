import Foundation
import Shared

/// The token pair answer of `POST /tokens` and `POST /tokens/refresh`.
struct TokenPair: Encodable, Sendable {
    let accessToken: String
    let refreshToken: String
    let tokenType = "Bearer"
    let expiresIn: Int
}

/// Signs access tokens and makes refresh tokens (CONTRACT.md "Tokens").
struct AccessTokenIssuer: Sendable {
    static let lifetimeSeconds = 15 * 60
    static let refreshLifetimeSeconds = 14 * 24 * 3600

    let keys: JWTKeySet

    func pair(userId: Int64, sessionId: Int64, refreshToken: String, now: Date = Date()) -> TokenPair {
        let claims = AccessClaims(userId: userId, sessionId: String(sessionId), now: now,
                                  lifetime: Int64(Self.lifetimeSeconds))
        return TokenPair(accessToken: keys.sign(claims), refreshToken: refreshToken, expiresIn: Self.lifetimeSeconds)
    }

    /// A new opaque refresh token (256 random bits, base64url) and the hash that is stored.
    static func newRefreshToken() -> (token: String, hash: [UInt8]) {
        let token = Base64URL.encode(Crypto.randomBytes(32))
        return (token, hash(token))
    }

    /// Only this hash is stored, so a database dump yields no usable token.
    static func hash(_ token: String) -> [UInt8] {
        Crypto.sha256(Array(token.utf8))
    }
}
