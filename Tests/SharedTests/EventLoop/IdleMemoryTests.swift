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

@Suite struct IdleMemoryTests {
    /// Server and clients share this process, so 8,000 pairs fit a 20,000-descriptor hard limit.
    @Test func idleConnectionsCostLessThanFourKiBOfResidentMemoryEach() throws {
        ResourceLimits.raiseOpenFilesToHardLimit()
        let count = min(8_000, (ResourceLimits.openFilesLimit - 500) / 2)
        try #require(count >= 1_000, "open-files limit too low: \(ResourceLimits.openFilesLimit)")
        let running = RunningGroup(loops: 2)
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in IdleHandler() }
        // Measured once: freed memory stays resident, so a second round would read near zero.
        do {
            var clients: [TestClient] = []
            clients.reserveCapacity(count)
            let warmup = try TestClient(port: server.port)
            try warmup.send("w")
            _ = try warmup.receive(exactly: 1)
            let before = residentBytes()
            for _ in 0..<count { clients.append(try TestClient(port: server.port)) }
            #expect(waitUntil(20) { server.openConnections == count + 1 })
            // Every connection has been read from once, so it is a used keep-alive connection.
            for c in clients { try c.send("x") }
            for c in clients { _ = try c.receive(exactly: 1) }
            let perConnection = (residentBytes() - before) / count
            print("idle connection resident cost: \(perConnection) bytes each over \(count) connections")
            #expect(perConnection <= 4096, "an idle connection costs \(perConnection) bytes of RSS")
            clients.removeAll()
            #expect(waitUntil(20) { server.openConnections == 1 })
        }
    }
}
