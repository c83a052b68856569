import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport
@testable import Shared

@Suite struct RedisClientTests {
    @Test func commandsRoundTripEveryReplyTypeBinarySafely() throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let client = RedisClient(url: server.url)
        let tricky = "line\r\nbreak \u{0} nul, spaces and ünïcödé"
        #expect(try client.command(["SET", "k", tricky]) == .status("OK"))
        #expect(try client.command(["GET", "k"]) == .string(tricky))
        #expect(try client.command(["GET", "missing"]) == .null)
        #expect(try client.command(["SET", "empty", ""]) == .status("OK"))
        #expect(try client.command(["GET", "empty"]) == .string(""))
        #expect(try client.command(["INCRBY", "n", "41"]) == .integer(41))
        #expect(try client.command(["RPUSH", "l", "a", "b"]) == .integer(2))
        #expect(try client.command(["LRANGE", "l", "0", "-1"]) == .array([.string("a"), .string("b")]))
        #expect(try client.command(["EXISTS", "k", "nope"]) == .integer(1))
        guard case .error(let message) = try client.command(["INCR", "k"]) else {
            Issue.record("INCR on a string must answer an error reply")
            return
        }
        #expect(message.hasPrefix("ERR"))
        #expect(throws: RedisError.self) { try client.command(["INCR", "k"]).checked() }
        #expect(try client.command(bytes: [Array("SET".utf8), Array("bin".utf8), [0xFF, 0x00, 0x0D, 0x0A]]) == .status("OK"))
        #expect(try client.command(["STRLEN", "bin"]) == .integer(4))
        #expect(client.connectCount == 1)
    }

    @Test func pipelineAnswersInOrder() throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let client = RedisClient(url: server.url)
        let replies = try client.pipeline([["SET", "a", "1"], ["INCR", "a"], ["GET", "a"], ["XADD", "s", "5-1", "event", "{}"]])
        #expect(replies == [.status("OK"), .integer(2), .string("2"), .string("5-1")])
    }

    @Test func reconnectsAfterTheServerDropsTheConnection() throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let client = RedisClient(url: server.url)
        #expect(try client.command(["CLIENT", "SETNAME", "victim"]) == .status("OK"))
        let killer = RedisClient(url: server.url)
        #expect(try killer.command(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]).integer ?? 0 >= 1)
        // The call that meets the dead socket cannot know whether Redis ran it, so it throws…
        #expect {
            try client.command(["PING"])
        } throws: { error in
            (error as? RedisError)?.kind == .io
        }
        #expect(!client.isConnected)
        // …and the next one reconnects.
        #expect(try client.command(["PING"]) == .status("PONG"))
        #expect(client.connectCount == 2)
    }

    @Test func connectingToAClosedPortFailsWithTheAddress() throws {
        let port = try RedisTestServer.freePort()
        let client = RedisClient(url: RedisURL(host: "127.0.0.1", port: port), connectTimeout: 0.5)
        #expect {
            try client.command(["PING"])
        } throws: { error in
            let error = error as! RedisError
            return error.kind == .connect && error.message.contains("127.0.0.1:\(port)")
        }
    }

    @Test func commandsTimeOutInsteadOfHangingForever() throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let client = RedisClient(url: server.url, commandTimeout: 0.3)
        let started = Date()
        #expect(throws: RedisError.self) { try client.command(["BLPOP", "never", "5"]) }
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(try client.command(["PING"]) == .status("PONG"))
    }

    @Test func selectsTheDatabaseAndAuthenticatesFromTheURL() throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let admin = RedisClient(url: server.url)
        _ = try admin.command(["SET", "where", "db0"])
        let db3 = RedisClient(url: RedisURL(host: "127.0.0.1", port: server.port, database: 3))
        #expect(try db3.command(["GET", "where"]) == .null)
        #expect(try admin.command(["CONFIG", "SET", "requirepass", "s3cret"]) == .status("OK"))
        let authed = RedisClient(url: RedisURL(host: "127.0.0.1", port: server.port, password: "s3cret"))
        #expect(try authed.command(["GET", "where"]) == .string("db0"))
        let wrong = RedisClient(url: RedisURL(host: "127.0.0.1", port: server.port, password: "nope"))
        #expect(throws: RedisError.self) { try wrong.command(["PING"]) }
    }

    @Test func scriptsRunBySHAAndSurviveAScriptFlush() throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let client = RedisClient(url: server.url)
        let script = RedisScript("redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])")
        #expect(script.sha1.count == 40)
        // Not loaded yet: EVALSHA answers NOSCRIPT and the helper falls back to EVAL.
        #expect(try client.evaluate(script, keys: ["k", "n"], arguments: ["v"]) == .integer(1))
        #expect(try client.command(["SCRIPT", "EXISTS", script.sha1]) == .array([.integer(1)]))
        #expect(try client.evaluate(script, keys: ["k", "n"], arguments: ["v"]) == .integer(2))
        #expect(try client.command(["SCRIPT", "FLUSH"]) == .status("OK"))
        #expect(try client.evaluate(script, keys: ["k", "n"], arguments: ["v"]) == .integer(3))
        try client.load(script)
        #expect(RedisScript("return 1").sha1 == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
    }

    @Test func poolLendsEachClientToOneThreadAndStaysBounded() throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let pool = RedisPool(url: server.url, size: 3)
        let inUse = Atomic<Int>(0)
        let maxInUse = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<50 {
                try! pool.with { client in
                    let now = inUse.add(1, ordering: .relaxed).newValue
                    maxInUse.max(now, ordering: .relaxed)
                    _ = try client.command(["INCR", "counter"])
                    inUse.subtract(1, ordering: .relaxed)
                }
            }
        }
        #expect(try pool.with { try $0.command(["GET", "counter"]) } == .string("400"))
        #expect(pool.createdClients <= 3)
        #expect(maxInUse.load(ordering: .relaxed) <= 3)
        #expect(pool.ping())
    }

    @Test func anExhaustedPoolTimesOutWithAClearError() throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let pool = RedisPool(url: server.url, size: 1, acquireTimeout: 0.2)
        try pool.with { _ in
            #expect {
                try pool.with { try $0.command(["PING"]) }
            } throws: { error in
                (error as? RedisError)?.kind == .poolTimeout
            }
        }
        server.stop()
        #expect(!pool.ping(), "health turns false when Redis is gone")
    }

    @Test func parserDecodesALiveSubscriptionOverARawSocket() throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let fd = try RawSocket.connect(port: server.port)
        defer { Glibc.close(fd) }
        try RawSocket.send(fd, RedisCommandEncoder.encode(["SUBSCRIBE", "chat:room:1"]))
        var parser = RedisReplyParser()
        var replies = try RawSocket.read(fd, into: &parser, until: 1)
        #expect(replies == [.array([.string("subscribe"), .string("chat:room:1"), .integer(1)])])
        let publisher = RedisClient(url: server.url)
        let payload = String(repeating: "x", count: 200_000)
        #expect(try publisher.command(["PUBLISH", "chat:room:1", payload]) == .integer(1))
        try RawSocket.send(fd, RedisCommandEncoder.encode(["PING"]))
        replies = try RawSocket.read(fd, into: &parser, until: 2)
        #expect(replies == [.array([.string("message"), .string("chat:room:1"), .string(payload)]),
                            .array([.string("pong"), .string("")])])
    }
}

/// Minimal blocking socket helpers standing in for the relay's event-loop socket.
enum RawSocket {
    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let result = Loopback.connect(fd, port: port)
        guard fd >= 0, result == 0 else { throw RedisError(.connect, "connect to \(port) failed") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func send(_ fd: Int32, _ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw RedisError(.io, "short send") }
    }

    static func read(_ fd: Int32, into parser: inout RedisReplyParser, until count: Int) throws -> [RedisReply] {
        var replies: [RedisReply] = []
        var buffer = [UInt8](repeating: 0, count: 4096)  // small on purpose: replies arrive in pieces
        while replies.count < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw RedisError(.io, "recv returned \(n)") }
            replies += try parser.feed(Array(buffer[0..<n]))
        }
        return replies
    }
}
