import Foundation
import Testing
import TestSupport
import Shared
@testable import ChatRelay

@Suite struct RedisRepliesTests {
    @Test func pubSubPushesBecomeSubscriberReplies() {
        #expect(RedisReplies.subscriberReply(.array([.string("subscribe"), .string("chat:room:1"), .integer(1)])) == .subscribed(channel: "chat:room:1"))
        #expect(RedisReplies.subscriberReply(.array([.string("unsubscribe"), .null, .integer(0)])) == .unsubscribed(channel: ""))
        #expect(RedisReplies.subscriberReply(.array([.string("message"), .string("chat:room:1"), .string("{}")])) == .message(channel: "chat:room:1", payload: "{}"))
        #expect(RedisReplies.subscriberReply(.array([.string("pong"), .string("")])) == .pong)
        #expect(RedisReplies.subscriberReply(.status("PONG")) == .pong)
        #expect(RedisReplies.subscriberReply(.error("NOAUTH")) == .error("NOAUTH"))
        guard case .unexpected = RedisReplies.subscriberReply(.integer(3)) else { Issue.record("integer accepted"); return }
    }

    @Test func streamRangesBecomeLogEntries() throws {
        let reply = RedisReply.array([
            .array([.string("5-1"), .array([.string("event"), .string("{\"v\":1}")])]),
            .array([.string("6-0"), .array([.string("other"), .string("x"), .string("event"), .string("e")])]),
        ])
        #expect(try RedisReplies.logEntries(reply) == [LogEntry(id: StreamID("5-1")!, event: "{\"v\":1}"), LogEntry(id: StreamID("6-0")!, event: "e")])
        #expect(try RedisReplies.logEntries(.array([])) == [])
        #expect(throws: RedisError.self) { try RedisReplies.logEntries(.array([.string("5-1")])) }
        #expect(throws: RedisError.self) { try RedisReplies.logEntries(.error("WRONGTYPE")) }
    }
}

