import Foundation
import TestSupport
import Glibc

/// A private redis-server on a free loopback port in a temporary folder (AOF on, so a
/// restart keeps the logs), for tests that need the real thing.
final class RedisProcess {
    let port: Int
    let directory: URL

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") }

    init() throws {
        port = FreePort.next()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    var url: String { "redis://127.0.0.1:\(port)" }

    /// Spawned with posix_spawn and reaped with waitpid here (Foundation's `Process`
    /// waits on a run loop that a test thread does not run).
    private var pid: pid_t = 0

    func start() throws {
        let args = ["/usr/bin/redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path,
                    "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no",
                    "--loglevel", "warning", "--logfile", directory.appendingPathComponent("redis.log").path]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, args[0], nil, nil, &argv, environ)
        guard rc == 0 else { throw TestWebSocketClient.Failure(description: "posix_spawn redis-server: \(rc)") }
        pid = child
        let deadline = Date().addingTimeInterval(5)
        // Ready means PONG, not just listening: while it reloads the AOF Redis answers LOADING.
        while !Self.answersPong(port) {
            guard Date() < deadline else { throw TestWebSocketClient.Failure(description: "redis-server did not start on \(port)") }
            usleep(10_000)
        }
    }

    /// SIGTERM (Redis flushes its AOF on the way out), then SIGKILL after 3 s.
    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(3)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(5_000)
        }
        pid = 0
    }

    /// Sends an inline PING and reads the reply (1 s at most).
    static func answersPong(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = Loopback.connect(fd, port: port) == 0
        guard connected else { return false }
        let ping = Array("PING\r\n".utf8)
        guard write(fd, ping, ping.count) == ping.count else { return false }
        var reply = [UInt8](repeating: 0, count: 64)
        let n = read(fd, &reply, reply.count)
        return n >= 5 && String(decoding: reply[0..<5], as: UTF8.self) == "+PONG"
    }
}
