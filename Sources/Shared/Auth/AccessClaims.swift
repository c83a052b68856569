import Foundation

/// The claims of an access token, as CONTRACT.md "Tokens" fixes them.
///
/// Property names are the JWT claim names, so the mapping to the wire needs no table.
public struct AccessClaims: Sendable, Hashable, Codable {
    /// The only issuer and type this service issues and accepts.
    public static let issuer = "chat-api"
    public static let accessType = "access"
    /// Access tokens live 15 minutes.
    public static let defaultLifetime: Int64 = 15 * 60

    public var iss: String
    /// The user id as a decimal string.
    public var sub: String
    public var typ: String
    /// The session (refresh token family) id.
    public var sid: String
    /// Issued at, seconds since 1970.
    public var iat: Int64
    /// Expires at, seconds since 1970.
    public var exp: Int64
    /// Not before, seconds since 1970; optional.
    public var nbf: Int64?
    /// Unique token id.
    public var jti: String

    /// Claims for a new access token of `userId` in session `sessionId`, valid from `now`.
    /// - Parameters:
    ///   - lifetime: seconds until `exp`.
    ///   - tokenId: defaults to 128 random bits, base64url.
    public init(userId: Int64, sessionId: String, now: Date = Date(), lifetime: Int64 = defaultLifetime,
                tokenId: String = Base64URL.encode(Crypto.randomBytes(16))) {
        let issuedAt = Int64(now.timeIntervalSince1970.rounded(.down))
        self.init(iss: Self.issuer, sub: String(userId), typ: Self.accessType, sid: sessionId,
                  iat: issuedAt, exp: issuedAt + lifetime, nbf: nil, jti: tokenId)
    }

    /// Claims exactly as given (tests use it to build wrong tokens).
    public init(iss: String, sub: String, typ: String, sid: String, iat: Int64, exp: Int64,
                nbf: Int64? = nil, jti: String) {
        self.iss = iss; self.sub = sub; self.typ = typ; self.sid = sid
        self.iat = iat; self.exp = exp; self.nbf = nbf; self.jti = jti
    }

    /// The user id in `sub`; 0 when `sub` is not a valid id (never the case after `verify`).
    public var userId: Int64 { Self.parseUserId(sub) ?? 0 }

    /// When the token expires.
    public var expiresAt: Date { Date(timeIntervalSince1970: TimeInterval(exp)) }

    /// A positive decimal id below 2^53 without sign or leading zeros, or nil.
    static func parseUserId(_ text: String) -> Int64? {
        let digits = text.utf8
        guard let first = digits.first, first != UInt8(ascii: "0"), digits.count <= 16,
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = Int64(text), value > 0, value < 1 << 53 else { return nil }
        return value
    }
}
