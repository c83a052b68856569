import Foundation
import Testing
import TestSupport

/// ChatAPI refuses to start on bad configuration, naming what is wrong.
@Suite struct ChatAPIStartupTests {
    private func run(_ environment: [String: String], _ arguments: [String] = []) throws -> Command.Output {
        var base = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CHAT_") }
        base.merge(environment) { $1 }
        return try Command.run(ServiceProcess.executable("ChatAPI").path, arguments, environment: base)
    }

    @Test func helpListsEveryVariable() throws {
        let help = try run([:], ["--help"])
        #expect(help.status == 0)
        for name in ["CHAT_HOST", "CHAT_API_PORT", "CHAT_EVENT_LOOPS", "CHAT_DB_PRIMARY", "CHAT_DB_REPLICAS",
                     "CHAT_DB_MIGRATE", "CHAT_DB_MAX_REPLICA_LAG", "CHAT_HTTP_MAX_BODY", "CHAT_TRUSTED_PROXIES",
                     "CHAT_JWT_SECRET", "CHAT_JWT_KEYS", "CHAT_REDIS_URL", "CHAT_LOG_LEVEL"] {
            #expect(help.stdout.contains(name), "\(name)")
        }
    }

    @Test(arguments: [
        (["CHAT_JWT_SECRET": String(repeating: "s", count: 40)], "CHAT_DB_PRIMARY"),
        (["CHAT_DB_PRIMARY": "mysql://u:p@127.0.0.1:1/chat"], "CHAT_JWT_SECRET"),
        (["CHAT_DB_PRIMARY": "postgres://u@h/db", "CHAT_JWT_SECRET": String(repeating: "s", count: 40)], "CHAT_DB_PRIMARY"),
        (["CHAT_DB_PRIMARY": "mysql://u:p@127.0.0.1:1/chat", "CHAT_JWT_SECRET": "short"], "CHAT_JWT_SECRET"),
        (["CHAT_DB_PRIMARY": "mysql://u:p@127.0.0.1:1/chat", "CHAT_JWT_SECRET": String(repeating: "s", count: 40),
          "CHAT_API_PORT": "70000"], "CHAT_API_PORT"),
        (["CHAT_DB_PRIMARY": "mysql://u:p@127.0.0.1:1/chat", "CHAT_JWT_SECRET": String(repeating: "s", count: 40),
          "CHAT_DB_MAX_REPLICA_LAG": "soon"], "CHAT_DB_MAX_REPLICA_LAG"),
    ])
    func aMissingOrMalformedValueStopsStartUpNamingIt(environment: [String: String], named: String) throws {
        let output = try run(environment)
        #expect(output.status != 0)
        #expect(output.stderr.contains(named), "\(output.stderr)")
    }

    @Test func aPortHeldByAnotherProcessStopsStartUpNamingIt() async throws {
        let stack = try await Fixtures.shared()
        let holder = try await APIStack.shared().apis[0].port
        var environment = stack.environment
        environment["CHAT_API_PORT"] = String(holder)
        let output = try run(environment)
        #expect(output.status != 0)
        #expect(output.stderr.contains(":\(holder)"), "\(output.stderr)")
    }
}
