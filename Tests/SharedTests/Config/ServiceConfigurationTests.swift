import Testing
@testable import Shared

@Suite struct ServiceConfigurationTests {
    static let minimal = [
        "CHAT_DB_PRIMARY": "mysql://chat:pw@127.0.0.1:3306/chat",
        "CHAT_JWT_SECRET": "0123456789abcdef0123456789abcdef",
    ]

    func configError(_ vars: [String: String], _ service: ServiceConfiguration.Service = .api) -> ConfigError? {
        do {
            _ = try ServiceConfiguration(environment: Environment(vars), service: service)
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsServeTheLocalStack() throws {
        let config = try ServiceConfiguration(environment: Environment(Self.minimal), service: .api)
        #expect(config.host == "127.0.0.1")
        #expect(config.apiPort == 8081 && config.relayPort == 8091 && config.port == 8081)
        #expect(config.eventLoops >= 1)
        #expect(config.databasePrimary?.database == "chat")
        #expect(config.databaseMigrate == config.databasePrimary)
        #expect(config.databaseReplicas.isEmpty)
        #expect(config.maxReplicaLag == 2)
        #expect(config.httpMaxBody == 1_048_576)
        #expect(config.trustedProxies == CIDR.loopback)
        #expect(config.jwtSecret == Self.minimal["CHAT_JWT_SECRET"])
        #expect(config.jwtKeys.isEmpty)
        #expect(config.redisURL == RedisURL(host: "127.0.0.1", port: 6379))
        #expect(config.logLevel == .info)
    }

    @Test func everyVariableIsRead() throws {
        let vars = [
            "CHAT_HOST": "0.0.0.0", "CHAT_API_PORT": "9001", "CHAT_RELAY_PORT": "9002", "CHAT_EVENT_LOOPS": "3",
            "CHAT_DB_PRIMARY": "mysql://a:b@p:3306/chat",
            "CHAT_DB_REPLICAS": "mysql://r:b@r1:3306/chat, mysql://r:b@r2:3307/chat",
            "CHAT_DB_MIGRATE": "mysql://admin:x@p:3306/chat", "CHAT_DB_MAX_REPLICA_LAG": "0.5",
            "CHAT_HTTP_MAX_BODY": "4096", "CHAT_TRUSTED_PROXIES": "10.0.0.0/8,fd00::/8",
            "CHAT_JWT_KEYS": "k2:secret-two:with-colon,k1:secret-one", "CHAT_REDIS_URL": "redis://cache:6400/2",
            "CHAT_LOG_LEVEL": "debug",
        ]
        let config = try ServiceConfiguration(environment: Environment(vars), service: .relay)
        #expect(config.host == "0.0.0.0" && config.port == 9002 && config.apiPort == 9001 && config.eventLoops == 3)
        #expect(config.databaseReplicas.map(\.host) == ["r1", "r2"])
        #expect(config.databaseMigrate?.user == "admin")
        #expect(config.maxReplicaLag == 0.5 && config.httpMaxBody == 4096)
        #expect(config.trustedProxies.map(\.description) == ["10.0.0.0/8", "fd00::/8"])
        #expect(config.jwtSecret == nil)
        #expect(config.jwtKeys == [.init(kid: "k2", secret: "secret-two:with-colon"), .init(kid: "k1", secret: "secret-one")])
        #expect(config.redisURL == RedisURL(host: "cache", port: 6400, database: 2))
        #expect(config.logLevel == .debug)
    }

    @Test func badValuesStopStartUpNamingTheVariableAndValue() throws {
        let cases: [(String, String)] = [
            ("CHAT_API_PORT", "http"), ("CHAT_RELAY_PORT", "70000"), ("CHAT_EVENT_LOOPS", "0"),
            ("CHAT_DB_MAX_REPLICA_LAG", "-1"), ("CHAT_HTTP_MAX_BODY", "1MB"), ("CHAT_TRUSTED_PROXIES", "10.0.0.0/40"),
            ("CHAT_REDIS_URL", "localhost:6379"), ("CHAT_LOG_LEVEL", "verbose"), ("CHAT_DB_MIGRATE", "mysql://x"),
        ]
        for (name, value) in cases {
            let error = try #require(configError(Self.minimal.merging([name: value]) { $1 }), "\(name)")
            #expect(error.variable == name)
            #expect(error.description.hasPrefix("\(name)=\"\(value)\" is invalid: "), "\(error)")
        }
    }

    @Test func aBadReplicaNamesItsPositionWithoutItsPassword() throws {
        let vars = Self.minimal.merging(["CHAT_DB_REPLICAS": "mysql://r:pw1@r1/chat,mysql://r:topsecret@r2:x/chat"]) { $1 }
        let error = try #require(configError(vars))
        #expect(error.variable == "CHAT_DB_REPLICAS")
        #expect(error.description.contains("item 2"))
        #expect(!error.description.contains("topsecret"))
    }

    @Test func missingRequiredValuesAreNamed() throws {
        let noDatabase = try #require(configError(["CHAT_JWT_SECRET": "x"]))
        #expect(noDatabase.variable == "CHAT_DB_PRIMARY")
        #expect(noDatabase.description == "CHAT_DB_PRIMARY: is required (mysql://user:password@host:port/database)")
        #expect(configError(["CHAT_JWT_SECRET": "x"], .relay) == nil, "the relay needs no database")
        let noSecret = try #require(configError(["CHAT_DB_PRIMARY": Self.minimal["CHAT_DB_PRIMARY"]!]))
        #expect(noSecret.variable == "CHAT_JWT_SECRET")
        #expect(configError(Self.minimal.merging(["CHAT_DB_PRIMARY": ""]) { $1 })?.variable == "CHAT_DB_PRIMARY",
                "an empty value counts as unset")
    }

    @Test func jwtKeyListsAreValidatedWithoutLeakingSecrets() throws {
        let both = try #require(configError(Self.minimal.merging(["CHAT_JWT_KEYS": "a:b"]) { $1 }))
        #expect(both.reason.contains("not both"))
        for bad in ["nokidhunter", ":hunter2", "a:", "a:hunter1,a:hunter2", "a:hunter1,,b:hunter2"] {
            #expect {
                try ServiceConfiguration.parseJWTKeys(bad)
            } throws: { error in
                let error = error as! ConfigError
                return error.variable == "CHAT_JWT_KEYS" && !error.description.contains("hunter")
            }
        }
    }

