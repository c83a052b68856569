import Foundation
import Testing
import Shared
@testable import ChatRelay

/// The relay end to end over real sockets: HTTP upgrade, loops, subscriber driver, fan-out,
/// resume, with `MemoryRedis` in place of Redis.
@Suite(.serialized) struct RelayNetworkTests {
    static func ids(_ texts: [String], type: String = "message.created") -> [String] {
        texts.compactMap { json($0) }.filter { $0["type"] as? String == type }.compactMap { $0["id"] as? String }
    }

    @Test func aMemberIsWelcomedWithItsRoomsAndPositionsThenGetsEachEventOnce() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        relay.redis.setRooms(7, [12, 31])
        let before = relay.redis.add(.room(12), type: "message.created")
        let (client, welcome) = try relay.connect(user: 7)
        #expect(welcome["userId"] as? Int == 7)
        #expect((welcome["rooms"] as? [Int]) == [12, 31])
        let positions = welcome["positions"] as? [String: String]
        #expect(positions?["room:12"] == before.description)
        #expect(positions?["room:31"] == "0-0")
        #expect(positions?["user:7"] == "0-0")
        let (outsider, _) = try relay.connect(user: 8)  // in no room
        let sent = (0..<5).map { _ in relay.redis.add(.room(12), type: "message.created").description }
        let got = try client.receiveTexts { json($0)?["id"] as? String == sent.last }
        #expect(Self.ids(got) == sent)
        #expect(try client.receiveText(timeout: 0.2) == nil)  // nothing twice
        #expect(try outsider.receiveText(timeout: 0.2) == nil)
        #expect(json(got[0])?["data"] as? [String: Any] != nil)
    }

    @Test func upgradesWithoutAGoodTokenAreRefusedWith401() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        relay.redis.revoke("gone")
        let cases: [[String: String]] = [
            [:],
            ["Authorization": "Bearer not.a.jwt"],
            ["Authorization": "Bearer \(relay.token(user: 7, lifetime: -120))"],
            ["Authorization": "Bearer \(relay.token(user: 7, sid: "gone"))"],
            ["Authorization": "Bearer \(try JWTKeySet(secret: String(repeating: "x", count: 32)).sign(AccessClaims(userId: 7, sessionId: "s")))"],
        ]
        for headers in cases {
            let (status, head, _) = try TestWebSocketClient.connect(port: relay.port, headers: headers)
            #expect(status == 401, "\(headers)")
            #expect(head.lowercased().contains("www-authenticate: bearer"), "\(head)")
        }
        let (status, _, client) = try TestWebSocketClient.connect(port: relay.port, target: "/ws?token=\(relay.token(user: 9))")
        #expect(status == 101)
        #expect(try client.receiveText().flatMap(json)?["type"] as? String == "welcome")
    }

    @Test func roomJoinedAndLeftOnTheUserChannelMoveTheConnectionLive() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        let (client, _) = try relay.connect(user: 7)
        let joined = relay.redis.add(.user(7), type: "room.joined", roomId: 40, data: #"{"id":40,"type":"group"}"#)
        let first = try client.receiveText().flatMap(json)
        #expect(first?["type"] as? String == "room.joined" && first?["id"] as? String == joined.description)
        try waitUntil { relay.redis.subscribedChannels.contains(.room(40)) }
        let message = relay.redis.add(.room(40), type: "message.created")
        let got = try client.receiveTexts { json($0)?["id"] as? String == message.description }
        #expect(Self.ids(got) == [message.description])
        _ = relay.redis.add(.user(7), type: "room.left", roomId: 40)
        #expect(try client.receiveText().flatMap(json)?["type"] as? String == "room.left")
        try waitUntil { !relay.redis.subscribedChannels.contains(.room(40)) }  // its last member left
        _ = relay.redis.add(.room(40), type: "message.created")
        #expect(try client.receiveText(timeout: 0.2) == nil)
    }

    @Test func resumeReplaysTheGapMarkedReplayedThenSaysResumed() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        relay.redis.setRooms(7, [12])
        let seen = relay.redis.add(.room(12), type: "message.created")
        let missed = (0..<3).map { _ in relay.redis.add(.room(12), type: "message.created").description }
        let (client, welcome) = try relay.connect(user: 7)
        #expect((welcome["positions"] as? [String: String])?["room:12"] == missed.last)
        try client.send(text: #"{"type":"resume","since":{"room:12":"\#(seen)","user:7":"0-0"}}"#)
        let got = try client.receiveTexts { json($0)?["type"] as? String == "resumed" && json($0)?["channel"] as? String == "room:12" }
        let replayed = got.compactMap(json).filter { $0["replayed"] as? Bool == true }
        #expect(replayed.compactMap { $0["id"] as? String } == missed)
        #expect(json(got.last!)?["complete"] as? Bool == true)
        #expect(got.compactMap(json).contains { $0["type"] as? String == "resumed" && $0["channel"] as? String == "user:7" && $0["complete"] as? Bool == true })
    }

    @Test func resumePastATrimmedLogSaysCompleteFalse() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        relay.redis.setRooms(7, [12])
        let old = relay.redis.add(.room(12), type: "message.created")
        for _ in 0..<5 { relay.redis.add(.room(12), type: "message.created") }
        relay.redis.trim(.room(12), keepingLast: 2)
        let (client, _) = try relay.connect(user: 7)
        try client.send(text: #"{"type":"resume","since":{"room:12":"\#(old)"}}"#)
        let got = try client.receiveTexts { json($0)?["type"] as? String == "resumed" }
        #expect(got.compactMap(json).filter { $0["replayed"] as? Bool == true }.count == 2)
        #expect(json(got.last!)?["complete"] as? Bool == false)
    }

    @Test func aRedisOutageIsBackfilledSoConnectedClientsMissNothing() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        relay.redis.setRooms(7, [12])
        let (client, _) = try relay.connect(user: 7)
        var sent = [relay.redis.add(.room(12), type: "message.created").description]
        relay.redis.takeDown()
        try waitUntil { !relay.hub.stats.redisConnected.load(ordering: .relaxed) }
        // Logged by ChatAPI's retrying publisher while the relay's link is down.
        sent += (0..<4).map { _ in relay.redis.add(.room(12), type: "message.created").description }
        relay.redis.bringUp()
        try waitUntil { relay.redis.subscribedChannels.contains(.room(12)) }
        sent.append(relay.redis.add(.room(12), type: "message.created").description)
        let got = try client.receiveTexts { json($0)?["id"] as? String == sent.last }
        #expect(Self.ids(got) == sent)
        #expect(try client.receiveText(timeout: 0.2) == nil)
        #expect(relay.hub.stats.redisReconnects.current >= 1)
    }

    @Test func userDeletedAndSessionRevokedCloseWithTheirCodes() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        let (a, _) = try relay.connect(user: 7, sid: "one")
        let (b, _) = try relay.connect(user: 7, sid: "two")
        relay.redis.add(.user(7), type: "session.revoked", data: #"{"sid":"one"}"#)
        #expect(try a.receiveClose() == 4002)
        #expect(try b.receiveText().flatMap(json)?["type"] as? String == "session.revoked")
        relay.redis.add(.user(7), type: "user.deleted")
        #expect(try b.receiveClose() == 4003)
    }

    @Test func typingIsPublishedForMembersAndRefusedOtherwise() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        relay.redis.setRooms(7, [12])
        relay.redis.setRooms(8, [12])
        let (typist, _) = try relay.connect(user: 7)
        let (listener, _) = try relay.connect(user: 8)
        try typist.send(text: #"{"type":"typing","roomId":12}"#)
        let heard = try listener.receiveText().flatMap(json)
        #expect(heard?["type"] as? String == "typing" && heard?["id"] == nil)
        #expect((heard?["data"] as? [String: Any])?["userId"] as? Int == 7)
        try typist.send(text: #"{"type":"typing","roomId":99}"#)
        let refused = try typist.receiveTexts { json($0)?["type"] as? String == "error" }.last.flatMap(json)
        #expect(refused?["code"] as? String == "not_member")
        try typist.send(text: #"{"type":"ping"}"#)
        #expect(try typist.receiveTexts { json($0)?["type"] as? String == "pong" }.isEmpty == false)
        try typist.send(text: "nonsense")
        #expect(try typist.receiveTexts { json($0)?["type"] as? String == "error" }.last.flatMap(json)?["code"] as? String == "malformed_json")
    }

    @Test func theSeventeenthConnectionOfAUserClosesTheOldestWith1008() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        var clients: [TestWebSocketClient] = []
        for _ in 0..<16 { clients.append(try relay.connect(user: 7).0) }
        let (newest, _) = try relay.connect(user: 7)
        #expect(try clients[0].receiveClose() == 1008)
        relay.redis.add(.user(7), type: "friend.added")
        #expect(try newest.receiveText().flatMap(json)?["type"] as? String == "friend.added")
        #expect(try clients[1].receiveText().flatMap(json)?["type"] as? String == "friend.added")
    }

    @Test func aClientThatNeverReadsIsClosedWhileOthersKeepReceiving() throws {
        var options = RelayOptions()
        options.sendQueueCap = 64 * 1024
        let relay = try RelayHarness(options: options)
        defer { relay.stop() }
        relay.redis.setRooms(7, [12])
        relay.redis.setRooms(8, [12])
        let (stuck, _) = try relay.connect(user: 7, receiveBuffer: 4096)
        let (reader, _) = try relay.connect(user: 8)
        let big = "{\"body\":\"" + String(repeating: "x", count: 8_000) + "\"}"
        var last = ""
        for _ in 0..<400 {
            last = relay.redis.add(.room(12), type: "message.created", data: big).description
            _ = try reader.receiveText()
        }
        #expect(relay.hub.stats.slowConsumersClosed.current == 1)
        #expect(try reader.receiveText(timeout: 0.2) == nil)
        _ = last
        // Reading on, the stuck client gets what had reached it, then the reason: its backlog
        // was dropped, so the close frame is not stuck behind it.
        #expect(try stuck.receiveClose() == 1008)
    }

    @Test func aBurstPastTheCapWithinOneLoopTurnDoesNotCutAReader() throws {
        var options = RelayOptions()
        options.sendQueueCap = 64 * 1024
        let relay = try RelayHarness(loops: 1, options: options)
        defer { relay.stop() }
        relay.redis.setRooms(7, [12])
        let position = relay.redis.add(.room(12), type: "message.created")
        let (client, _) = try relay.connect(user: 7)
        let hub = relay.hub.loops[0]
        let big = "{\"body\":\"" + String(repeating: "x", count: 16_000) + "\"}"
        // 160 kB queued in one turn, all written by that turn's flush: not a slow reader.
        hub.loop.execute {
            for n in 1...10 {
                let event = EventEnvelope(id: StreamID(milliseconds: position.milliseconds + UInt64(n), sequence: 0),
                                          channel: .room(12), type: "message.created", roomId: 12,
                                          occurredAt: "2026-12-01T10:00:00.000Z", dataJSON: big)
                hub.deliver(event, frame: WebSocketFrameEncoder.text(event.json()))
            }
        }
        for _ in 1...10 { #expect(try client.receiveText() != nil) }
        #expect(relay.hub.stats.slowConsumersClosed.current == 0)
    }

    @Test func drainClosesEveryConnectionWith1001AndHealthFollowsRedis() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        let (client, _) = try relay.connect(user: 7)
        let (status, head, health) = try TestWebSocketClient.connect(port: relay.port, target: "/actuator/health", headers: [:])
        #expect(status == 200, "\(head)")
        #expect(try health.readBody(head: head).contains(#""status":"UP""#))
        relay.redis.takeDown()
        try waitUntil { !relay.hub.stats.redisConnected.load(ordering: .relaxed) }
        let (down, _, _) = try TestWebSocketClient.connect(port: relay.port, target: "/actuator/health", headers: [:])
        #expect(down == 503)
        relay.hub.drain()
        #expect(try client.receiveClose() == 1001)
    }

    @Test func protocolViolationsCloseWithTheRightCodeAndTheRelayCarriesOn() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        let tooBig = WebSocketFrameEncoder.frame(.text, payload: [UInt8](repeating: 0x61, count: 70_000), masked: true)
        let unmasked = WebSocketFrameEncoder.frame(.text, payload: Array("{}".utf8), masked: false)
        let badUTF8 = WebSocketFrameEncoder.frame(.text, payload: [0xC3, 0x28], masked: true)
        let unknownOpcode: [UInt8] = [0x83, 0x80, 1, 2, 3, 4]
        for (bytes, code) in [(tooBig, UInt16(1009)), (unmasked, 1002), (badUTF8, 1007), (unknownOpcode, 1002)] {
            let (client, _) = try relay.connect(user: 7)
            try client.write(bytes)
            #expect(try client.receiveClose() == code)
        }
        try waitUntil { relay.hub.stats.openConnectionCount == 0 }
        let (client, _) = try relay.connect(user: 7)
        try client.send(text: #"{"type":"ping"}"#)
        #expect(try client.receiveText().flatMap(json)?["type"] as? String == "pong")
    }

    @Test func aConnectionArrivingDuringDrainIsClosedWith1001AndLeavesNothingBehind() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        relay.hub.drain()
        usleep(50_000)
        let (status, _, client) = try TestWebSocketClient.connect(
            port: relay.port, headers: ["Authorization": "Bearer \(relay.token(user: 7))"])
        #expect(status == 101)
        #expect(try client.receiveClose() == 1001)
        #expect(relay.redis.subscribedChannels.isEmpty)
        #expect(relay.hub.stats.openConnectionCount == 0)
    }
}
