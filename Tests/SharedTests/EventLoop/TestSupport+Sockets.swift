import CLinux
import Glibc
import Testing
import Synchronization
import TestSupport
@testable import Shared

/// A blocking POSIX client socket with timeouts, so a broken server fails a test instead of hanging it.
final class TestClient {
    struct Failure: Error, CustomStringConvertible { let description: String }

    let fd: Int32

    init(port: Int, host: String = "127.0.0.1", timeoutSeconds: Int = 10, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let address = try SocketAddress.resolve(host: host, port: port)
        let rc = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        guard rc == 0 else {
            let code = errno
            Glibc.close(fd)
            throw Failure(description: "connect to \(host):\(port) failed: errno \(code)")
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ bytes: [UInt8]) throws {
        if let code = Loopback.sendAll(fd, bytes) { throw Failure(description: "send failed: errno \(code)") }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Reads exactly `count` bytes (throws on EOF or timeout first).
    func receive(exactly count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = result.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress! + got, count - got, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: "receive: got \(got) of \(count) bytes, then \(n == 0 ? "EOF" : "errno \(errno)")") }
            got += n
        }
        return result
    }

    /// Reads until the server closes; throws on a timeout or reset.
    func receiveToEnd(chunk: Int = 65536) throws -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress!, chunk, 0) }
            if n < 0 && errno == EINTR { continue }
            if n == 0 { return result }
            guard n > 0 else { throw Failure(description: "receive to end: errno \(errno) after \(result.count) bytes") }
            result.append(contentsOf: buffer[0..<n])
        }
    }

    func shutdownWrite() { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }
}

/// Polls `condition` until it holds or `seconds` pass.
func waitUntil(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Sys.monotonicMilliseconds() + UInt64(seconds * 1000)
    while Sys.monotonicMilliseconds() < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

/// Runs `body(i)` for each i on its own thread and waits for all.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let threads = (0..<count).map { i in LoopThread.spawn(name: "test-\(i)") { body(i) } }
    for t in threads { pthread_join(t, nil) }
}

/// Thread-safe event log shared by handlers and the test.
final class Recorder: Sendable {
    private let state = Mutex<[String: Int]>([:])
    func bump(_ key: String, by n: Int = 1) { state.withLock { $0[key, default: 0] += n } }
    subscript(_ key: String) -> Int { state.withLock { $0[key, default: 0] } }
    var all: [String: Int] { state.withLock { $0 } }
}

/// Echoes every byte; counts opens/closes per connection so "exactly once" can be checked.
final class EchoHandler: ConnectionHandler {
    let recorder: Recorder
    init(_ recorder: Recorder) { self.recorder = recorder }
    func connectionOpened(_ connection: Connection) {
        recorder.bump("opened")
        recorder.bump("loop\(connection.loop.index)")
    }
    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {
        #expect(connection.loop.inEventLoop)
        connection.write(Array(bytes))
    }
    func connectionClosed(_ connection: Connection) {
        recorder.bump("closed")
        recorder.bump("closed#\(connection.id)")
        if connection.isOpen { recorder.bump("closedButOpen") }
    }
}

/// A group started for one test and stopped when the test ends.
final class RunningGroup {
    let group: EventLoopGroup
    init(loops: Int) {
        group = EventLoopGroup(count: loops)
        group.start()
    }
    deinit { group.stop() }
}

/// Lets a value built off-loop (in the test) reach handlers on a loop; the test never touches
/// it again once the loop runs. Safety: after hand-over only the owning loop uses `value`.
struct HandOver<T>: @unchecked Sendable {
    let value: T
}

/// Runs `body` on `loop` and waits for its result.
func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () -> T) -> T {
    let result = Mutex<T?>(nil)
    loop.execute { let r = body(); result.withLock { $0 = r } }
    _ = waitUntil { result.withLock { $0 != nil } }
    return result.withLock { $0! }
}
