import Foundation

/// Access tokens as ChatAPI issues them (CONTRACT.md "Tokens"), signed with `TestJWT`.
enum RelayTokens {
    /// - Parameters:
    ///   - lifetime: seconds from `iat` to `exp`; `issuedAgo` moves `iat` into the past.
    ///   - extra: claims to add or override (a wrong `iss` or `typ`).
    static func access(user: Int64, sid: String, secret: String, lifetime: Int = 900, issuedAgo: Int = 0,
                       extra: [String: Any] = [:]) -> String {
        let now = Int(Date().timeIntervalSince1970) - issuedAgo
        var claims: [String: Any] = ["iss": "chat-api", "sub": String(user), "typ": "access", "sid": sid,
                                     "iat": now, "exp": now + lifetime, "jti": UUID().uuidString]
        claims.merge(extra) { _, new in new }
        return TestJWT.sign(claims, secret: secret)
    }
}
