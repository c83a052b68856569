import CLinux
import Glibc
import Synchronization
import Testing
@testable import Shared

/// Records what happens per connection; "kill" closes every other connection it knows.
private final class Killer: ConnectionHandler {
    /// Loop-confined list of the live connections (the test uses a single loop).
    final class Peers { var all: [Connection] = [] }
    let peers: Peers
    let recorder: Recorder
    init(peers: Peers, recorder: Recorder) {
        self.peers = peers
        self.recorder = recorder
    }
    func connectionOpened(_ connection: Connection) {
        peers.all.append(connection)
        recorder.bump("opened")
    }
    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {
        if !connection.isOpen { recorder.bump("receivedAfterClose") }
        let text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("kill") {
            for other in peers.all where other !== connection { other.close() }
            connection.write(Array("killed".utf8))
        } else if text.hasPrefix("suicide") {
            connection.close()
            connection.write(Array("never".utf8))
        } else {
            connection.write(Array(bytes))
        }
    }
    func connectionClosed(_ connection: Connection) {
        recorder.bump("closed")
        recorder.bump("closed#\(connection.id)")
        peers.all.removeAll { $0 === connection }
    }
}

/// Counts reads; used to see whether a stale event reaches the wrong connection.
private final class ReadCounter: ConnectionHandler {
    var reads = 0
    func connectionOpened(_ connection: Connection) {}
    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) { reads += 1 }
    func connectionClosed(_ connection: Connection) {}
}

@Suite struct StaleEventTests {
    @Test func anEventTaggedWithAnOldGenerationNeverReachesTheConnectionThatReusedTheFd() throws {
        let running = RunningGroup(loops: 1)
        let loop = running.group.loops[0]
        let outcome = onLoop(loop) { () -> String in
            let peer = try! SocketAddress.resolve(host: "127.0.0.1", port: 0)
            var pair: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue), 0, &pair) == 0 else { return "socketpair failed" }
            defer { Glibc.close(pair[1]) }
            let fd = pair[0]
            let first = ReadCounter()
            let old = Connection(fd: fd, peer: peer, loop: loop, server: nil, handler: first, state: .open)
            old.generation = try! loop.register(fd: fd, .connection(old), events: Epoll.readable)
            let oldGeneration = old.generation
            // What close() and a reusing accept do to the registry, kept on one fd number so
            // that tests running in parallel cannot take it in between.
            loop.unregister(fd: fd, generation: oldGeneration)
            _ = clinux_epoll_ctl(loop.epollFD, EPOLL_CTL_DEL, fd, 0, 0)
            old.state = .closed
            let second = ReadCounter()
            let new = Connection(fd: fd, peer: peer, loop: loop, server: nil, handler: second, state: .open)
            new.generation = try! loop.register(fd: fd, .connection(new), events: Epoll.readable)
            _ = Glibc.write(pair[1], "x", 1)

            loop.dispatch(fd: fd, generation: oldGeneration, events: Epoll.readable)
            let afterStale = second.reads
            loop.dispatch(fd: fd, generation: new.generation, events: Epoll.readable)
            let afterCurrent = second.reads
            new.close()
            loop.deliverClosed()
            return "stale \(afterStale) current \(afterCurrent) first \(first.reads) distinct \(oldGeneration != new.generation)"
        }
        #expect(outcome == "stale 0 current 1 first 0 distinct true")
    }

    @Test func closingOtherConnectionsInsideACallbackDropsTheirPendingEvents() throws {
        let running = RunningGroup(loops: 1)
        let loop = running.group.loops[0]
        let recorder = Recorder()
        let peers = LoopBound(value: Killer.Peers())
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in
            Killer(peers: peers.value, recorder: recorder)
        }
        for round in 0..<5 {
            let killer = try TestClient(port: server.port)
            let victims = try (0..<6).map { _ in try TestClient(port: server.port) }
            #expect(waitUntil { recorder["opened"] == 8 * round + 7 })
            // Stall the loop so all of the following land in one epoll_wait batch.
            loop.execute { usleep(100_000) }
            usleep(10_000)
            try killer.send("kill")
            for v in victims { try v.send("data") }
            let latecomer = try TestClient(port: server.port)  // may reuse a victim's fd in that batch
            #expect(try killer.receive(exactly: 6) == Array("killed".utf8))
            for v in victims {
                // A victim served before the kill got its echo; either way it then sees the close.
                let rest = (try? v.receiveToEnd()) ?? []
                #expect(rest == [] || rest == Array("data".utf8))
            }
            try latecomer.send("hello")
            #expect(try latecomer.receive(exactly: 5) == Array("hello".utf8))
            try killer.send("kill")  // closes the latecomer too
            #expect(try killer.receive(exactly: 6) == Array("killed".utf8))
        }
        #expect(waitUntil { recorder["closed"] >= 5 * 7 })
        #expect(recorder["opened"] == 5 * 8)
        #expect(recorder["receivedAfterClose"] == 0)
        #expect(recorder.all.filter { $0.key.hasPrefix("closed#") }.allSatisfy { $0.value == 1 })
    }

    @Test func aConnectionClosingItselfInItsCallbackIsToldOnceAndTheLoopGoesOn() throws {
        let running = RunningGroup(loops: 1)
        let recorder = Recorder()
        let peers = LoopBound(value: Killer.Peers())
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in
            Killer(peers: peers.value, recorder: recorder)
        }
        for _ in 0..<20 {
            let c = try TestClient(port: server.port)
            try c.send("suicide")
            #expect(try c.receiveToEnd() == [])
        }
        #expect(waitUntil { recorder["closed"] == 20 })
        #expect(recorder.all.filter { $0.key.hasPrefix("closed#") }.count == 20)
        #expect(recorder.all.filter { $0.key.hasPrefix("closed#") }.allSatisfy { $0.value == 1 })
        #expect(waitUntil { server.openConnections == 0 })
    }
}
