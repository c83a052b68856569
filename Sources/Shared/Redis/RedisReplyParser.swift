import CHiredis

/// Incremental RESP parser over hiredis's `redisReader`: bytes in, complete replies out.
///
/// No socket, no threads: the relay's subscriber feeds it what its own event-loop socket
/// reads. Non-copyable because it owns the C reader (a copy would share its buffer).
/// After a protocol error the stream is unusable; every later `feed` throws too.
public struct RedisReplyParser: ~Copyable {
    private let reader: UnsafeMutablePointer<redisReader>
    private var failure: RedisError?

    public init() {
        guard let reader = redisReaderCreate() else { fatalError("redisReaderCreate: out of memory") }
        self.reader = reader
    }

    deinit { redisReaderFree(reader) }

    /// Bytes received but not yet part of a complete reply (for memory caps).
    public var bufferedBytes: Int { reader.pointee.len - reader.pointee.pos }

    /// Appends `bytes` and returns every reply completed by them, in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(RedisError) -> [RedisReply] {
        if let failure { throw failure }
        if !bytes.isEmpty, redisReaderFeed(reader, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count) != REDIS_OK {
            throw fail()
        }
        var replies: [RedisReply] = []
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &raw) == REDIS_OK else { throw fail() }
            guard let raw else { return replies }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            replies.append(RedisReply(reply))
            freeReplyObject(raw)
        }
    }

    public mutating func feed(_ bytes: [UInt8]) throws(RedisError) -> [RedisReply] {
        var result: Result<[RedisReply], RedisError> = .success([])
        bytes.withUnsafeBytes { raw in
            do throws(RedisError) { result = .success(try feed(raw)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    private mutating func fail() -> RedisError {
        let message = withUnsafeBytes(of: reader.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let error = RedisError(.protocolError, message.isEmpty ? "malformed reply" : message)
        failure = error
        return error
    }
}
