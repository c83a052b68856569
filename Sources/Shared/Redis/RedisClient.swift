import CHiredis
import Glibc

/// A blocking Redis command connection over hiredis, used by one thread at a time.
///
/// It connects on first use and, after an I/O failure, drops the broken context and
/// reconnects on the next call. The call that hit the failure throws: it cannot know whether
/// the server ran the command, so retrying is left to the caller.
public final class RedisClient {
    public let url: RedisURL
    /// Seconds allowed to establish the TCP connection.
    public let connectTimeout: Double
    /// Seconds allowed for each read or write of a command.
    public let commandTimeout: Double
    private var context: UnsafeMutablePointer<redisContext>?
    /// Connections opened so far (1 after the first command; more after reconnects).
    public private(set) var connectCount = 0

    public init(url: RedisURL, connectTimeout: Double = 1, commandTimeout: Double = 2) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    deinit { close() }

    public var isConnected: Bool { context != nil }

    /// Opens the connection now (and AUTH/SELECT as the URL says); a no-op when connected.
    public func connect() throws(RedisError) {
        guard context == nil else { return }
        guard let ctx = redisConnectWithTimeout(url.host, Int32(url.port), RedisClient.timeval(connectTimeout)) else {
            throw RedisError(.connect, "cannot allocate a connection to \(url)")
        }
        if ctx.pointee.err != 0 {
            let message = RedisClient.errorText(ctx)
            redisFree(ctx)
            throw RedisError(.connect, "\(url.host):\(url.port): \(message)")
        }
        guard redisSetTimeout(ctx, RedisClient.timeval(commandTimeout)) == REDIS_OK else {
            let message = RedisClient.errorText(ctx)
            redisFree(ctx)
            throw RedisError(.connect, "\(url.host):\(url.port): cannot set timeout: \(message)")
        }
        context = ctx
        connectCount += 1
        do {
            if let password = url.password { _ = try command(["AUTH", password]).checked() }
            if url.database != 0 { _ = try command(["SELECT", String(url.database)]).checked() }
        } catch {
            close()
            throw RedisError(.connect, "\(url.host):\(url.port): \(error.message)")
        }
    }

    /// Closes the connection; the next command reconnects.
    public func close() {
        if let context { redisFree(context) }
        context = nil
    }

    /// Sends one command and waits for its reply. Error replies are returned, not thrown.
    public func command(_ args: [String]) throws(RedisError) -> RedisReply {
        try command(bytes: args.map { Array($0.utf8) })
    }

    /// Binary-safe form: each argument is sent with its explicit length.
    public func command(bytes args: [[UInt8]]) throws(RedisError) -> RedisReply {
        precondition(!args.isEmpty, "a Redis command needs a name")
        try connect()
        let ctx = context!
        let raw = RedisClient.withArgv(args) { argc, argv, lengths in redisCommandArgv(ctx, argc, argv, lengths) }
        guard let raw else { throw brokenConnection() }
        defer { freeReplyObject(raw) }
        return RedisReply(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Sends all commands in one write, then reads their replies in order.
    public func pipeline(_ commands: [[String]]) throws(RedisError) -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        try connect()
        let ctx = context!
        for args in commands {
            precondition(!args.isEmpty, "a Redis command needs a name")
            let status = RedisClient.withArgv(args.map { Array($0.utf8) }) { argc, argv, lengths in
                redisAppendCommandArgv(ctx, argc, argv, lengths)
            }
            guard status == REDIS_OK else { throw brokenConnection() }
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(ctx, &raw) == REDIS_OK, let raw else { throw brokenConnection() }
            replies.append(RedisReply(raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        return replies
    }

    /// Records the failure, frees the context (it cannot be reused after an error).
    private func brokenConnection() -> RedisError {
        let message = context.map(RedisClient.errorText) ?? "not connected"
        close()
        return RedisError(.io, "\(url.host):\(url.port): \(message)")
    }

    private static func withArgv<R>(_ args: [[UInt8]],
                                    _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
        // One contiguous copy of all arguments; pointers into it stay valid for the call.
        let joined = Array(args.joined()) + [0]
        return joined.withUnsafeBufferPointer { storage in
            let base = UnsafeRawPointer(storage.baseAddress!).assumingMemoryBound(to: CChar.self)
            var pointers: [UnsafePointer<CChar>?] = []
            var lengths: [Int] = []
            var offset = 0
            for arg in args {
                pointers.append(base + offset)
                lengths.append(arg.count)
                offset += arg.count
            }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { lens in body(Int32(args.count), argv.baseAddress!, lens.baseAddress!) }
            }
        }
    }

    private static func errorText(_ ctx: UnsafeMutablePointer<redisContext>) -> String {
        let text = withUnsafeBytes(of: ctx.pointee.errstr) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        return text.isEmpty ? "error \(ctx.pointee.err)" : text
    }

    static func timeval(_ seconds: Double) -> Glibc.timeval {
        let whole = Int(seconds)
        return Glibc.timeval(tv_sec: whole, tv_usec: Int((seconds - Double(whole)) * 1_000_000))
    }
}
