import COpenSSL

/// A Lua script run by its SHA-1 (`EVALSHA`), falling back to `EVAL` when the server lost it.
public struct RedisScript: Sendable, Hashable {
    public let source: String
    /// Lower-case hex SHA-1 of `source`, as Redis names scripts.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        let bytes = Array(source.utf8)
        _ = SHA1(bytes, bytes.count, &digest)
        self.sha1 = digest.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}

extension RedisClient {
    /// Runs `script` with `keys` and `arguments`. A `NOSCRIPT` answer (Redis restarted or
    /// `SCRIPT FLUSH`) is retried once with `EVAL`, which also caches the script again.
    public func evaluate(_ script: RedisScript, keys: [String] = [], arguments: [String] = []) throws(RedisError) -> RedisReply {
        let tail = [String(keys.count)] + keys + arguments
        let reply = try command(["EVALSHA", script.sha1] + tail)
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            return try command(["EVAL", script.source] + tail)
        }
        return reply
    }

    /// Loads `script` so that later `EVALSHA` calls hit (e.g. at start-up).
    public func load(_ script: RedisScript) throws(RedisError) {
        let reply = try command(["SCRIPT", "LOAD", script.source]).checked()
        guard reply.string == script.sha1 else {
            throw RedisError(.reply, "SCRIPT LOAD returned \(reply), expected \(script.sha1)")
        }
    }
}
