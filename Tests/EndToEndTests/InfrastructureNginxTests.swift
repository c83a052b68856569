import Foundation
import Shared
import Testing
import TestSupport

/// nginx from deploy/nginx in front of the real services: two ChatAPI and two ChatRelay
/// (.build/debug) on the shared MariaDB + Redis stack. `X-Upstream` (added by the local and test
/// configs only) names the instance that answered.
@Suite(.serialized)
struct InfrastructureNginxTests {
    /// The four services, started once for the suite; each test puts an nginx of its own in front.
    final class Upstreams: Sendable {
        let api: [ServiceProcess]
        let relay: [ServiceProcess]
        let keys: JWTKeySet

        static let shared = Task<Upstreams, any Error> { try Upstreams(stack: try await Fixtures.shared()) }

        init(stack: Stack) throws {
            let dir = try FixtureDirectories.make("nginx-upstreams")
            var base = stack.environment
            base["CHAT_EVENT_LOOPS"] = "1"
            base["CHAT_LOG_LEVEL"] = "info"
            api = try (0..<2).map { index in
                let port = FreePort.next()
                var env = base
                env["CHAT_API_PORT"] = String(port)
                return try ServiceProcess.start(executable: ServiceProcess.executable("ChatAPI"), environment: env,
                                                port: port, name: "api\(index)", in: dir)
            }
            relay = try (0..<2).map { index in
                let port = FreePort.next()
                var env = base
                env["CHAT_RELAY_PORT"] = String(port)
                env["CHAT_RELAY_REDIS_WORKERS"] = "1"
                return try ServiceProcess.start(executable: ServiceProcess.executable("ChatRelay"), environment: env,
                                                port: port, name: "relay\(index)", in: dir)
            }
            keys = try JWTKeySet(secret: stack.jwtSecret)
        }

        var apiAddresses: Set<String> { Set(api.map { "127.0.0.1:\($0.port)" }) }
        var relayAddresses: Set<String> { Set(relay.map { "127.0.0.1:\($0.port)" }) }
        func token(for user: Int64) -> String { keys.sign(AccessClaims(userId: user, sessionId: "nginx-test-\(user)")) }
    }

    static func front() async throws -> (Upstreams, NginxFixture) {
        let upstreams = try await Upstreams.shared.value
        let nginx = try NginxFixture.start(apiPorts: upstreams.api.map(\.port), relayPorts: upstreams.relay.map(\.port))
        return (upstreams, nginx)
    }

    @Test func apiRequestsAreSpreadOverEveryChatAPIInstance() async throws {
        let (upstreams, nginx) = try await Self.front()
        defer { nginx.stop() }
        var seen: Set<String> = []
        for _ in 0..<8 {
            let health = try HTTPProbe.get(port: nginx.port, path: "/actuator/health")
            #expect(health.status == 200, "ChatAPI health through nginx: \(health.body)")
            #expect(health.body.contains("\"dbReplica\""), "ChatAPI's own health document: \(health.body)")
            seen.insert(health.headers["x-upstream"] ?? "none")
        }
        let me = try HTTPProbe.get(port: nginx.port, path: "/api/v1/users/me")
        #expect(me.status == 401)   // ChatAPI's answer without a token
        seen.insert(me.headers["x-upstream"] ?? "none")
        #expect(seen == upstreams.apiAddresses)
    }

