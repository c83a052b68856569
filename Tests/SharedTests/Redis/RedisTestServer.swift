import Foundation
import Glibc
@testable import Shared

/// A private redis-server on a free loopback port in a temporary directory, for one test.
/// (Tests/TestSupport's shared fixtures did not exist yet when these tests were written.)
final class RedisTestServer {
    let port: Int
    let directory: URL
    private let process: Process

    var url: RedisURL { RedisURL(host: "127.0.0.1", port: port) }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try RedisTestServer.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", directory.path, "--daemonize", "no", "--logfile", directory.appendingPathComponent("redis.log").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        let probe = RedisClient(url: url, connectTimeout: 0.2, commandTimeout: 0.5)
        while (try? probe.command(["PING"])) != .status("PONG") {
            guard Date() < deadline, process.isRunning else {
                stop()
                throw RedisError(.connect, "redis-server did not start on port \(port)")
            }
            usleep(20_000)
        }
    }

    func stop() {
        if process.isRunning {
            // SIGKILL, not SIGTERM: the child inherits the test runner's blocked signal mask
            // (libdispatch blocks SIGTERM in its threads), so redis-server would never see TERM.
            // Nothing is persisted (--save '', no AOF), so there is nothing to flush.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    /// A port the kernel just handed out for a listener on 127.0.0.1.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RedisError(.connect, "socket() failed") }
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw RedisError(.connect, "bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
