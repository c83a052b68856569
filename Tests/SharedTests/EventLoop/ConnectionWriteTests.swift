import CLinux
import Glibc
import Synchronization
import Testing
@testable import Shared

/// Pattern bytes whose position is recoverable, so reordering or loss shows.
private func pattern(_ count: Int, seed: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 31) ^ ($0 >> 9) &+ seed) }
}

/// On open, queues `pieces` (a mix of shared and plain buffers) and optionally closes after flush.
private final class BulkWriter: ConnectionHandler {
    let pieces: [[UInt8]]
    let closeWhenDone: Bool
    let recorder: Recorder
    init(pieces: [[UInt8]], closeWhenDone: Bool, recorder: Recorder) {
        self.pieces = pieces
        self.closeWhenDone = closeWhenDone
        self.recorder = recorder
    }
    func connectionOpened(_ connection: Connection) {
        for (i, piece) in pieces.enumerated() {
            if i.isMultiple(of: 2) { connection.write(SharedBytes(piece)) } else { connection.write(piece) }
        }
        recorder.bump("queuedAtOpen", by: connection.queuedBytes)
        if closeWhenDone { connection.closeAfterFlush() }
        // Runs on a later turn, after this turn's flush: a client that is not reading cannot
        // have taken several MiB, so some must still be queued (the partial-write path).
        let loop = connection.loop
        let bound = connection.loopBound
        let recorder = self.recorder
        loop.execute { recorder.bump("queuedAfterFirstFlush", by: bound.value.queuedBytes) }
    }
    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {}
    func connectionWritable(_ connection: Connection) { recorder.bump("writable") }
    func connectionClosed(_ connection: Connection) { recorder.bump("closed") }
}

/// Queues a large buffer and two more; a turn later drops what was not started, queues a
/// last one and closes after the flush (a slow reader told why it goes).
private final class DiscardingWriter: ConnectionHandler {
    let head: [UInt8], dropped: [[UInt8]], last: [UInt8]
    let recorder: Recorder
    init(head: [UInt8], dropped: [[UInt8]], last: [UInt8], recorder: Recorder) {
        self.head = head
        self.dropped = dropped
        self.last = last
        self.recorder = recorder
    }
    func connectionOpened(_ connection: Connection) {
        connection.notifiesWritable = false
        connection.write(SharedBytes(head))
        for piece in dropped { connection.write(piece) }
        let bound = connection.loopBound
        let (recorder, last) = (self.recorder, self.last)
        connection.loop.execute {
            let connection = bound.value
            let before = connection.queuedBytes
            connection.discardUnsent()
            recorder.bump("discarded", by: before - connection.queuedBytes)
            connection.write(last)
            connection.closeAfterFlush()
        }
    }
    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {}
    func connectionWritable(_ connection: Connection) { recorder.bump("writable") }
    func connectionClosed(_ connection: Connection) { recorder.bump("closed") }
}

