import Foundation
import Glibc
import Synchronization

/// Free loopback TCP ports, never handed out twice by one test process. They are drawn from
/// 20000-32767, below Linux's ephemeral range (32768-60999): a port from there (what binding
/// port 0 gives) can be taken as the source port of some outgoing connection between the
/// check and the server's own bind.
public enum FreePort {
    private static let handedOut = Mutex<Set<Int>>([])

    /// A port nothing listens on at the moment, on 127.0.0.1.
    public static func next() -> Int {
        for _ in 0..<1000 {
            guard let port = probe(Int.random(in: 20000...32767)) else { continue }
            let fresh = handedOut.withLock { $0.insert(port).inserted }
            if fresh { return port }
        }
        fatalError("FreePort: no unused loopback port in 20000-32767 after 1000 tries")
    }

    /// `port` if it can be bound on 127.0.0.1 right now.
    private static func probe(_ port: Int) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let bound = Loopback.bind(fd, port: port)
        return bound == 0 && !isListening(port) ? port : nil
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port` right now.
    public static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let result = Loopback.connect(fd, port: port)
        return result == 0
    }
}
