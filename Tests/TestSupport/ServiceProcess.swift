import Foundation

/// A built ChatAPI or ChatRelay (or any executable serving `/actuator/health`) started with an
/// environment, ready once health answers, stopped with SIGTERM (the services drain).
public struct ServiceProcess: Sendable {
    public let port: Int
    public let process: ManagedProcess

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var logURL: URL { process.logURL }
    public var isRunning: Bool { process.isRunning }
    public var pid: Int32? { process.pid }

    /// `.build/debug/<product>` (or `CHAT_TEST_BIN_DIR`): e.g. `executable("ChatAPI")`.
    public static func executable(_ product: String, configuration: String = "debug") -> URL {
        Repository.binDirectory(configuration: configuration).appendingPathComponent(product)
    }

    /// Starts `executable` and waits until `GET /actuator/health` on `port` answers (any status
    /// below 500, or `acceptDown` to take 503 as "serving").
    /// - Parameters:
    ///   - environment: added to this process's environment (CHAT_API_PORT etc. are the caller's).
    ///   - port: where the service listens, for the health check.
    public static func start(executable: URL, arguments: [String] = [], environment: [String: String],
                             port: Int, name: String? = nil, in directory: URL? = nil,
                             acceptDown: Bool = false, readyTimeout: Double = 30) throws -> ServiceProcess {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw FixtureError("\(executable.path) is not built (swift build)")
        }
        let dir = try directory ?? FixtureDirectories.make("service")
        let label = name ?? "\(executable.lastPathComponent)-\(port)"
        let merged = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let managed = ManagedProcess(name: label, executable: executable.path, arguments: arguments,
                                     directory: dir, marker: executable.path, environment: merged)
        try managed.start()
        let service = ServiceProcess(port: port, process: managed)
        try service.waitUntilHealthy(acceptDown: acceptDown, timeout: readyTimeout)
        return service
    }

    public func waitUntilHealthy(acceptDown: Bool = false, timeout: Double = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let response = try? HTTPProbe.get(port: port, path: "/actuator/health", timeout: 1),
               response.status < 500 || (acceptDown && response.status == 503) { return }
            if !process.isRunning {
                throw FixtureError("\(process.name) exited before it was healthy:\n\(process.logTail())")
            }
            if Date() > deadline {
                throw FixtureError("\(process.name) not healthy on :\(port) after \(timeout) s:\n\(process.logTail())")
            }
            usleep(50_000)
        }
    }

    /// SIGTERM, then SIGKILL after `timeout`. Returns the exit status.
    @discardableResult
    public func stop(timeout: Double = 15) -> Int32? { process.stop(timeout: timeout) }
    public func kill() { process.kill() }
}