    @Test func webSocketClientsStickToOneRelayAndDifferentClientsReachEveryRelay() async throws {
        let (upstreams, nginx) = try await Self.front()
        defer { nginx.stop() }
        var open: [WebSocketProbe] = []
        defer { open.forEach { $0.close() } }
        var bySource: [String: String] = [:]
        for n in 1...24 {
            let source = "127.0.0.\(n)"
            let ws = try WebSocketProbe(port: nginx.port, path: "/ws?token=\(upstreams.token(for: Int64(n)))",
                                        sourceAddress: source)
            #expect(ws.status == 101, "upgrade through nginx from \(source)")
            let welcome = try JSONSerialization.jsonObject(with: Data(try ws.receiveText().utf8)) as? [String: Any]
            #expect(welcome?["type"] as? String == "welcome")
            #expect((welcome?["userId"] as? NSNumber)?.int64Value == Int64(n))
            open.append(ws)
            let relay = ws.headers["x-upstream"] ?? "none"
            let again = try HTTPProbe.get(port: nginx.port, path: "/relay/actuator/health", sourceAddress: source)
            #expect(again.status == 200)
            #expect(again.headers["x-upstream"] == relay, "client \(source) must stay on one relay")
            let polling = try HTTPProbe.get(port: nginx.port, path: "/socket.io/?EIO=4&transport=polling", sourceAddress: source)
            #expect(polling.headers["x-upstream"] == relay, "/socket.io/ is sticky the same way")
            bySource[source] = relay
        }
        #expect(Set(bySource.values) == upstreams.relayAddresses)
        // Each relay holds the WebSockets nginx gave it, as its own metrics say.
        for relay in upstreams.relay {
            let expected = bySource.values.filter { $0 == "127.0.0.1:\(relay.port)" }.count
            let metrics = try HTTPProbe.get(port: relay.port, path: "/actuator/prometheus").body
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("chat_relay_open_connections ") }
            #expect(Int(line?.split(separator: " ").last ?? "") == expected, "relay :\(relay.port): \(line ?? "no gauge")")
        }
    }

    @Test func requestIdIsPassedThroughOrGeneratedAndForwardedForIsSet() async throws {
        let (_, nginx) = try await Self.front()
        defer { nginx.stop() }
        let given = try HTTPProbe.get(port: nginx.port, path: "/api/v1/users/me", headers: ["X-Request-Id": "given-123"])
        #expect(given.headers["x-request-id"] == "given-123", "ChatAPI answers with the id nginx passed on")
        let generated = try HTTPProbe.get(port: nginx.port, path: "/api/v1/users/me")
        let made = generated.headers["x-request-id"] ?? ""
        #expect(made.count == 32 && made.allSatisfy(\.isHexDigit), "nginx's $request_id: \(made)")
        let log = try String(contentsOf: nginx.accessLogURL, encoding: .utf8)
        #expect(log.contains("rid=given-123") && log.contains("rid=\(made)"))
        // Every proxied location passes the client address on (ChatAPI reads the last hop).
        for file in ["chat-locations.conf", "chat-actuator.conf"] {
            let text = try String(contentsOfFile: Repository.path("deploy/nginx/\(file)"), encoding: .utf8)
            let proxied = text.components(separatedBy: "proxy_pass ").count - 1
            let forwarded = text.components(separatedBy: "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;").count - 1
            #expect(proxied > 0 && forwarded == proxied, "\(file): \(forwarded) of \(proxied) locations set X-Forwarded-For")
        }
    }

    @Test func accessLogNeverRecordsTheRelayQueryString() async throws {
        let (_, nginx) = try await Self.front()
        defer { nginx.stop() }
        let refused = try WebSocketProbe(port: nginx.port, path: "/ws?token=secret-token-abc")
        #expect(refused.status == 401)   // the relay refuses a bad token before the upgrade
        _ = try HTTPProbe.get(port: nginx.port, path: "/socket.io/?EIO=4&transport=websocket&token=secret-token-def")
        _ = try HTTPProbe.get(port: nginx.port, path: "/api/v1/rooms?limit=5")
        nginx.stop()   // flushes the log
        let log = try String(contentsOf: nginx.accessLogURL, encoding: .utf8)
        #expect(log.contains("GET /ws HTTP/1.1\" 401"))
        #expect(log.contains("GET /socket.io/ HTTP/1.1"))
        #expect(!log.contains("secret-token"))
        #expect(log.contains("/api/v1/rooms?limit=5"))   // API queries stay useful
    }

    @Test func committedLocalConfigIsTheTemplateRenderedWithDefaultPorts() throws {
        let rendered = try Command.check(Repository.path("deploy/nginx/render.sh"), [
            "--listen", "127.0.0.1:8080", "--api", "127.0.0.1:8081,127.0.0.1:8082",
            "--relay", "127.0.0.1:8091,127.0.0.1:8092"])
        let committed = try String(contentsOfFile: Repository.path("deploy/nginx/local/nginx.conf"), encoding: .utf8)
        #expect(rendered == committed, "run deploy/nginx/render.sh again (see deploy/nginx/README.md)")
        for directive in ["hash $remote_addr consistent", "proxy_read_timeout 75s", "keepalive_timeout 60s",
                          "worker_rlimit_nofile 20000", "worker_connections 19000", "$request_id"] {
            #expect(committed.contains(directive), "nginx config lacks \(directive)")
        }
    }

    @Test func productionConfigPassesNginxCheckWithTheSharedRoutes() throws {
        let dir = try FixtureDirectories.make("nginx-production")
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        try Command.check("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=chat.example.com",
                                      "-days", "1", "-keyout", key, "-out", cert])
        let nginxDir = Repository.path("deploy/nginx")
        let (http, https) = (FreePort.next(), FreePort.next())
        // Point the absolute production paths into the temporary folder and this checkout.
        var site = try String(contentsOfFile: "\(nginxDir)/production/chat.conf", encoding: .utf8)
        site = site.replacingOccurrences(of: "/etc/nginx/chat/", with: "\(nginxDir)/")
            .replacingOccurrences(of: "/etc/letsencrypt/live/chat.example.com/fullchain.pem", with: cert)
            .replacingOccurrences(of: "/etc/letsencrypt/live/chat.example.com/privkey.pem", with: key)
            .replacingOccurrences(of: "/var/log/nginx/", with: dir.path + "/")
            .replacingOccurrences(of: "listen 80;", with: "listen 127.0.0.1:\(http);")
            .replacingOccurrences(of: "listen [::]:80;", with: "")
            .replacingOccurrences(of: "listen 443 ssl", with: "listen 127.0.0.1:\(https) ssl")
            .replacingOccurrences(of: "listen [::]:443 ssl http2;", with: "")
        try site.write(toFile: dir.appendingPathComponent("chat.conf").path, atomically: true, encoding: .utf8)
        var main = try String(contentsOfFile: "\(nginxDir)/production/nginx.conf", encoding: .utf8)
        main = main.replacingOccurrences(of: "/etc/nginx/conf.d/*.conf", with: dir.appendingPathComponent("chat.conf").path)
            .replacingOccurrences(of: "/var/log/nginx/", with: dir.path + "/")
            .replacingOccurrences(of: "/run/nginx.pid", with: dir.appendingPathComponent("nginx.pid").path)
            .replacingOccurrences(of: "user www-data;", with: "")
            .replacingOccurrences(of: "include /etc/nginx/mime.types;", with: "")
        main = main.replacingOccurrences(of: "http {", with: """
            http {
                client_body_temp_path \(dir.path)/body; proxy_temp_path \(dir.path)/proxy;
                fastcgi_temp_path \(dir.path)/fastcgi; uwsgi_temp_path \(dir.path)/uwsgi; scgi_temp_path \(dir.path)/scgi;
            """)
        try main.write(toFile: dir.appendingPathComponent("nginx.conf").path, atomically: true, encoding: .utf8)
        let check = try Command.run("nginx", ["-t", "-p", dir.path + "/", "-c", dir.appendingPathComponent("nginx.conf").path])
        #expect(check.status == 0, "nginx -t: \(check.stderr)")
        #expect(site.contains("include \(nginxDir)/chat-locations.conf;"))
        #expect(!site.contains("add_header X-Upstream"))
    }
}