/// The relay process against a real redis-server: XADD + PUBLISH as ChatAPI's script does.
@Suite(.serialized, .enabled(if: RedisProcess.isAvailable)) struct RelayRedisTests {
    final class Stack {
        let redis: RedisProcess
        let server: RelayServer
        let client: RedisClient
        let keys: JWTKeySet

        init() throws {
            redis = try RedisProcess()
            let env = Environment(["CHAT_JWT_SECRET": RelayHarness.secret, "CHAT_REDIS_URL": redis.url,
                                   "CHAT_RELAY_PORT": String(FreePort.next()), "CHAT_EVENT_LOOPS": "2",
                                   "CHAT_RELAY_REDIS_WORKERS": "2", "CHAT_LOG_LEVEL": "error"])
            let configuration = try RelayConfiguration(environment: env)
            server = try RelayServer(configuration: configuration, logger: Logger(label: "test", level: .error))
            try server.start()
            client = RedisClient(url: try RedisURL(parsing: redis.url))
            keys = try configuration.keySet()
            try waitUntil { self.server.hub.stats.redisConnected.load(ordering: .relaxed) }
        }

        var port: Int { server.http.port }

        func stop() { server.stop() }

        /// ChatAPI's publish: log the envelope without id, publish it with the entry id.
        @discardableResult
        func publish(_ channel: ChannelName, type: String, data: String = "{}") throws -> String {
            var envelope = EventEnvelope(channel: channel, type: type, roomId: channel.roomId,
                                         occurredAt: "2026-12-01T10:00:00.000Z", dataJSON: data)
            let id = try client.command(["XADD", channel.redisLogKey, "*", "event", envelope.json()]).checked().string!
            envelope.id = StreamID(id)
            _ = try client.command(["PUBLISH", channel.redisChannel, envelope.json()]).checked()
            return id
        }

        func connect(user: Int64, sid: String = "s") throws -> (TestWebSocketClient, [String: Any]) {
            let token = keys.sign(AccessClaims(userId: user, sessionId: sid))
            let (status, head, ws) = try TestWebSocketClient.connect(port: port, headers: ["Authorization": "Bearer \(token)"])
            guard status == 101 else { throw TestWebSocketClient.Failure(description: head) }
            guard let welcome = try ws.receiveText().flatMap(json) else { throw TestWebSocketClient.Failure(description: "no welcome") }
            return (ws, welcome)
        }
    }

    @Test func membersGetLiveEventsAndResumeFromTheLog() throws {
        let stack = try Stack()
        defer { stack.stop() }
        _ = try stack.client.command(["SADD", RedisKeys.userRooms(7), "12"])
        let seen = try stack.publish(.room(12), type: "message.created")
        let missed = try (0..<3).map { _ in try stack.publish(.room(12), type: "message.created") }
        let (ws, welcome) = try stack.connect(user: 7)
        #expect((welcome["positions"] as? [String: String])?["room:12"] == missed.last)
        let live = try stack.publish(.room(12), type: "message.created")
        #expect(try ws.receiveText().flatMap(json)?["id"] as? String == live)
        try ws.send(text: #"{"type":"resume","since":{"room:12":"\#(seen)"}}"#)
        let got = try ws.receiveTexts { json($0)?["type"] as? String == "resumed" }.compactMap(json)
        #expect(got.filter { $0["replayed"] as? Bool == true }.compactMap { $0["id"] as? String } == missed)
        #expect(got.last?["complete"] as? Bool == true)
    }

    @Test func aRevokedSessionIsRefusedBeforeTheUpgrade() throws {
        let stack = try Stack()
        defer { stack.stop() }
        _ = try stack.client.command(["SET", RedisKeys.revokedSession("dead"), "1"])
        let token = stack.keys.sign(AccessClaims(userId: 7, sessionId: "dead"))
        let (status, _, _) = try TestWebSocketClient.connect(port: stack.port, headers: ["Authorization": "Bearer \(token)"])
        #expect(status == 401)
    }

    @Test func aRedisRestartIsBackfilledAndEveryEventArrivesOnce() throws {
        let stack = try Stack()
        defer { stack.stop() }
        _ = try stack.client.command(["SADD", RedisKeys.userRooms(7), "12"])
        let (ws, _) = try stack.connect(user: 7)
        var sent = [try stack.publish(.room(12), type: "message.created")]
        #expect(try ws.receiveText().flatMap(json)?["id"] as? String == sent[0])
        stack.redis.stop()
        try waitUntil { !stack.server.hub.stats.redisConnected.load(ordering: .relaxed) }
        try stack.redis.start()
        stack.client.close()
        // Published right after the restart, before or after the relay resubscribes.
        for _ in 0..<5 { sent.append(try stack.publish(.room(12), type: "message.created")) }
        try waitUntil(timeout: 10) { stack.server.hub.stats.redisConnected.load(ordering: .relaxed) }
        usleep(200_000)
        sent.append(try stack.publish(.room(12), type: "message.created"))
        let got = try ws.receiveTexts(timeout: 10) { json($0)?["id"] as? String == sent.last }
        #expect(got.compactMap { json($0)?["id"] as? String } == Array(sent.dropFirst()))
        #expect(try ws.receiveText(timeout: 0.3) == nil)
        #expect(stack.server.hub.stats.redisReconnects.current >= 1)
    }

    @Test func typingIsPublishedThroughRedisToOtherMembers() throws {
        let stack = try Stack()
        defer { stack.stop() }
        _ = try stack.client.command(["SADD", RedisKeys.userRooms(7), "12"])
        _ = try stack.client.command(["SADD", RedisKeys.userRooms(8), "12"])
        let (a, _) = try stack.connect(user: 7)
        let (b, _) = try stack.connect(user: 8)
        try a.send(text: #"{"type":"typing","roomId":12}"#)
        let heard = try b.receiveText().flatMap(json)
        #expect(heard?["type"] as? String == "typing")
        #expect(try stack.client.command(["XLEN", ChannelName.room(12).redisLogKey]).integer == 0)  // never logged
    }
}
