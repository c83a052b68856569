import COpenSSL

/// Hashes, MACs, key derivation and secure randomness, all from OpenSSL's libcrypto.
///
/// Nothing here is implemented in Swift on purpose: the primitives come from a library that is
/// audited and constant-time where it matters.
public enum Crypto {
    /// SHA-1 digest (20 bytes). Only for protocols that demand it (the WebSocket handshake).
    public static func sha1(_ data: some Collection<UInt8>) -> [UInt8] {
        digest(data, EVP_sha1(), length: 20)
    }

    /// SHA-256 digest (32 bytes).
    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] {
        digest(data, EVP_sha256(), length: 32)
    }

    /// HMAC-SHA256 of `message` under `key` (32 bytes).
    public static func hmacSHA256(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
        contiguous(key) { key in
            contiguous(message) { message in
                var out = [UInt8](repeating: 0, count: 32)
                var outLength: UInt32 = 0
                let result = out.withUnsafeMutableBufferPointer { out in
                    HMAC(EVP_sha256(), key.baseAddress ?? emptyByte, Int32(key.count),
                         message.baseAddress ?? emptyByte, message.count, out.baseAddress, &outLength)
                }
                // HMAC fails only on allocation failure or a key longer than Int32: both are bugs.
                precondition(result != nil && outLength == 32, "HMAC-SHA256 failed")
                return out
            }
        }
    }

    /// PBKDF2-HMAC-SHA256 (RFC 8018) deriving `length` bytes.
    /// - Parameters:
    ///   - iterations: at least 1.
    ///   - length: at least 1.
    public static func pbkdf2SHA256(password: some Collection<UInt8>, salt: some Collection<UInt8>,
                                    iterations: Int, length: Int) -> [UInt8] {
        precondition(iterations >= 1 && iterations <= Int(Int32.max), "PBKDF2 iterations out of range")
        precondition(length >= 1 && length <= 1024, "PBKDF2 output length out of range")
        return contiguous(password) { password in
            contiguous(salt) { salt in
                var out = [UInt8](repeating: 0, count: length)
                let ok = out.withUnsafeMutableBufferPointer { out in
                    password.withMemoryRebound(to: CChar.self) { password in
                        PKCS5_PBKDF2_HMAC(password.baseAddress ?? emptyChar, Int32(password.count),
                                          salt.baseAddress ?? emptyByte, Int32(salt.count),
                                          Int32(iterations), EVP_sha256(), Int32(length), out.baseAddress)
                    }
                }
                precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed")
                return out
            }
        }
    }

    /// `count` bytes from OpenSSL's CSPRNG (`RAND_bytes`).
    ///
    /// A failing CSPRNG is not recoverable: carrying on would hand out guessable tokens and
    /// salts, so this stops the process instead of returning an error a caller might ignore.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max), "random byte count out of range")
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard ok == 1 else { fatalError("RAND_bytes failed: the system CSPRNG is unavailable") }
        return out
    }

    /// Compares two byte strings in time that depends only on their lengths (`CRYPTO_memcmp`).
    /// Lengths are not secret here (MACs and hashes have fixed sizes), so unequal lengths return early.
    public static func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        return contiguous(a) { a in
            contiguous(b) { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0 }
        }
    }

    // MARK: - Helpers

    private static func digest(_ data: some Collection<UInt8>, _ md: OpaquePointer?, length: Int) -> [UInt8] {
        contiguous(data) { data in
            var out = [UInt8](repeating: 0, count: length)
            var outLength: UInt32 = 0
            let ok = out.withUnsafeMutableBufferPointer { out in
                EVP_Digest(data.baseAddress ?? emptyByte, data.count, out.baseAddress, &outLength, md, nil)
            }
            precondition(ok == 1 && Int(outLength) == length, "EVP_Digest failed")
            return out
        }
    }

    /// Runs `body` over the collection's contiguous storage, copying only when it has none.
    private static func contiguous<R>(_ data: some Collection<UInt8>,
                                      _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = data.withContiguousStorageIfAvailable(body) { return result }
        return Array(data).withUnsafeBufferPointer(body)
    }

    // OpenSSL wants a non-null pointer even for zero-length input. `nonisolated(unsafe)` is safe:
    // the byte is written once at initialisation and only ever read.
    nonisolated(unsafe) private static let emptyByte: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1); p.pointee = 0; return UnsafePointer(p)
    }()
    private static var emptyChar: UnsafePointer<CChar> { UnsafeRawPointer(emptyByte).assumingMemoryBound(to: CChar.self) }
}
