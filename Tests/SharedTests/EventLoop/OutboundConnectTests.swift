import Glibc
import Synchronization
import Testing
@testable import Shared

/// Sends a greeting as soon as it is told the connect succeeded, reports what comes back.
private final class Greeter: ConnectionHandler {
    let recorder: Recorder
    let received = Mutex<[UInt8]>([])
    init(_ recorder: Recorder) { self.recorder = recorder }
    func connectionOpened(_ connection: Connection) {
        recorder.bump("opened")
        connection.write(Array("hello".utf8))
    }
    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {
        let total = received.withLock { $0.append(contentsOf: bytes); return $0.count }
        if total == 10 { connection.close() }
    }
    func connectionClosed(_ connection: Connection) {
        recorder.bump("closed")
        if connection.closeErrno == ECONNREFUSED { recorder.bump("refused") }
    }
}

@Suite struct OutboundConnectTests {
    @Test func anOutboundConnectionTalksToAServerAndWritesQueuedBeforeConnectingAreSent() throws {
        let running = RunningGroup(loops: 2)
        let serverSide = Recorder()
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: running.group) { _ in EchoHandler(serverSide) }
        let recorder = Recorder()
        let greeter = LoopBound(value: Greeter(recorder))
        let loop = running.group.loops[1]
        let port = server.port
        let state = onLoop(loop) { () -> String in
            let connection = try! Connection.connect(host: "127.0.0.1", port: port, on: loop, handler: greeter.value)
            connection.write(Array("early".utf8))  // queued while the connect is in progress
            return "\(connection.isOpen) \(connection.peer)"
        }
        #expect(state == "true 127.0.0.1:\(port)")
        #expect(waitUntil { recorder["closed"] == 1 })
        #expect(recorder["opened"] == 1)
        #expect(String(decoding: greeter.value.received.withLock { $0 }, as: UTF8.self) == "earlyhello")
    }

    @Test func aRefusedConnectIsReportedThroughConnectionClosed() throws {
        // A port that was just free and has no listener.
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let any = try SocketAddress.resolve(host: "127.0.0.1", port: 0)
        _ = any.withSockAddr { bind(probe, $0, $1) }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) } }
        let port = try #require(withUnsafePointer(to: &storage) { SocketAddress(UnsafeRawPointer($0)) }).port
        Glibc.close(probe)

        let running = RunningGroup(loops: 1)
        let loop = running.group.loops[0]
        let recorder = Recorder()
        let greeter = LoopBound(value: Greeter(recorder))
        onLoop(loop) { _ = try! Connection.connect(host: "127.0.0.1", port: port, on: loop, handler: greeter.value) }
        #expect(waitUntil { recorder["closed"] == 1 })
        #expect(recorder["opened"] == 0)
        #expect(recorder["refused"] == 1)
    }

    @Test func anUnresolvableHostThrowsNamingIt() {
        let running = RunningGroup(loops: 1)
        let loop = running.group.loops[0]
        let message = onLoop(loop) { () -> String in
            do {
                _ = try Connection.connect(host: "no-such-host.invalid", port: 6379, on: loop, handler: DetachedHandler.shared)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message.contains("no-such-host.invalid:6379"), "\(message)")
    }
}
