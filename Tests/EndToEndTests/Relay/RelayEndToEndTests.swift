import Foundation
import Testing
import TestSupport

/// ChatRelay through the real network path: the built binary (two instances) behind nginx, on
/// a real Redis, events published with ChatAPI's Lua script, and Python `websockets` clients
/// (clients/*.py). Serialized: tests read the relays' gauges, which other tests would move.
@Suite(.serialized)
struct RelayEndToEndTests {
    /// Loopback client addresses of one test: nginx hashes them onto the relays.
    static func sources(_ count: Int, block: Int) -> [String] {
        (1...count).map { "127.0.\(block).\($0)" }
    }

    @Test func badExpiredForgedOrRevokedTokensAreRefusedWith401BeforeTheUpgrade() async throws {
        let stack = try await RelayStack.shared()
        let user = RelayIds.next()
        let good = stack.token(user: user)
        var forged = good.split(separator: ".").map(String.init)
        forged[2] = String(forged[2].reversed())
        let refused: [[String: Any]] = [
            ["name": "no token"],
            ["name": "not a JWT", "token": "not-a-token"],
            ["name": "wrong secret", "token": stack.token(user: user, secret: String(repeating: "w", count: 40))],
            ["name": "forged signature", "token": forged.joined(separator: ".")],
            ["name": "expired", "token": stack.token(user: user, lifetime: 900, issuedAgo: 1_000)],
            ["name": "alg none", "token": TestJWT.unsigned(["iss": "chat-api", "sub": String(user), "typ": "access",
                                                            "sid": "s", "iat": 0, "exp": 9_999_999_999, "jti": "j"])],
            ["name": "refresh typ", "token": stack.token(user: user, claims: ["typ": "refresh"])],
            ["name": "other issuer", "token": stack.token(user: user, claims: ["iss": "someone-else"])],
            ["name": "bad query token", "query": "garbage"],
        ]
        let revokedSid = "revoked-\(user)"
        var configuration = stack.baseConfiguration
        configuration["refused"] = refused
        configuration["good"] = good
        configuration["revoked"] = ["userId": user, "sid": revokedSid,
                                    "token": stack.token(user: user, sid: revokedSid)] as [String: Any]
        let result = try ClientScript.run("auth.py", configuration: configuration)

        let statuses = result["statuses"] as? [String: Int] ?? [:]
        #expect(statuses.count == refused.count)
        for case let name as String in refused.map({ $0["name"] }) {
            #expect(statuses[name] == 401, "\(name): \(statuses[name].map(String.init) ?? "no answer")")
        }
        let welcomes = result["welcomes"] as? [[String: Any]] ?? []
        #expect(welcomes.count == 2)
        #expect(welcomes.allSatisfy { ($0["userId"] as? NSNumber)?.int64Value == user })
        #expect(result["revokedBefore"] as? Int == 101)
        #expect(result["revokedAfter"] as? Int == 401)
        #expect(try stack.redis.command("EXISTS", "chat:revoked:sid:\(revokedSid)") == "1")
    }

    @Test func eachMemberOnEitherRelayGetsEveryRoomEventExactlyOnceInOrderAndNonMembersNone() async throws {
        let stack = try await RelayStack.shared()
        let room = RelayIds.next(), other = RelayIds.next()
        // Enough client addresses that both relays get members (checked below).
        let members = Self.sources(8, block: 10).map { source -> [String: Any] in
            let user = RelayIds.next()
            return ["userId": user, "token": stack.token(user: user), "source": source]
        }
        let outsiders = Self.sources(2, block: 11).map { source -> [String: Any] in
            let user = RelayIds.next()
            return ["userId": user, "token": stack.token(user: user), "source": source]
        }
        var configuration = stack.baseConfiguration
        configuration["room"] = room
        configuration["otherRoom"] = other
        configuration["members"] = members
        configuration["outsiders"] = outsiders
        configuration["count"] = 60
        let result = try ClientScript.run("fanout.py", configuration: configuration)

        let published = result["published"] as? [String] ?? []
        #expect(published.count == 60)
        let placement = result["placement"] as? [String: [Int]] ?? [:]
        #expect(Set(placement.values.flatMap { $0 }) == [0, 1], "members on both relays: \(placement)")
        for member in result["members"] as? [[String: Any]] ?? [] {
            let welcome = member["welcome"] as? [String: Any]
            #expect((welcome?["rooms"] as? [NSNumber])?.map(\.int64Value) == [room])
            // Exactly once and in publish order: the received ids are the published ids.
            #expect(member["ids"] as? [String] == published, "\(member["name"] ?? "")")
        }
        let otherPublished = result["otherPublished"] as? [String] ?? []
        for outsider in result["outsiders"] as? [[String: Any]] ?? [] {
            #expect(outsider["ids"] as? [String] == otherPublished, "\(outsider["name"] ?? "") saw another room")
        }
    }

