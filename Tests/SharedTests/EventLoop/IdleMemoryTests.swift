import CLinux
import Glibc
import Testing
@testable import Shared

/// The smallest handler: what an idle keep-alive connection costs is then the loop's own share.
private final class IdleHandler: ConnectionHandler {
    func connectionOpened(_ connection: Connection) {}
    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) { connection.write(Array(bytes)) }
    func connectionClosed(_ connection: Connection) {}
}

private func residentBytes() -> Int {
    let fd = open("/proc/self/statm", O_RDONLY)
    defer { Glibc.close(fd) }
    var buffer = [UInt8](repeating: 0, count: 128)
    let n = read(fd, &buffer, buffer.count)
    let fields = String(decoding: buffer[0..<max(n, 0)], as: UTF8.self).split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

private let probeVariable = "CHAT_IDLE_MEMORY_PROBE_OUTPUT"

@Suite struct IdleMemoryTests {
    /// Other suites allocate in parallel in this process, which would blur an RSS figure, so the
    /// test runs itself again in a child process (this test only) and reads the child's figure.
    @Test func idleConnectionsCostLessThanFourKiBOfResidentMemoryEach() throws {
        if let output = getenv(probeVariable) {
            let figure = try measureIdleConnections()
            let text = "\(figure.perConnection) \(figure.count)"
            let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            _ = text.withCString { write(fd, $0, strlen($0)) }
            Glibc.close(fd)
            return
        }
        let output = "/tmp/chat-idle-memory-\(getpid())"
        defer { unlink(output) }
        let status = try runSelf(filter: "idleConnectionsCostLessThanFourKiBOfResidentMemoryEach",
                                 environment: "\(probeVariable)=\(output)")
        #expect(status == 0, "the measuring child failed (status \(status))")
        let fd = open(output, O_RDONLY)
        try #require(fd >= 0, "the child wrote no figure")
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(fd, &buffer, 64)
        Glibc.close(fd)
        let parts = String(decoding: buffer[0..<max(n, 0)], as: UTF8.self).split(separator: " ").compactMap { Int($0) }
        try #require(parts.count == 2)
        print("idle connection resident cost: \(parts[0]) bytes each over \(parts[1]) connections")
        #expect(parts[1] >= 1_000)
        #expect(parts[0] <= 4096, "an idle connection costs \(parts[0]) bytes of RSS")
    }

    /// Server and clients share the process, so 8,000 pairs fit a 20,000-descriptor hard limit.
    private func measureIdleConnections() throws -> (perConnection: Int, count: Int) {
        ResourceLimits.raiseOpenFilesToHardLimit()
        let count = min(8_000, (ResourceLimits.openFilesLimit - 500) / 2)
        try #require(count >= 1_000, "open-files limit too low: \(ResourceLimits.openFilesLimit)")
        let running = RunningGroup(loops: 2)
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in IdleHandler() }
        var clients: [TestClient] = []
        clients.reserveCapacity(count)
        let warmup = try TestClient(port: server.port)
        try warmup.send("w")
        _ = try warmup.receive(exactly: 1)
        let before = residentBytes()
        for _ in 0..<count { clients.append(try TestClient(port: server.port)) }
        try #require(waitUntil(20) { server.openConnections == count + 1 })
        // Every connection has been read from and written to once: a used keep-alive connection.
        for c in clients { try c.send("x") }
        for c in clients { _ = try c.receive(exactly: 1) }
        return ((residentBytes() - before) / count, count)
    }

    /// Runs this test binary again with only `filter` selected; returns its exit status.
    private func runSelf(filter: String, environment extra: String) throws -> Int32 {
        let exe = "/proc/self/exe"
        let args = [exe, "--testing-library", "swift-testing", "--filter", filter]
        var env: [String] = [extra]
        var cursor = environ
        while let entry = cursor.pointee {
            env.append(String(cString: entry))
            cursor += 1
        }
        let cArgs = args.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        // The child's own test report would only clutter this run's output.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, cArgs, cEnv)
        try #require(rc == 0, "posix_spawn failed: \(rc)")
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xff
    }
}
