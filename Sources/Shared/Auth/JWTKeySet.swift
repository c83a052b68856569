import Foundation

/// The HS256 keys a service signs and verifies access tokens with.
///
/// Either one unnamed secret (`CHAT_JWT_SECRET`: tokens carry no `kid`) or a list of named keys
/// (`CHAT_JWT_KEYS` = `kid:secret,...`): the first signs, all verify, so a new key can be put
/// first while tokens signed by the old one run out.
public struct JWTKeySet: Sendable {
    /// Secrets shorter than this are refused (RFC 7518 §3.2: a key as long as the hash output).
    public static let minimumSecretBytes = 32
    /// Tokens longer than this are refused before any work is done on them.
    public static let maximumTokenLength = 8192

    struct Key: Sendable {
        let id: String?
        let secret: [UInt8]
        /// The token's first part, fixed per key, so signing does not re-encode it.
        let encodedHeader: String
    }

    let signingKey: Key
    let keys: [Key]
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    public var leeway: Int64

    /// One unnamed secret: tokens carry no `kid`.
    /// - Throws: `JWTError.weakSecret` when it is shorter than 32 bytes.
    public init(secret: String, leeway: Int64 = 30) throws(JWTError) {
        try self.init(secretBytes: Array(secret.utf8), leeway: leeway)
    }

    /// One unnamed binary secret: tokens carry no `kid`.
    /// - Throws: `JWTError.weakSecret` when it is shorter than 32 bytes.
    public init(secretBytes bytes: [UInt8], leeway: Int64 = 30) throws(JWTError) {
        guard bytes.count >= Self.minimumSecretBytes else { throw JWTError.weakSecret }
        let key = Key(id: nil, secret: bytes, encodedHeader: Self.header(kid: nil))
        self.signingKey = key; self.keys = [key]; self.leeway = leeway
    }

    /// Named keys; the first signs, every one verifies.
    /// - Throws: `JWTError.weakSecret` for a short secret, `JWTError.invalidKeyList` for an empty
    ///   list, an empty or duplicate key id, or a key id outside `[A-Za-z0-9._-]`.
    public init(keys named: [(kid: String, secret: String)], leeway: Int64 = 30) throws(JWTError) {
        guard !named.isEmpty else { throw JWTError.invalidKeyList.with("no keys") }
        var keys: [Key] = []
        for (kid, secret) in named {
            guard Self.isValidKeyId(kid) else { throw JWTError.invalidKeyList.with("bad key id \"\(kid)\"") }
            guard !keys.contains(where: { $0.id == kid }) else {
                throw JWTError.invalidKeyList.with("duplicate key id \"\(kid)\"")
            }
            let bytes = Array(secret.utf8)
            guard bytes.count >= Self.minimumSecretBytes else { throw JWTError.weakSecret.with("key \"\(kid)\"") }
            keys.append(Key(id: kid, secret: bytes, encodedHeader: Self.header(kid: kid)))
        }
        self.signingKey = keys[0]; self.keys = keys; self.leeway = leeway
    }

    /// Parses `kid:secret,kid:secret` (the `CHAT_JWT_KEYS` format). A secret may contain `:`;
    /// spaces around entries are ignored.
    /// - Throws: as `init(keys:)`; `JWTError.invalidKeyList` when an entry has no `:`.
    public init(keyList: String, leeway: Int64 = 30) throws(JWTError) {
        var named: [(kid: String, secret: String)] = []
        for entry in keyList.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            guard let colon = trimmed.firstIndex(of: ":") else {
                throw JWTError.invalidKeyList.with("entry without \"kid:\"")
            }
            named.append((String(trimmed[..<colon]), String(trimmed[trimmed.index(after: colon)...])))
        }
        try self.init(keys: named, leeway: leeway)
    }

    /// The key id that signs new tokens (nil for a single unnamed secret).
    public var signingKeyId: String? { signingKey.id }

    /// Signs the claims with the signing key: `header.payload.signature`.
    public func sign(_ claims: AccessClaims) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings and integers cannot fail.
        let payload = try! encoder.encode(claims)
        let signingInput = signingKey.encodedHeader + "." + Base64URL.encode(payload)
        let signature = Crypto.hmacSHA256(key: signingKey.secret, message: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    static func isValidKeyId(_ kid: String) -> Bool {
        !kid.isEmpty && kid.utf8.count <= 64 && kid.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
    }

    /// The header CONTRACT.md fixes; `kid` only for named keys (it needs no escaping, see above).
    private static func header(kid: String?) -> String {
        if let kid { return Base64URL.encode(#"{"alg":"HS256","typ":"JWT","kid":"\#(kid)"}"#) }
        return Base64URL.encode(#"{"alg":"HS256","typ":"JWT"}"#)
    }
}