@Suite struct ConnectionWriteTests {
    @Test func severalMebibytesArriveIntactThroughPartialWrites() throws {
        let running = RunningGroup(loops: 2)
        let recorder = Recorder()
        // 3 × 2 MiB plus 200 small buffers: more than one writev's 64 iovecs.
        let pieces = (0..<3).map { pattern(2 << 20, seed: $0) } + (0..<200).map { pattern(1 + $0 * 13, seed: $0) }
        let expected = pieces.flatMap { $0 }
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in
            BulkWriter(pieces: pieces, closeWhenDone: false, recorder: recorder)
        }
        let client = try TestClient(port: server.port, receiveBuffer: 16 * 1024)
        #expect(waitUntil { recorder["queuedAfterFirstFlush"] > 0 || recorder["writable"] > 0 })
        usleep(50_000)  // the server sits on a full socket for a while
        #expect(recorder["queuedAtOpen"] == expected.count)
        #expect(recorder["queuedAfterFirstFlush"] > 0, "the kernel took everything at once; no partial write happened")
        let received = try client.receive(exactly: expected.count)
        #expect(received == expected)
        #expect(waitUntil { recorder["writable"] == 1 }, "connectionWritable follows the drain")
    }

    @Test func discardUnsentKeepsThePartlyWrittenBufferAndDropsTheRestWhole() throws {
        let running = RunningGroup(loops: 1)
        let recorder = Recorder()
        // More than the kernel takes at once (send and receive buffers on loopback reach MiBs).
        let head = pattern(8 << 20, seed: 1), dropped = [pattern(5_000, seed: 2), pattern(70_000, seed: 3)]
        let last = pattern(300, seed: 4)
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in
            DiscardingWriter(head: head, dropped: dropped, last: last, recorder: recorder)
        }
        let client = try TestClient(port: server.port, receiveBuffer: 16 * 1024)
        #expect(waitUntil { recorder["discarded"] > 0 })
        // The head was under way (the kernel took part of it), so it is finished, not cut.
        #expect(recorder["discarded"] == 75_000)
        #expect(try client.receiveToEnd() == head + last)
        #expect(waitUntil { recorder["closed"] == 1 })
        #expect(recorder["writable"] == 0, "notifiesWritable off: no callback after the drain")
    }

    @Test func closeAfterFlushDeliversEverythingQueuedThenCloses() throws {
        let running = RunningGroup(loops: 1)
        let recorder = Recorder()
        let pieces = [pattern(3 << 20, seed: 7), pattern(100, seed: 8), pattern(1 << 20, seed: 9)]
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in
            BulkWriter(pieces: pieces, closeWhenDone: true, recorder: recorder)
        }
        let client = try TestClient(port: server.port, receiveBuffer: 32 * 1024)
        usleep(50_000)
        let received = try client.receiveToEnd()
        #expect(received.count == pieces.reduce(0) { $0 + $1.count })
        #expect(received == pieces.flatMap { $0 })
        #expect(waitUntil { recorder["closed"] == 1 })
        #expect(recorder["writable"] == 0, "a closing connection does not report writable")
        #expect(server.openConnections == 0)
    }

    @Test func oneSharedBufferIsQueuedToManyConnections() throws {
        let running = RunningGroup(loops: 2)
        let frame = SharedBytes(pattern(100_000, seed: 3))
        let connections = Recorder()
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { connection in
            // Fan out from the connection's own loop, as the relay does.
            connection.write(frame)
            connection.write(frame)
            connections.bump("fanned")
            return EchoHandler(connections)
        }
        let clients = try (0..<20).map { _ in try TestClient(port: server.port) }
        for c in clients { #expect(try c.receive(exactly: 200_000) == frame.bytes + frame.bytes) }
        #expect(connections["fanned"] == 20)
    }

    @Test func writesAfterCloseAreIgnoredAndCloseIsIdempotent() throws {
        let running = RunningGroup(loops: 1)
        let recorder = Recorder()
        final class CloseTwice: ConnectionHandler {
            let recorder: Recorder
            init(_ recorder: Recorder) { self.recorder = recorder }
            func connectionOpened(_ connection: Connection) {}
            func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {
                connection.write(Array("bye".utf8))
                connection.close()
                connection.close()
                connection.closeAfterFlush()
                connection.write(Array("ignored".utf8))
                recorder.bump(connection.isOpen ? "openAfterClose" : "closedInCallback")
                recorder.bump("queued", by: connection.queuedBytes)
            }
            func connectionClosed(_ connection: Connection) { recorder.bump("closed") }
        }
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in CloseTwice(recorder) }
        let client = try TestClient(port: server.port)
        try client.send("x")
        #expect(try client.receiveToEnd() == [], "close() drops what was queued")
        #expect(waitUntil { recorder["closed"] == 1 })
        usleep(20_000)
        #expect(recorder["closed"] == 1)
        #expect(recorder["closedInCallback"] == 1)
        #expect(recorder["queued"] == 0)
    }
}
