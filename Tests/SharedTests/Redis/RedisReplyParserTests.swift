import Testing
import TestSupport
@testable import Shared

@Suite struct RedisReplyParserTests {
    static let bigPayload = String(repeating: "0123456789abcdef", count: 65_536) + "é"  // > 1 MiB, ends multi-byte

    /// RESP bytes and the replies they must produce, covering every reply type.
    static let corpus: [(String, RedisReply)] = [
        ("+OK\r\n", .status("OK")),
        ("-ERR unknown command 'FOO'\r\n", .error("ERR unknown command 'FOO'")),
        (":-42\r\n", .integer(-42)),
        (":9223372036854775807\r\n", .integer(.max)),
        ("$5\r\nhello\r\n", .string("hello")),
        ("$0\r\n\r\n", .string("")),
        ("$-1\r\n", .null),
        ("*-1\r\n", .null),
        ("*0\r\n", .array([])),
        ("$8\r\na\r\nb\u{0}c\r\n\r\n", .string("a\r\nb\u{0}c\r\n")),
        ("$6\r\nza\u{017C}\u{0142}\r\n", .string("zażł")),
        ("*3\r\n$7\r\nmessage\r\n$11\r\nchat:room:1\r\n$12\r\n{\"type\":\"x\"}\r\n",
         .array([.string("message"), .string("chat:room:1"), .string("{\"type\":\"x\"}")])),
        ("*3\r\n$9\r\nsubscribe\r\n$11\r\nchat:user:7\r\n:1\r\n", .array([.string("subscribe"), .string("chat:user:7"), .integer(1)])),
        ("*2\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n*3\r\n$-1\r\n-ERR inner\r\n+ok\r\n",
         .array([.array([.string("a"), .array([.integer(1)])]), .array([.null, .error("ERR inner"), .status("ok")])])),
        ("$\(bigPayload.utf8.count)\r\n\(bigPayload)\r\n", .string(bigPayload)),
        ("*2\r\n$4\r\npong\r\n$0\r\n\r\n", .array([.string("pong"), .string("")])),
    ]

    static var stream: [UInt8] { Array(corpus.map(\.0).joined().utf8) }
    static var expected: [RedisReply] { corpus.map(\.1) }

    func parse(in chunks: [ArraySlice<UInt8>]) throws -> [RedisReply] {
        var parser = RedisReplyParser()
        var replies: [RedisReply] = []
        for chunk in chunks { replies += try parser.feed(Array(chunk)) }
        #expect(parser.bufferedBytes == 0)
        return replies
    }

    @Test func parsesEveryReplyTypeFedAllAtOnce() throws {
        #expect(try parse(in: [Self.stream[...]]) == Self.expected)
    }

    @Test func parsesTheSameRepliesFedOneByteAtATime() throws {
        // The big bulk string would make one-byte feeds slow; it is covered by the random splits.
        let small = Self.corpus.filter { $0.0.utf8.count < 10_000 }
        let bytes = Array(small.map(\.0).joined().utf8)
        var parser = RedisReplyParser()
        var replies: [RedisReply] = []
        for byte in bytes { replies += try parser.feed([byte]) }
        #expect(replies == small.map(\.1))
    }

    @Test(arguments: [1, 2, 3, 42, 2026])
    func parsesTheSameRepliesFedInRandomSplits(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let bytes = Self.stream
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let length = Int(rng.next() % (rng.next() % 2 == 0 ? 7 : 70_000)) + 1
            let end = min(bytes.count, start + length)
            chunks.append(bytes[start..<end])
            start = end
        }
        #expect(try parse(in: chunks) == Self.expected)
    }

    @Test func incompleteRepliesWaitForMoreBytes() throws {
        var parser = RedisReplyParser()
        #expect(try parser.feed(Array("*2\r\n$3\r\nfo".utf8)).isEmpty)
        #expect(parser.bufferedBytes > 0)
        #expect(try parser.feed(Array("o\r\n".utf8)).isEmpty)
        #expect(try parser.feed(Array(":7\r\n+OK\r\n".utf8)) == [.array([.string("foo"), .integer(7)]), .status("OK")])
    }

    @Test func malformedInputFailsAndKeepsFailing() throws {
        var parser = RedisReplyParser()
        #expect(throws: RedisError.self) { try parser.feed(Array("?what\r\n".utf8)) }
        #expect(throws: RedisError.self) { try parser.feed(Array("+OK\r\n".utf8)) }
        var badLength = RedisReplyParser()
        #expect {
            try badLength.feed(Array("$abc\r\n".utf8))
        } throws: { error in
            (error as? RedisError)?.kind == .protocolError
        }
    }

    @Test func encoderWritesRESPArraysOfBulkStrings() throws {
        #expect(RedisCommandEncoder.encode(["SET", "k", "a b\r\n"]) == Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na b\r\n\r\n".utf8))
        #expect(RedisCommandEncoder.encode(["PING"]) == Array("*1\r\n$4\r\nPING\r\n".utf8))
        #expect(RedisCommandEncoder.encode(["X", ""]) == Array("*2\r\n$1\r\nX\r\n$0\r\n\r\n".utf8))
        #expect(RedisCommandEncoder.encode(["é"]) == Array("*1\r\n$2\r\né\r\n".utf8), "lengths count bytes, not characters")
        // What the encoder writes, a RESP reader reads back as the same strings.
        var parser = RedisReplyParser()
        let args = ["SUBSCRIBE", "chat:room:1", "with\r\nCRLF", ""]
        #expect(try parser.feed(RedisCommandEncoder.encode(args)) == [.array(args.map { .string($0) })])
    }
}

