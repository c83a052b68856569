import Foundation
import Glibc
import Testing
import TestSupport

/// deploy/local (what `make run` / `make stop` call) against a data folder and ports of its
/// own, with the debug builds of ChatAPI and ChatRelay (`make run` uses the release ones).
@Suite(.serialized)
struct InfrastructureLocalStackTests {
    struct LocalStack {
        let directory: URL
        let ports: [String: Int]
        var environment: [String: String] {
            var env = ProcessInfo.processInfo.environment
            env["LOCAL_RUN_DIR"] = directory.path   // pids/ in a fixture folder: leftovers get cleaned
            env["LOCAL_API_BIN"] = ServiceProcess.executable("ChatAPI").path
            env["LOCAL_RELAY_BIN"] = ServiceProcess.executable("ChatRelay").path
            env["LOCAL_NGINX_PORT"] = String(ports["nginx"]!)
            env["LOCAL_API_PORTS"] = "\(ports["api1"]!) \(ports["api2"]!)"
            env["LOCAL_RELAY_PORTS"] = "\(ports["relay1"]!) \(ports["relay2"]!)"
            env["LOCAL_DB_PRIMARY_PORT"] = String(ports["primary"]!)
            env["LOCAL_DB_REPLICA_PORT"] = String(ports["replica"]!)
            env["LOCAL_REDIS_PORT"] = String(ports["redis"]!)
            return env
        }
        init() throws {
            directory = try FixtureDirectories.make("local-stack")
            var ports: [String: Int] = [:]
            for name in ["nginx", "api1", "api2", "relay1", "relay2", "primary", "replica", "redis"] {
                ports[name] = FreePort.next()
            }
            self.ports = ports
        }
        func script(_ name: String, extra: [String: String] = [:]) throws -> Command.Output {
            try Command.run(Repository.path("deploy/local/\(name)"), [],
                            environment: environment.merging(extra) { _, new in new })
        }
        /// (pid, marker) of every pid file.
        func recorded() throws -> [(Int32, String)] {
            let dir = directory.appendingPathComponent("pids")
            return try FileManager.default.contentsOfDirectory(atPath: dir.path).map { file in
                let line = try String(contentsOfFile: dir.appendingPathComponent(file).path, encoding: .utf8)
                let parts = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 1)
                return (Int32(parts[0])!, String(parts[1]))
            }
        }
    }

    @Test func localStackStartsFromNothingAndStopLeavesNoProcessBehind() throws {
        let stack = try LocalStack()
        defer { _ = try? stack.script("stop.sh") }
        let started = Date()
        let run = try stack.script("run.sh")
        print("[InfrastructureLocalStackTests] run.sh ready in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        #expect(run.status == 0, "run.sh failed: \(run.stderr)\n\(run.stdout)")
        #expect(run.stdout.contains("The chat stack is up"))
        #expect(run.stdout.contains("replication running"))
        #expect(run.stdout.contains("schema up to date"))
        // The demo's conversation: sign-ups, logins, /users/me, welcomes, the published event.
        #expect(run.stdout.contains("GET  /api/v1/users/me -> 200"))
        #expect(run.stdout.contains("\"type\":\"welcome\""))
        #expect(run.stdout.contains("-> 1 relay(s) subscribed"))
        #expect(run.stdout.contains("bob   received: {\"v\":1,\"id\":"))
        #expect(run.stdout.contains("\"type\":\"friend.added\""))

        let processes = try stack.recorded()
        #expect(processes.count == 8)   // 2 MariaDB, Redis, nginx, 2 + 2 services
        for (pid, marker) in processes {
            #expect(FixtureDirectories.processCarries(pid, marker: marker), "pid \(pid) (\(marker)) is not running")
        }
        // The demo saw every instance through nginx; and so do we.
        let apiSeen = try Set((0..<4).map { _ in
            try HTTPProbe.get(port: stack.ports["nginx"]!, path: "/actuator/health").headers["x-upstream"] ?? ""
        })
        #expect(apiSeen == ["127.0.0.1:\(stack.ports["api1"]!)", "127.0.0.1:\(stack.ports["api2"]!)"])
        #expect(run.stdout.contains("ChatRelay 127.0.0.1:\(stack.ports["relay1"]!)"))
        #expect(run.stdout.contains("ChatRelay 127.0.0.1:\(stack.ports["relay2"]!)"))

        let nginxMaster = try #require(processes.first { $0.1.hasSuffix("nginx/nginx.conf") }?.0)
        let workers = ProcessTable.members(ofGroup: nginxMaster).filter { $0.pid != nginxMaster }
        #expect(workers.count == 2)

        let stop = try stack.script("stop.sh")
        #expect(stop.status == 0, "stop.sh failed: \(stop.stderr)")
        for (pid, marker) in processes {
            #expect(!FixtureDirectories.processCarries(pid, marker: marker), "pid \(pid) (\(marker)) survived stop.sh")
        }
        #expect(try stack.recorded().isEmpty)
        #expect(workers.allSatisfy { ProcessTable.entry($0.pid)?.group != nginxMaster }, "nginx workers survived stop.sh")
        for (name, port) in stack.ports { #expect(!FreePort.isListening(port), "\(name) still listens on \(port)") }
    }

    @Test func stopThatHasToKillNginxKillsItsWorkersToo() throws {
        let stack = try LocalStack()
        let nginx = try NginxFixture.start(apiPorts: [FreePort.next()], relayPorts: [FreePort.next()], in: stack.directory)
        let master = try #require(nginx.pid)
        let workers = nginx.workers
        #expect(workers.count == 2)
        // Recorded as start-infra.sh records nginx (Foundation made it a group leader, as setsid does).
        try FileManager.default.createDirectory(at: stack.directory.appendingPathComponent("pids"), withIntermediateDirectories: true)
        try "\(master) \(nginx.configURL.path)\n".write(to: stack.directory.appendingPathComponent("pids/nginx.pid"),
                                                     atomically: true, encoding: .utf8)
        // A hung master: SIGSTOPped, it cannot act on SIGTERM, so stop.sh has to SIGKILL it.
        kill(master, SIGSTOP)
        let stop = try stack.script("stop.sh", extra: ["LOCAL_STOP_TIMEOUT": "1"])
        #expect(stop.stdout.contains("did not stop, killing it"), "\(stop.stdout)")
        #expect(nginx.waitForExit(timeout: 5))
        usleep(100_000)
        let alive = workers.filter { ProcessTable.entry($0.pid)?.group == master }
        #expect(alive.isEmpty, "workers outlived their SIGKILLed master: \(alive)")
    }

    @Test func portAlreadyInUseStopsStartUpWithAMessageNamingIt() throws {
        let stack = try LocalStack()
        defer { _ = try? stack.script("stop.sh") }
        let taken = stack.ports["redis"]!
        // Someone else's listener on the Redis port.
        let squatter = ManagedProcess(name: "squatter", executable: "python3", arguments: ["-c", """
            import socket, time
            s = socket.socket(); s.bind(("127.0.0.1", \(taken))); s.listen(); time.sleep(300)
            """], directory: try FixtureDirectories.make("squatter"), marker: "s.bind((\"127.0.0.1\", \(taken)))")
        try squatter.start()
        defer { squatter.stop() }
        let deadline = Date().addingTimeInterval(10)
        while !FreePort.isListening(taken), Date() < deadline { usleep(20_000) }
        let run = try stack.script("run.sh")
        #expect(run.status != 0)
        #expect(run.stderr.contains("port \(taken) is already in use"))
        #expect(squatter.isRunning, "stop-on-failure must not touch a process it did not start")
        let left = (try? stack.recorded()) ?? []
        #expect(left.allSatisfy { !FixtureDirectories.processCarries($0.0, marker: $0.1) })
    }

    @Test func servicesThatNeverBecomeHealthyFailStartUpAndAreStopped() throws {
        let stack = try LocalStack()
        defer { _ = try? stack.script("stop.sh") }
        // /bin/true exits at once: "exited before it was ready", and run.sh cleans up.
        let run = try stack.script("run.sh", extra: ["LOCAL_API_BIN": "/bin/true"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("chat-api-1 exited before it was ready"))
        let left = (try? stack.recorded()) ?? []
        #expect(left.allSatisfy { !FixtureDirectories.processCarries($0.0, marker: $0.1) })
        for (name, port) in stack.ports { #expect(!FreePort.isListening(port), "\(name) still listens on \(port)") }
    }
}
