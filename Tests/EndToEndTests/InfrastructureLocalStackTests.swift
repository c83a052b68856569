import Foundation
import Testing
import TestSupport

/// deploy/local (what `make run` / `make stop` call) against a data folder and ports of its
/// own, with stand-in services (deploy/local/testing/fake-service.py) until ChatAPI and
/// ChatRelay serve /actuator/health.
@Suite(.serialized)
struct InfrastructureLocalStackTests {
    struct LocalStack {
        let directory: URL
        let ports: [String: Int]
        var environment: [String: String] {
            var env = ProcessInfo.processInfo.environment
            let fake = Repository.path("deploy/local/testing/fake-service.py")
            env["LOCAL_RUN_DIR"] = directory.path   // pids/ in a fixture folder: leftovers get cleaned
            env["LOCAL_API_BIN"] = fake
            env["LOCAL_RELAY_BIN"] = fake
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

        let stop = try stack.script("stop.sh")
        #expect(stop.status == 0, "stop.sh failed: \(stop.stderr)")
        for (pid, marker) in processes {
            #expect(!FixtureDirectories.processCarries(pid, marker: marker), "pid \(pid) (\(marker)) survived stop.sh")
        }
        #expect(try stack.recorded().isEmpty)
        for (name, port) in stack.ports { #expect(!FreePort.isListening(port), "\(name) still listens on \(port)") }
    }

    @Test func portAlreadyInUseStopsStartUpWithAMessageNamingIt() throws {
        let stack = try LocalStack()
        defer { _ = try? stack.script("stop.sh") }
        let taken = stack.ports["redis"]!
        let squatter = try ServiceProcess.start(
            executable: URL(fileURLWithPath: Repository.path("deploy/local/testing/fake-service.py")),
            environment: ["CHAT_API_PORT": String(taken)], port: taken)
        defer { squatter.stop() }
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