    @Test func helpListsEachVariableWithDefaultAndMeaning() {
        let api = ServiceConfiguration.helpText(for: .api, usage: ["ChatAPI [migrate]"])
        #expect(api.hasPrefix("Usage: ChatAPI [migrate]\n\nEnvironment variables:\n"))
        for name in ["CHAT_HOST", "CHAT_API_PORT", "CHAT_EVENT_LOOPS", "CHAT_DB_PRIMARY", "CHAT_DB_REPLICAS", "CHAT_DB_MIGRATE",
                     "CHAT_DB_MAX_REPLICA_LAG", "CHAT_HTTP_MAX_BODY", "CHAT_TRUSTED_PROXIES", "CHAT_JWT_SECRET",
                     "CHAT_JWT_KEYS", "CHAT_REDIS_URL", "CHAT_LOG_LEVEL"] {
            #expect(api.contains("  \(name) "), "\(name)")
        }
        #expect(api.contains("(default: 8081)"))
        #expect(api.contains("(default: redis://127.0.0.1:6379)"))
        let relay = ServiceConfiguration.helpText(for: .relay, usage: ["ChatRelay"])
        #expect(relay.contains("CHAT_RELAY_PORT") && !relay.contains("CHAT_DB_PRIMARY") && !relay.contains("CHAT_API_PORT"))
    }

    @Test func environmentTypedGettersNameTheVariable() throws {
        let env = Environment(["N": "12", "B": "yes", "L": " a, ,b ", "X": "1.5", "BAD": "maybe"])
        #expect(try env.int("N", default: 0, range: 0...100) == 12)
        #expect(try env.int("MISSING", default: 7, range: 0...100) == 7)
        #expect(try env.bool("B", default: false))
        #expect(env.list("L") == ["a", "b"])
        #expect(try env.double("X", default: 0, range: 0...2) == 1.5)
        #expect(throws: ConfigError(variable: "BAD", value: "maybe", reason: "expected true or false")) {
            try env.bool("BAD", default: false)
        }
        #expect(throws: ConfigError(variable: "N", value: "12", reason: "expected a whole number in 0...10")) {
            try env.int("N", default: 0, range: 0...10)
        }
        #expect(throws: ConfigError.self) { try env.requiredString("MISSING", "a thing") }
    }
}
