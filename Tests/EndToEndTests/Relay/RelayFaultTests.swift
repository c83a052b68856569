import Foundation
import Glibc
import Testing
import TestSupport

extension RelayEndToEndTests {
    static func member(_ source: String, _ stack: RelayStack) -> [String: Any] {
        let user = RelayIds.next()
        return ["userId": user, "token": stack.token(user: user), "source": source]
    }

    @Test func redisRestartedMidStreamIsBackfilledSoConnectedClientsGetEveryEventOnce() async throws {
        // Redis of its own (the shared one stays up for the other tests) and relays on it.
        let shared = try await Fixtures.shared()
        let redis = try RedisFixture.start()
        defer { redis.stop() }
        let stack = try RelayStack.start(redis: redis, jwtSecret: shared.jwtSecret, label: "restart")
        defer { stack.stop() }
        var configuration = stack.baseConfiguration
        configuration["room"] = RelayIds.next()
        configuration["members"] = Self.sources(6, block: 20).map { Self.member($0, stack) }
        let script = try ClientScript.start("restart.py", configuration: configuration)
        try script.waitForStep("streaming")
        redis.stop()
        try script.release("down")
        usleep(500_000)   // publishes wait in retries; the relays try and fail to reconnect
        for relay in stack.relays {
            #expect(try HTTPProbe.get(port: relay.port, path: "/actuator/health").status == 503)
        }
        try redis.start()
        try script.release("up")
        let result = try script.result(timeout: 40)

        let published = result["published"] as? [String] ?? []
        #expect(published.count == 120)
        #expect(Set(published).count == 120, "a retried publish never duplicates")
        for client in result["clients"] as? [[String: Any]] ?? [] {
            #expect(client["ids"] as? [String] == published, "\(client["name"] ?? "")")
            #expect(client["closeCode"] is NSNull || client["closeCode"] == nil, "stayed connected")
        }
        // Each relay reconnected once: the failed attempts while Redis was down are not counted.
        #expect(result["reconnects"] as? [Double] == [1, 1])
        print("[relay e2e] events backfilled from the logs after the restart, per relay: \(result["backfilled"] ?? "")")
        for relay in stack.relays {
            #expect(try HTTPProbe.get(port: relay.port, path: "/actuator/health").status == 200)
        }
    }

    @Test func aClientThatNeverReadsIsClosedWith1008WhileTheOthersKeepReceiving() async throws {
        let stack = try await RelayStack.shared()
        var configuration = stack.baseConfiguration
        configuration["room"] = RelayIds.next()
        configuration["stuck"] = Self.member("127.0.21.1", stack)
        configuration["readers"] = Self.sources(3, block: 22).map { Self.member($0, stack) }
        configuration["maxEvents"] = 4_000
        let result = try ClientScript.run("slow.py", configuration: configuration, timeout: 50)

        let published = result["published"] as? [String] ?? []
        print("[relay e2e] the stuck client was cut off after \(published.count) events of 16 kB")
        for reader in result["readers"] as? [[String: Any]] ?? [] {
            #expect(reader["ids"] as? [String] == published, "\(reader["name"] ?? "") missed events")
            #expect(reader["closeCode"] is NSNull, "\(reader["name"] ?? "") was closed")
        }
        // The stuck client got a prefix (no gap), then the reason: the relay dropped its backlog,
        // so the 1008 close frame followed what was already on the way.
        let stuck = result["stuckIds"] as? [String] ?? []
        #expect(stuck.count < published.count)
        #expect(stuck == Array(published.prefix(stuck.count)))
        #expect(result["stuckClose"] as? Int == 1008)
        let stuckUser = (result["stuckUserId"] as? NSNumber)?.int64Value
        let closes = stack.relayLogLines().filter {
            $0["msg"] as? String == "ws closed" && ($0["userId"] as? NSNumber)?.int64Value == stuckUser
        }
        #expect(closes.map { $0["code"] as? Int } == [1008], "the relay's close of the stuck client: \(closes)")
    }

    @Test func protocolViolationsFromRawSocketsGetTheirCloseCodesAndOthersAreServed() async throws {
        let stack = try await RelayStack.shared()
        let user = RelayIds.next()
        var configuration = stack.baseConfiguration
        configuration["userId"] = user
        configuration["token"] = stack.token(user: user)
        configuration["sources"] = Self.sources(4, block: 23)
        let result = try ClientScript.run("violations.py", configuration: configuration)

        let codes = result["codes"] as? [String: [Int]] ?? [:]
        #expect(codes["unmasked"] == [1002, 1002, 1002, 1002])
        #expect(codes["badUTF8"] == [1007, 1007, 1007, 1007])
        #expect(codes["oversized"] == [1009, 1009, 1009, 1009])
        #expect(codes["unknownOpcode"] == [1002, 1002, 1002, 1002])
        for bystander in result["bystanders"] as? [[String: Any]] ?? [] {
            #expect(bystander["ids"] as? [String] == [result["event"] as? String].compactMap { $0 })
            #expect(bystander["closeCode"] is NSNull)
        }
        #expect(result["freshWelcomed"] as? [Bool] == [true, true, true, true])
        for relay in stack.relays { #expect(relay.isRunning) }
    }

    @Test func sigtermClosesEveryClientWith1001AndTheRelaysExit() async throws {
        let shared = try await Fixtures.shared()
        let stack = try RelayStack.start(redis: shared.redis, jwtSecret: shared.jwtSecret, label: "sigterm")
        defer { stack.stop() }
        var configuration = stack.baseConfiguration
        configuration["clients"] = Self.sources(6, block: 24).map { Self.member($0, stack) }
        let script = try ClientScript.start("sigterm.py", configuration: configuration)
        try script.waitForStep("connected")
        let started = Date()
        let pids = stack.relays.compactMap(\.pid)
        #expect(pids.count == 2)
        for pid in pids { kill(pid, SIGTERM) }
        for relay in stack.relays { #expect(relay.process.waitForExit(timeout: 10), "\(relay.process.name) still running") }
        #expect(Date().timeIntervalSince(started) < 8, "drain is bounded")
        let result = try script.result()
        let clients = result["clients"] as? [[String: Any]] ?? []
        #expect(clients.count == 6)
        for client in clients {
            #expect(client["closeCode"] as? Int == 1001, "\(client["name"] ?? ""): \(client["closeCode"] ?? "")")
        }
    }
}
