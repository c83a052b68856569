import Glibc
import Synchronization
import Testing
@testable import Shared

@Suite struct TCPServerTests {
    @Test func manyConcurrentClientsAreEchoedAcrossAllLoops() throws {
        let running = RunningGroup(loops: 2)
        let recorder = Recorder()
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in EchoHandler(recorder) }
        #expect(server.port > 0)
        let failures = Mutex<[String]>([])
        onThreads(8) { t in
            do {
                // Each thread holds 16 connections open at once and interleaves them.
                let clients = try (0..<16).map { _ in try TestClient(port: server.port) }
                for round in 0..<20 {
                    for (i, c) in clients.enumerated() {
                        let size = 1 + (t * 131 + i * 17 + round * 7919) % 3000
                        let message = (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ i &+ round) }
                        try c.send(message)
                        let echoed = try c.receive(exactly: size)
                        if echoed != message { failures.withLock { $0.append("thread \(t) client \(i) round \(round)") } }
                    }
                }
            } catch {
                failures.withLock { $0.append("thread \(t): \(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(waitUntil { recorder["closed"] == 128 })
        #expect(recorder["opened"] == 128)
        #expect(recorder["loop0"] > 0 && recorder["loop1"] > 0, "SO_REUSEPORT spreads connections: \(recorder.all)")
        #expect(recorder["closedButOpen"] == 0)
        #expect(recorder.all.filter { $0.key.hasPrefix("closed#") }.allSatisfy { $0.value == 1 }, "connectionClosed exactly once")
        #expect(server.openConnections == 0)
    }

    @Test func aSecondServerOnTheSamePortThrowsNamingThePort() throws {
        let running = RunningGroup(loops: 2)
        let first = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in EchoHandler(Recorder()) }
        do {
            _ = try TCPServer(host: "127.0.0.1", port: first.port, group: running.group) { _ in EchoHandler(Recorder()) }
            Issue.record("binding a port this process already serves must fail")
        } catch let error as ServerError {
            #expect(error.isAddressInUse)
            #expect(error.message.contains("127.0.0.1:\(first.port)"), "\(error.message)")
        }
        // The first server is unaffected.
        let client = try TestClient(port: first.port)
        try client.send("still here")
        #expect(try client.receive(exactly: 10) == Array("still here".utf8))
    }

    @Test func aPortHeldByAForeignSocketThrowsInsteadOfBeingShared() throws {
        // A plain socket, as another process would hold it: no SO_REUSEPORT.
        let foreign = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(foreign) }
        let any = try SocketAddress.resolve(host: "127.0.0.1", port: 0)
        #expect(any.withSockAddr { bind(foreign, $0, $1) } == 0)
        #expect(listen(foreign, 16) == 0)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(foreign, $0, &length) } }
        let port = try #require(withUnsafePointer(to: &storage) { SocketAddress(UnsafeRawPointer($0)) }).port

        let running = RunningGroup(loops: 2)
        #expect {
            _ = try TCPServer(host: "127.0.0.1", port: port, group: running.group) { _ in EchoHandler(Recorder()) }
        } throws: { error in
            guard let error = error as? ServerError else { return false }
            return error.isAddressInUse && error.description.contains("127.0.0.1:\(port)")
        }
    }

    @Test func badHostsAndPortsAreRefusedWithAClearMessage() {
        let running = RunningGroup(loops: 1)
        #expect {
            _ = try TCPServer(host: "127.0.0.1", port: 70_000, group: running.group) { _ in EchoHandler(Recorder()) }
        } throws: { ($0 as? ServerError)?.message.contains("70000") == true }
        #expect {
            _ = try TCPServer(host: "no-such-host.invalid", port: 80, group: running.group) { _ in EchoHandler(Recorder()) }
        } throws: { ($0 as? ServerError)?.message.contains("no-such-host.invalid:80") == true }
    }

    @Test func stopAcceptingClosesTheListenersButKeepsConnectionsOpen() throws {
        let running = RunningGroup(loops: 2)
        let recorder = Recorder()
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in EchoHandler(recorder) }
        let client = try TestClient(port: server.port)
        #expect(waitUntil { server.openConnections == 1 })
        server.stopAccepting()
        server.stopAccepting()
        #expect(waitUntil { (try? TestClient(port: server.port, timeoutSeconds: 1)) == nil })
        try client.send("ok")
        #expect(try client.receive(exactly: 2) == Array("ok".utf8))
    }

    @Test func peersHalfClosingGetTheirRepliesThenTheConnectionCloses() throws {
        let running = RunningGroup(loops: 1)
        let recorder = Recorder()
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in EchoHandler(recorder) }
        let client = try TestClient(port: server.port)
        try client.send("last words")
        client.shutdownWrite()
        #expect(try client.receiveToEnd() == Array("last words".utf8))
        #expect(waitUntil { recorder["closed"] == 1 })
    }
}
