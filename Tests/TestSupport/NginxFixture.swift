import Foundation

/// nginx rendered from deploy/nginx (render.sh: the template the local stack and Docker use)
/// with the given upstream ports, on a free loopback port in a temporary folder.
public final class NginxFixture: Sendable {
    public let directory: URL
    public let port: Int
    public let apiPorts: [Int]
    public let relayPorts: [Int]
    let server: ManagedProcess

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var configURL: URL { directory.appendingPathComponent("nginx/nginx.conf") }
    public var accessLogURL: URL { directory.appendingPathComponent("nginx/logs/access.log") }

    private init(directory: URL, apiPorts: [Int], relayPorts: [Int]) {
        self.directory = directory
        self.apiPorts = apiPorts
        self.relayPorts = relayPorts
        port = FreePort.next()
        let prefix = directory.appendingPathComponent("nginx").path
        server = ManagedProcess(name: "nginx", executable: "nginx",
                                arguments: ["-p", prefix + "/", "-c", prefix + "/nginx.conf", "-g", "daemon off;"],
                                directory: directory, marker: prefix + "/nginx.conf")
        // It runs in the fixture folder (ManagedProcess does that): its workers, whose titles
        // name no folder, are then still known by their working directory.
    }

    /// Renders the configuration, checks it with `nginx -t`, starts nginx and waits for its port.
    public static func start(apiPorts: [Int], relayPorts: [Int], in directory: URL? = nil) throws -> NginxFixture {
        guard !apiPorts.isEmpty, !relayPorts.isEmpty else {
            throw FixtureError("NginxFixture needs at least one API and one relay upstream port")
        }
        let fixture = NginxFixture(directory: try directory ?? FixtureDirectories.make("nginx"),
                                   apiPorts: apiPorts, relayPorts: relayPorts)
        try fixture.render()
        try fixture.start()
        return fixture
    }

    private func render() throws {
        let prefix = directory.appendingPathComponent("nginx")
        for sub in ["logs", "temp"] {
            try FileManager.default.createDirectory(at: prefix.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let config = try Command.check(Repository.path("deploy/nginx/render.sh"), [
            "--listen", "127.0.0.1:\(port)",
            "--api", apiPorts.map { "127.0.0.1:\($0)" }.joined(separator: ","),
            "--relay", relayPorts.map { "127.0.0.1:\($0)" }.joined(separator: ","),
        ])
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        try Command.check("nginx", ["-t", "-q", "-p", prefix.path + "/", "-c", configURL.path])
    }

    /// Starts nginx and waits until it listens and all its workers exist (the master listens
    /// before it forks them).
    public func start() throws {
        try server.start()
        let expected = workerProcesses
        let deadline = Date().addingTimeInterval(10)
        while !FreePort.isListening(port) || workers.count < expected {
            if !server.isRunning { throw FixtureError("nginx exited during start-up:\n\(server.logTail())") }
            if Date() > deadline {
                throw FixtureError("nginx not ready on \(port) after 10 s (\(workers.count) of \(expected) workers)")
            }
            usleep(20_000)
        }
    }

    /// `worker_processes` of the rendered configuration.
    public var workerProcesses: Int {
        let config = (try? String(contentsOf: configURL, encoding: .utf8)) ?? ""
        let line = config.split(separator: "\n").first { $0.hasPrefix("worker_processes ") }
        return Int(line?.dropFirst("worker_processes ".count).prefix { $0.isNumber } ?? "") ?? 1
    }

    /// SIGTERM: the master stops its workers, then exits (the access log is flushed).
    public func stop() { server.stop() }
    /// SIGKILL to the master and its workers, as a crash of the whole server would be.
    public func kill() { server.kill() }
    /// The worker processes now (members of the master's process group other than itself).
    public var workers: [ProcessTable.Entry] {
        guard let master = server.pid else { return server.strays }
        return ProcessTable.members(ofGroup: master).filter { $0.pid != master }
    }
    /// Processes of this nginx still alive after its master is gone (should always be empty).
    public var strays: [ProcessTable.Entry] { server.strays }
    public var isRunning: Bool { server.isRunning }
    public func waitForExit(timeout: Double) -> Bool { server.waitForExit(timeout: timeout) }
    public var pid: Int32? { server.pid }
}
