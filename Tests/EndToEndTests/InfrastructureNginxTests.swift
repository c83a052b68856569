import Foundation
import Testing
import TestSupport

/// nginx from deploy/nginx in front of stand-in upstreams (deploy/local/testing/fake-service.py,
/// until ChatAPI and ChatRelay serve health): each one answers with its own port.
@Suite(.serialized)
struct InfrastructureNginxTests {
    static let fake = URL(fileURLWithPath: Repository.path("deploy/local/testing/fake-service.py"))

    final class Front: Sendable {
        let api: [ServiceProcess]
        let relay: [ServiceProcess]
        let nginx: NginxFixture
        init() throws {
            let dir = try FixtureDirectories.make("nginx-test")
            api = try (0..<2).map { _ in
                let port = FreePort.next()
                return try ServiceProcess.start(executable: fake, environment: ["CHAT_API_PORT": String(port)], port: port, in: dir)
            }
            relay = try (0..<2).map { _ in
                let port = FreePort.next()
                return try ServiceProcess.start(executable: fake, environment: ["CHAT_RELAY_PORT": String(port)], port: port, in: dir)
            }
            nginx = try NginxFixture.start(apiPorts: api.map(\.port), relayPorts: relay.map(\.port), in: dir)
        }
        func stop() {
            nginx.stop()
            (api + relay).forEach { $0.stop() }
        }
        func answeringPort(_ path: String, from source: String? = nil, headers: [String: String] = [:]) throws -> Int {
            let response = try HTTPProbe.get(port: nginx.port, path: path, headers: headers, sourceAddress: source)
            #expect(response.status == 200)
            let body = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
            return body?["port"] as? Int ?? -1
        }
    }

    @Test func apiRequestsAreSpreadOverEveryChatAPIInstance() throws {
        let front = try Front()
        defer { front.stop() }
        var seen: [Int: Int] = [:]
        for _ in 0..<8 { seen[try front.answeringPort("/actuator/health"), default: 0] += 1 }
        seen[try front.answeringPort("/api/v1/users/me"), default: 0] += 1
        #expect(Set(seen.keys) == Set(front.api.map(\.port)))
    }

    @Test func relayClientsStickToOneInstanceAndDifferentClientsReachEveryInstance() throws {
        let front = try Front()
        defer { front.stop() }
        var bySource: [String: Int] = [:]
        for n in 1...24 {
            let source = "127.0.0.\(n)"
            let first = try front.answeringPort("/ws", from: source)
            let second = try front.answeringPort("/socket.io/?EIO=4&transport=polling", from: source)
            #expect(first == second, "client \(source) must stay on one relay")
            bySource[source] = first
        }
        #expect(Set(bySource.values) == Set(front.relay.map(\.port)))
    }

    @Test func requestIdIsPassedThroughOrGeneratedAndForwardedForIsSet() throws {
        let front = try Front()
        defer { front.stop() }
        let given = try HTTPProbe.get(port: front.nginx.port, path: "/api/v1/x", headers: ["X-Request-Id": "given-123"])
        let echoed = try JSONSerialization.jsonObject(with: Data(given.body.utf8)) as? [String: Any]
        #expect(echoed?["requestId"] as? String == "given-123")
        #expect(echoed?["forwardedFor"] as? String == "127.0.0.1")
        let generated = try HTTPProbe.get(port: front.nginx.port, path: "/api/v1/x")
        let made = try JSONSerialization.jsonObject(with: Data(generated.body.utf8)) as? [String: Any]
        #expect((made?["requestId"] as? String)?.count == 32)
    }

    @Test func accessLogNeverRecordsTheRelayQueryString() throws {
        let front = try Front()
        defer { front.stop() }
        _ = try front.answeringPort("/ws?token=secret-token-abc")
        _ = try front.answeringPort("/socket.io/?EIO=4&transport=websocket&token=secret-token-def")
        _ = try front.answeringPort("/api/v1/rooms?limit=5")
        front.nginx.stop()   // flushes the log
        let log = try String(contentsOf: front.nginx.accessLogURL, encoding: .utf8)
        #expect(log.contains("GET /ws HTTP/1.1"))
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
