import Foundation
import Testing
import TestSupport

/// docker/docker-compose.yml cannot run here (no Docker engine), so it is read and held to the
/// local stack: same services, ports, variables, nginx config and MariaDB set-up.
@Suite struct InfrastructureComposeTests {
    /// The local stack's defaults, read from deploy/local/lib.sh (`NAME=${LOCAL_X:-default}`).
    static func localDefault(_ name: String) throws -> String {
        let lib = try String(contentsOfFile: Repository.path("deploy/local/lib.sh"), encoding: .utf8)
        for line in lib.split(separator: "\n") where line.hasPrefix("\(name)=${") {
            guard let start = line.range(of: ":-"), let end = line.lastIndex(of: "}") else { break }
            return String(line[start.upperBound..<end])
        }
        throw YAMLSubsetError(description: "deploy/local/lib.sh has no default for \(name)")
    }

    /// The CHAT_* variables deploy/local/start-services.sh exports to every service.
    static func localVariables() throws -> Set<String> {
        let script = try String(contentsOfFile: Repository.path("deploy/local/start-services.sh"), encoding: .utf8)
        return Set(script.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("export CHAT_"), let eq = line.firstIndex(of: "=") else { return nil }
            return String(line.dropFirst("export ".count)[..<eq])
        })
    }

    static func compose() throws -> YAMLValue {
        try YAMLSubsetParser.parse(String(contentsOfFile: Repository.path("docker/docker-compose.yml"), encoding: .utf8))
    }

    static func publishedPorts(_ service: YAMLValue?) -> [Int] {
        (service?["ports"]?.items ?? []).compactMap { $0.string?.split(separator: ":").first.flatMap { Int($0) } }
    }

    @Test func composeNamesTheSameServicesAsTheLocalStack() throws {
        let apiPorts = try Self.localDefault("API_PORTS").split(separator: " ")
        let relayPorts = try Self.localDefault("RELAY_PORTS").split(separator: " ")
        var expected: Set<String> = ["mariadb-primary", "mariadb-replica", "redis", "nginx", "chat-migrate"]
        for i in 1...apiPorts.count { expected.insert("chat-api-\(i)") }
        for i in 1...relayPorts.count { expected.insert("chat-relay-\(i)") }
        #expect(Set(try Self.compose()["services"]?.keys ?? []) == expected)
    }

    @Test func composePublishesTheLocalStacksPorts() throws {
        let services = try Self.compose()["services"]
        #expect(Self.publishedPorts(services?["nginx"]) == [Int(try Self.localDefault("NGINX_PORT"))!])
        #expect(Self.publishedPorts(services?["mariadb-primary"]) == [Int(try Self.localDefault("DB_PRIMARY_PORT"))!])
        #expect(Self.publishedPorts(services?["mariadb-replica"]) == [Int(try Self.localDefault("DB_REPLICA_PORT"))!])
        #expect(Self.publishedPorts(services?["redis"]) == [Int(try Self.localDefault("REDIS_PORT"))!])
        for (kind, variable, defaults) in [("api", "CHAT_API_PORT", "API_PORTS"), ("relay", "CHAT_RELAY_PORT", "RELAY_PORTS")] {
            for (i, port) in try Self.localDefault(defaults).split(separator: " ").enumerated() {
                let service = services?["chat-\(kind)-\(i + 1)"]
                #expect(service?["environment"]?[variable]?.string == String(port))
                #expect(Self.publishedPorts(service) == [Int(port)!])
            }
        }
    }

    @Test func composeGivesEveryServiceTheLocalStacksVariables() throws {
        let local = try Self.localVariables()
        #expect(local.isSuperset(of: ["CHAT_DB_PRIMARY", "CHAT_DB_REPLICAS", "CHAT_DB_MIGRATE", "CHAT_REDIS_URL", "CHAT_JWT_SECRET"]))
        let services = try Self.compose()["services"]
        for name in services?.keys ?? [] where name.hasPrefix("chat-api-") || name.hasPrefix("chat-relay-") {
            let port = name.hasPrefix("chat-api-") ? "CHAT_API_PORT" : "CHAT_RELAY_PORT"
            let names = Set(services?[name]?["environment"]?.keys ?? [])
            #expect(names == local.union([port]), "\(name) differs from deploy/local/start-services.sh")
        }
    }

    @Test func composeNginxUsesTheTemplateRenderedForTheComposeNetwork() throws {
        let services = try Self.compose()["services"]
        let api = services?.keys.filter { $0.hasPrefix("chat-api-") }.sorted().map { name in
            "\(name):\(services?[name]?["environment"]?["CHAT_API_PORT"]?.string ?? "?")" } ?? []
        let relay = services?.keys.filter { $0.hasPrefix("chat-relay-") }.sorted().map { name in
            "\(name):\(services?[name]?["environment"]?["CHAT_RELAY_PORT"]?.string ?? "?")" } ?? []
        let rendered = try Command.check(Repository.path("deploy/nginx/render.sh"), [
            "--listen", "0.0.0.0:8080", "--api", api.joined(separator: ","), "--relay", relay.joined(separator: ","),
            "--access-log", "/dev/stdout", "--error-log", "stderr"])
        let committed = try String(contentsOfFile: Repository.path("docker/nginx/nginx.conf"), encoding: .utf8)
        #expect(rendered == committed, "re-render docker/nginx/nginx.conf (deploy/nginx/README.md)")
        let volumes = services?["nginx"]?["volumes"]?.items.compactMap(\.string) ?? []
        #expect(volumes.contains("./nginx/nginx.conf:/etc/nginx/chat/nginx.conf:ro"))
    }

    @Test func composeMariaDBUsesTheSameOptionFilesAndSQLTemplates() throws {
        let services = try Self.compose()["services"]
        for role in ["primary", "replica"] {
            let volumes = services?["mariadb-\(role)"]?["volumes"]?.items.compactMap(\.string) ?? []
            #expect(volumes.contains("../deploy/mariadb/\(role).cnf:/etc/mysql/conf.d/chat.cnf:ro"))
            let template = role == "primary" ? "users.sql.template" : "replica.sql.template"
            #expect(volumes.contains("../deploy/mariadb/\(template):/chat/\(template):ro"))
            let script = try String(contentsOfFile: Repository.path("docker/mariadb/\(role)-init.sh"), encoding: .utf8)
            #expect(script.contains("/chat/\(template)"))
        }
        #expect(services?["redis"]?["command"]?.items.compactMap(\.string).contains("--appendonly") == true)
    }

    @Test func dockerfilesBuildWithSwiftAndRunOnSlimDebian() throws {
        for (file, product) in [("Dockerfile.api", "ChatAPI"), ("Dockerfile.relay", "ChatRelay")] {
            let text = try String(contentsOfFile: Repository.path("docker/\(file)"), encoding: .utf8)
            #expect(text.contains("ARG SWIFT_IMAGE=swift:6."))
            #expect(text.contains("AS build"))
            #expect(text.contains("FROM debian:bookworm-slim"))
            #expect(text.contains("libmariadb3 libhiredis0.14 libssl3"))
            #expect(text.contains("--product \(product)"))
            #expect(text.contains("ENTRYPOINT [\"/usr/local/bin/\(product)\"]"))
        }
    }

    @Test func yamlSubsetParserReadsBlocksQuotesAndFlowListsAndRefusesTheRest() throws {
        let value = try YAMLSubsetParser.parse("""
            a: 1   # comment
            b:
              - "x: y"
              - k: v
                l: w
            c: ["p", 'q', r]
            d: {}
            """)
        #expect(value["a"]?.string == "1")
        #expect(value["b"]?.items.first?.string == "x: y")
        #expect(value["b"]?.items.last?["l"]?.string == "w")
        #expect(value["c"]?.items.compactMap(\.string) == ["p", "q", "r"])
        #expect(value["d"] == .map([]))
        #expect(throws: YAMLSubsetError.self) { try YAMLSubsetParser.parse("a: &anchor 1") }
        #expect(throws: YAMLSubsetError.self) { try YAMLSubsetParser.parse("a: 1\na: 2") }
    }
}