    @Test func relayMetricsAreTheKitsPrometheusTextThroughTheFrontDoor() async throws {
        let stack = try await RelayStack.shared()
        // nginx's /relay/actuator/ reaches one relay (sticky); each relay's own port, both.
        let front = try HTTPProbe.get(port: stack.nginx.port, path: "/relay/actuator/prometheus")
        #expect(front.status == 200)
        for relay in stack.relays {
            let response = try HTTPProbe.get(port: relay.port, path: "/actuator/prometheus")
            #expect(response.status == 200)
            #expect(response.headers.first { $0.key.lowercased() == "content-type" }?.value
                    == "text/plain; version=0.0.4; charset=utf-8")
            for (name, type) in [("chat_relay_open_connections", "gauge"), ("chat_relay_rooms_subscribed", "gauge"),
                                 ("chat_relay_events_received_total", "counter"), ("chat_relay_deliveries_total", "counter"),
                                 ("chat_relay_slow_consumers_closed_total", "counter"),
                                 ("chat_relay_redis_reconnects_total", "counter"),
                                 ("chat_relay_resume_replays_total", "counter"),
                                 ("http_requests_total", "counter"), ("http_request_duration_seconds", "histogram")] {
                #expect(response.body.contains("# TYPE \(name) \(type)\n"), "\(name) on :\(relay.port)")
            }
            #expect(response.body.contains("chat_relay_redis_up 1\n"))
        }
        #expect(front.body.contains("# TYPE chat_relay_open_connections gauge\n"))
    }

    @Test func roomJoinedAndLeftOnTheUserChannelMoveEveryLiveConnectionInAndOut() async throws {
        let stack = try await RelayStack.shared()
        let user = RelayIds.next(), room = RelayIds.next()
        var configuration = stack.baseConfiguration
        configuration["userId"] = user
        configuration["room"] = room
        configuration["token"] = stack.token(user: user)
        configuration["sources"] = Self.sources(2, block: 12)
        let result = try ClientScript.run("membership.py", configuration: configuration)

        let joined = result["joined"] as? String, left = result["left"] as? String
        let inside = result["inside"] as? [String] ?? []
        let sentinel = result["sentinel"] as? String
        let clients = result["clients"] as? [[String: Any]] ?? []
        #expect(clients.count == 2)
        for client in clients {
            let welcome = client["welcome"] as? [String: Any]
            #expect((welcome?["rooms"] as? [Any])?.isEmpty == true)
            // The user channel's events, then the room's while joined, nothing before or after.
            let ids = client["ids"] as? [String] ?? []
            #expect(ids == [joined].compactMap { $0 } + inside + [left, sentinel].compactMap { $0 },
                    "\(client["name"] ?? ""): \(ids)")
        }
        #expect(result["setAfterLeave"] as? [Int] == [])
    }

    @Test func typingCrossesRelaysUnloggedAndBadClientMessagesGetErrorsOnAnOpenConnection() async throws {
        let stack = try await RelayStack.shared()
        let outsider = RelayIds.next()
        var configuration = stack.baseConfiguration
        configuration["room"] = RelayIds.next()
        configuration["sender"] = RelayEndToEndTests.member("127.0.15.1", stack)
        configuration["listeners"] = Self.sources(8, block: 16).map { RelayEndToEndTests.member($0, stack) }
        configuration["outsider"] = ["userId": outsider, "token": stack.token(user: outsider),
                                     "freshToken": stack.token(user: outsider, sid: "fresh-\(outsider)"),
                                     "source": "127.0.15.2"] as [String: Any]
        let result = try ClientScript.run("messages.py", configuration: configuration)

        let senderRelay = result["senderRelay"] as? [Int] ?? []
        let placement = result["placement"] as? [String: [Int]] ?? [:]
        #expect(senderRelay.count == 1)
        #expect(placement.values.contains { $0 != senderRelay }, "a listener on the other relay: \(placement)")
        let senderId = (configuration["sender"] as? [String: Any])?["userId"] as? Int64
        for listener in result["listeners"] as? [[String: Any]] ?? [] {
            let typing = (listener["frames"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "typing" }
            #expect(typing.count == 1, "\(listener["name"] ?? "")")
            #expect(typing.first?["id"] == nil, "typing carries no id")
            #expect(((typing.first?["data"] as? [String: Any])?["userId"] as? NSNumber)?.int64Value == senderId)
        }
        #expect(result["loggedBefore"] as? Int == result["loggedAfter"] as? Int, "typing is never logged")
        let frames = (result["outsider"] as? [String: Any])?["frames"] as? [[String: Any]] ?? []
        let errors = frames.filter { $0["type"] as? String == "error" }.compactMap { $0["code"] as? String }
        #expect(errors.sorted() == ["invalid_token", "malformed_json", "not_member", "unknown_type"])
        #expect(frames.filter { $0["type"] as? String == "pong" }.count == 1)
        #expect((result["outsider"] as? [String: Any])?["closeCode"] is NSNull, "the connection stays open")
    }
}
