import Foundation
import Testing
import Shared
@testable import ChatRelay

@Suite struct RelayConfigurationTests {
    static let secret = String(repeating: "s", count: 32)

    @Test func defaultsServeTheLocalStack() throws {
        let config = try RelayConfiguration(environment: Environment(["CHAT_JWT_SECRET": Self.secret]))
        #expect(config.service.host == "127.0.0.1" && config.service.relayPort == 8091)
        #expect(config.service.redisURL.host == "127.0.0.1" && config.service.redisURL.port == 6379)
        #expect(config.sendQueueBytes == 1 << 20 && config.redisWorkers == 4)
        #expect(config.maxHeldPolls == 10_000)
        _ = try config.keySet()
    }

    @Test func readsTheRelaysOwnVariablesAndNamedKeys() throws {
        let config = try RelayConfiguration(environment: Environment([
            "CHAT_JWT_KEYS": "a:\(Self.secret),b:\(Self.secret)", "CHAT_RELAY_SEND_QUEUE_BYTES": "65536",
            "CHAT_RELAY_REDIS_WORKERS": "2", "CHAT_REDIS_URL": "redis://cache.local:7000",
            "CHAT_RELAY_MAX_HELD_POLLS": "500",
        ]))
        #expect(config.sendQueueBytes == 65536 && config.redisWorkers == 2)
        #expect(config.maxHeldPolls == 500)
        #expect(config.service.redisURL.port == 7000)
        #expect(try config.keySet().signingKeyId == "a")
    }

    @Test(arguments: [
        ([:], "CHAT_JWT_SECRET"),
        (["CHAT_JWT_SECRET": "s", "CHAT_RELAY_SEND_QUEUE_BYTES": "lots"], "CHAT_RELAY_SEND_QUEUE_BYTES"),
        (["CHAT_JWT_SECRET": "s", "CHAT_RELAY_REDIS_WORKERS": "0"], "CHAT_RELAY_REDIS_WORKERS"),
        (["CHAT_JWT_SECRET": "s", "CHAT_RELAY_MAX_HELD_POLLS": "-1"], "CHAT_RELAY_MAX_HELD_POLLS"),
        (["CHAT_JWT_SECRET": "s", "CHAT_RELAY_PORT": "http"], "CHAT_RELAY_PORT"),
    ])
    func aBadValueStopsStartUpNamingTheVariable(_ env: [String: String], _ name: String) {
        do {
            _ = try RelayConfiguration(environment: Environment(env))
            Issue.record("accepted \(env)")
        } catch {
            #expect(error.description.contains(name))
        }
    }

    @Test func aShortSecretIsRefusedNamingTheVariableNotTheSecret() throws {
        let config = try RelayConfiguration(environment: Environment(["CHAT_JWT_SECRET": "short-secret"]))
        do {
            _ = try config.keySet()
            Issue.record("a short secret was accepted")
        } catch {
            #expect(error.description.contains("CHAT_JWT_SECRET"))
            #expect(!error.description.contains("short-secret"))
        }
    }

    @Test func helpListsTheRelaysVariables() {
        for name in ["CHAT_RELAY_PORT", "CHAT_REDIS_URL", "CHAT_JWT_SECRET", "CHAT_RELAY_SEND_QUEUE_BYTES", "CHAT_RELAY_MAX_HELD_POLLS", "/actuator/health"] {
            #expect(RelayConfiguration.help.contains(name), "\(name)")
        }
    }

    @Test func tokensComeFromTheBearerHeaderOrTheQuery() {
        #expect(WebSocketEndpoint.token(authorization: "Bearer abc", query: [:]) == "abc")
        #expect(WebSocketEndpoint.token(authorization: "bearer  abc ", query: ["token": "q"]) == "abc")
        #expect(WebSocketEndpoint.token(authorization: nil, query: ["token": "q"]) == "q")
        #expect(WebSocketEndpoint.token(authorization: "Basic xyz", query: ["token": "q"]) == "q")  // a proxy's header
        #expect(WebSocketEndpoint.token(authorization: "Basic xyz", query: [:]) == nil)
        #expect(WebSocketEndpoint.token(authorization: nil, query: ["token": ""]) == nil)
        #expect(WebSocketEndpoint.token(authorization: nil, query: [:]) == nil)
    }

    @Test func tokenExpiryBecomesAMonotonicDeadline() {
        #expect(RelayConnection.monotonicDeadline(exp: 1_000, now: 5_000, wallNow: 990) == 15_000)
        #expect(RelayConnection.monotonicDeadline(exp: 1_000, now: 5_000, wallNow: 2_000) == 5_000)
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1_764_583_200.123)) == "2025-12-01T10:00:00.123Z")
    }
}
