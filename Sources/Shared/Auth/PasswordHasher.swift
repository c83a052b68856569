import Foundation

/// Hashes and verifies passwords with PBKDF2-HMAC-SHA256 (libcrypto).
///
/// Stored form: `pbkdf2-sha256$<iterations>$<salt>$<hash>` with base64url (unpadded) salt and
/// hash. It names its own algorithm and cost, so the cost can be raised later: old hashes still
/// verify, and `needsRehash` tells the login code to store a new one.
public struct PasswordHasher: Sendable {
    /// OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
    public static let defaultIterations = 600_000
    public static let saltBytes = 16
    public static let hashBytes = 32
    static let scheme = "pbkdf2-sha256"
    /// A stored hash asking for more than this is refused rather than run (a tampered row
    /// must not be able to pin a CPU).
    static let maximumIterations = 10_000_000

    /// Iterations for new hashes.
    public let iterations: Int

    /// - Parameter iterations: cost of new hashes, 1 ... 10,000,000 (tests use small values).
    public init(iterations: Int = defaultIterations) {
        precondition(iterations >= 1 && iterations <= Self.maximumIterations,
                     "PasswordHasher iterations must be 1...\(Self.maximumIterations)")
        self.iterations = iterations
    }

    /// A new stored hash of `password` with a fresh random salt.
    public func hash(_ password: String) -> String {
        let salt = Crypto.randomBytes(Self.saltBytes)
        let derived = Self.derive(password, salt: salt, iterations: iterations, length: Self.hashBytes)
        return "\(Self.scheme)$\(iterations)$\(Base64URL.encode(salt))$\(Base64URL.encode(derived))"
    }

    /// Whether `password` matches the stored hash; compares in constant time.
    /// - Throws: `PasswordHashError` when `stored` is not a hash this type wrote (a corrupt row,
    ///   not a wrong password).
    public func verify(_ password: String, against stored: String) throws(PasswordHashError) -> Bool {
        let parsed = try Parsed(stored)
        let derived = Self.derive(password, salt: parsed.salt, iterations: parsed.iterations,
                                  length: parsed.hash.count)
        return Crypto.constantTimeEqual(derived, parsed.hash)
    }

    /// Whether a stored hash was made with other parameters than new ones would be (so the
    /// login that just verified it should store `hash(password)` instead). A hash that cannot
    /// be parsed needs rehashing too.
    public func needsRehash(_ stored: String) -> Bool {
        guard let parsed = try? Parsed(stored) else { return true }
        return parsed.iterations != iterations || parsed.salt.count != Self.saltBytes
            || parsed.hash.count != Self.hashBytes
    }

    /// Spends the time of one verification on nothing, so a login for an unknown user takes as
    /// long as one with a wrong password (no user enumeration by timing).
    public func simulateVerify(_ password: String) {
        _ = Self.derive(password, salt: [UInt8](repeating: 0, count: Self.saltBytes),
                        iterations: iterations, length: Self.hashBytes)
    }

    /// Passwords are hashed as UTF-8 of their NFC form, so the same password typed on systems
    /// that compose accents differently verifies. Changing this would break stored hashes.
    private static func derive(_ password: String, salt: [UInt8], iterations: Int, length: Int) -> [UInt8] {
        let normalized = Array(password.precomposedStringWithCanonicalMapping.utf8)
        return Crypto.pbkdf2SHA256(password: normalized, salt: salt, iterations: iterations, length: length)
    }

    private struct Parsed {
        let iterations: Int
        let salt: [UInt8]
        let hash: [UInt8]

        init(_ stored: String) throws(PasswordHashError) {
            let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 4 else { throw PasswordHashError("expected 4 fields separated by $") }
            guard parts[0] == PasswordHasher.scheme else { throw PasswordHashError("unknown scheme \"\(parts[0])\"") }
            guard let iterations = Int(parts[1]), iterations >= 1, iterations <= PasswordHasher.maximumIterations,
                  String(iterations) == parts[1] else { throw PasswordHashError("bad iteration count") }
            guard let salt = Base64URL.decode(parts[2]), salt.count >= 8, salt.count <= 64 else {
                throw PasswordHashError("bad salt")
            }
            guard let hash = Base64URL.decode(parts[3]), hash.count >= 16, hash.count <= 64 else {
                throw PasswordHashError("bad hash")
            }
            self.iterations = iterations; self.salt = salt; self.hash = hash
        }
    }
}

/// A stored password hash that is not in the format `PasswordHasher` writes.
public struct PasswordHashError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ detail: String) { description = "malformed password hash: \(detail)" }
}
