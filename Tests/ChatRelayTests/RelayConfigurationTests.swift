import Foundation
import Testing
import Shared
@testable import ChatRelay

@Suite struct RelayConfigurationTests {
    static let secret = String(repeating: "s", count: 32)

    @Test func defaultsServeTheLocalStack() throws {
        let config = try RelayConfiguration(environment: ["CHAT_JWT_SECRET": Self.secret])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8091)
        #expect(config.redisHost == "127.0.0.1" && config.redisPort == 6379)
        #expect(config.eventLoops >= 1)
        _ = try config.keySet()
    }

    @Test func readsEveryVariable() throws {
        let config = try RelayConfiguration(environment: [
            "CHAT_JWT_KEYS": "a:\(Self.secret),b:\(Self.secret)", "CHAT_HOST": "0.0.0.0", "CHAT_RELAY_PORT": "9000",
            "CHAT_EVENT_LOOPS": "3", "CHAT_REDIS_URL": "redis://cache.local:7000/0", "CHAT_LOG_LEVEL": "DEBUG",
            "CHAT_RELAY_SEND_QUEUE_BYTES": "65536", "CHAT_RELAY_REDIS_WORKERS": "2",
        ])
        #expect(config.host == "0.0.0.0" && config.port == 9000 && config.eventLoops == 3)
        #expect(config.redisHost == "cache.local" && config.redisPort == 7000)
        #expect(config.logLevel == "debug" && config.sendQueueBytes == 65536 && config.redisWorkers == 2)
        #expect(try config.keySet().signingKeyId == "a")
    }

    @Test(arguments: [
        ([:], "CHAT_JWT_SECRET"),
        (["CHAT_JWT_SECRET": "s", "CHAT_RELAY_PORT": "http"], "CHAT_RELAY_PORT"),
        (["CHAT_JWT_SECRET": "s", "CHAT_RELAY_PORT": "70000"], "CHAT_RELAY_PORT"),
        (["CHAT_JWT_SECRET": "s", "CHAT_EVENT_LOOPS": "0"], "CHAT_EVENT_LOOPS"),
        (["CHAT_JWT_SECRET": "s", "CHAT_REDIS_URL": "http://x"], "CHAT_REDIS_URL"),
        (["CHAT_JWT_SECRET": "s", "CHAT_REDIS_URL": "redis://x:port"], "CHAT_REDIS_URL"),
        (["CHAT_JWT_SECRET": "s", "CHAT_LOG_LEVEL": "loud"], "CHAT_LOG_LEVEL"),
    ])
    func aBadValueStopsStartUpNamingTheVariable(_ env: [String: String], _ name: String) {
        do {
            _ = try RelayConfiguration(environment: env)
            Issue.record("accepted \(env)")
        } catch {
            #expect(error.description.contains(name))
        }
    }

    @Test func aShortSecretIsRefusedNamingTheVariable() throws {
        let config = try RelayConfiguration(environment: ["CHAT_JWT_SECRET": "short"])
        #expect(throws: RelayConfigurationError.self) { try config.keySet() }
        do { _ = try config.keySet() } catch { #expect(error.description.hasPrefix("CHAT_JWT_SECRET")) }
    }

    @Test func tokensComeFromTheBearerHeaderOrTheQuery() {
        #expect(WebSocketEndpoint.token(authorization: "Bearer abc", query: [:]) == "abc")
        #expect(WebSocketEndpoint.token(authorization: "bearer  abc ", query: ["token": "q"]) == "abc")
        #expect(WebSocketEndpoint.token(authorization: nil, query: ["token": "q"]) == "q")
        #expect(WebSocketEndpoint.token(authorization: "Basic xyz", query: ["token": "q"]) == nil)
        #expect(WebSocketEndpoint.token(authorization: nil, query: ["token": ""]) == nil)
        #expect(WebSocketEndpoint.token(authorization: nil, query: [:]) == nil)
    }

    @Test func tokenExpiryBecomesAMonotonicDeadline() {
        #expect(RelayConnection.monotonicDeadline(exp: 1_000, now: 5_000, wallNow: 990) == 15_000)
        #expect(RelayConnection.monotonicDeadline(exp: 1_000, now: 5_000, wallNow: 2_000) == 5_000)
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_764_583_200.123)) == "2025-12-01T10:00:00.123Z")
    }
}
