/// Why a token was refused, or why a key set could not be built.
///
/// A struct over a private code so that new reasons can be added without breaking callers
/// that switch on it; compare with the static members (`error == .expired`).
public struct JWTError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case malformed, unsupportedAlgorithm, unknownKey, badSignature
        case expired, notYetValid, invalidClaims, weakSecret, invalidKeyList
    }
    private let code: Code
    /// Human-readable detail for logs. Never send it to clients: it may help an attacker.
    public let detail: String

    private init(_ code: Code, _ detail: String) { self.code = code; self.detail = detail }

    /// Not three base64url parts of JSON, or a part that is not what it must be.
    public static let malformed = JWTError(.malformed, "malformed token")
    /// `alg` is not `HS256` (including `none`, `RS256`, `HS512`, a missing `alg`), or `crit` is present.
    public static let unsupportedAlgorithm = JWTError(.unsupportedAlgorithm, "unsupported algorithm")
    /// The `kid` names no key of this set (or is missing/present when it must not be).
    public static let unknownKey = JWTError(.unknownKey, "unknown key id")
    /// The signature does not match.
    public static let badSignature = JWTError(.badSignature, "bad signature")
    /// `exp` has passed (beyond the leeway).
    public static let expired = JWTError(.expired, "token expired")
    /// `nbf` or `iat` is in the future (beyond the leeway).
    public static let notYetValid = JWTError(.notYetValid, "token not yet valid")
    /// A required claim is missing or wrong (`iss`, `typ`, `sub`, `sid`, `jti`, ...).
    public static let invalidClaims = JWTError(.invalidClaims, "invalid claims")
    /// A signing secret shorter than 32 bytes.
    public static let weakSecret = JWTError(.weakSecret, "JWT secret must be at least 32 bytes")
    /// A `kid:secret,...` list that cannot be parsed.
    public static let invalidKeyList = JWTError(.invalidKeyList, "invalid JWT key list")

    /// Same reason, with more detail for logs.
    func with(_ detail: String) -> JWTError { JWTError(code, "\(self.detail): \(detail)") }

    public static func == (a: JWTError, b: JWTError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { detail }
}
