import Foundation
import Glibc

/// Redis on a free loopback port in a temporary folder, append-only file on (as the local
/// stack runs it), so a restart keeps the event logs.
public final class RedisFixture: Sendable {
    public let directory: URL
    public let port: Int
    let server: ManagedProcess

    /// `redis://127.0.0.1:<port>`: CHAT_REDIS_URL.
    public var url: String { "redis://127.0.0.1:\(port)" }

    private init(directory: URL) {
        self.directory = directory
        port = FreePort.next()
        let data = directory.appendingPathComponent("redis").path
        server = ManagedProcess(name: "redis", executable: "redis-server", arguments: [
            "--bind", "127.0.0.1", "--port", String(port), "--dir", data,
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--daemonize", "no", "--logfile", "",
        ], directory: directory, marker: data)  // Redis rewrites its title: the marker is its cwd
    }

    public static func start(in directory: URL? = nil) throws -> RedisFixture {
        let fixture = RedisFixture(directory: try directory ?? FixtureDirectories.make("redis"))
        try FileManager.default.createDirectory(at: fixture.directory.appendingPathComponent("redis"),
                                                withIntermediateDirectories: true)
        try fixture.start()
        return fixture
    }

    /// Starts Redis (again) and waits for PONG; it reloads the append-only file.
    public func start() throws {
        try server.start(workingDirectory: directory.appendingPathComponent("redis"))
        let deadline = Date().addingTimeInterval(20)
        while (try? command("PING")) != "PONG" {
            if !server.isRunning { throw FixtureError("Redis exited during start-up:\n\(server.logTail())") }
            if Date() > deadline { throw FixtureError("Redis not ready after 20 s:\n\(server.logTail())") }
            usleep(20_000)
        }
    }

    /// SIGTERM: Redis writes and fsyncs the append-only file, then exits.
    public func stop() { server.stop() }
    /// SIGKILL: what was written in the last second may be lost (appendfsync everysec).
    public func kill() { server.kill() }
    public func restart() throws { stop(); try start() }
    public var isRunning: Bool { server.isRunning }

    /// One command through `redis-cli`; the reply as redis-cli prints it (raw mode).
    @discardableResult
    public func command(_ arguments: String...) throws -> String {
        try command(arguments)
    }

    @discardableResult
    public func command(_ arguments: [String]) throws -> String {
        let output = try Command.check("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--raw"] + arguments)
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
