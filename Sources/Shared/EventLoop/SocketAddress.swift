import Glibc

/// An IPv4 or IPv6 address and port, stored compactly (no String until one is asked for).
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    enum IP: Hashable, Sendable {
        case v4(in_addr_t)                       // network byte order
        case v6(UInt64, UInt64, scope: UInt32)   // the 16 bytes, as two words in memory order
    }

    let ip: IP
    let rawPort: UInt16

    public var port: Int { Int(rawPort) }

    public var isIPv6: Bool { if case .v6 = ip { return true } else { return false } }

    /// Numeric host, such as `127.0.0.1` or `::1`.
    public var host: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch ip {
        case .v4(let a):
            var addr = in_addr(s_addr: a)
            _ = inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
        case .v6(let hi, let lo, _):
            var words = (hi, lo)
            _ = inet_ntop(AF_INET6, &words, &text, socklen_t(text.count))
        }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// `host:port`, with IPv6 hosts in brackets.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    init(ip: IP, port: UInt16) {
        self.ip = ip
        self.rawPort = port
    }

    /// Reads a `sockaddr_in` / `sockaddr_in6`; nil for other families (never for TCP peers).
    init?(_ storage: UnsafeRawPointer) {
        let family = storage.assumingMemoryBound(to: sockaddr.self).pointee.sa_family
        switch Int32(family) {
        case AF_INET:
            let sin = storage.assumingMemoryBound(to: sockaddr_in.self).pointee
            self.init(ip: .v4(sin.sin_addr.s_addr), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let sin6 = storage.assumingMemoryBound(to: sockaddr_in6.self).pointee
            var words: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &words) { dst in
                withUnsafeBytes(of: sin6.sin6_addr) { dst.copyMemory(from: $0) }
            }
            self.init(ip: .v6(words.0, words.1, scope: sin6.sin6_scope_id),
                      port: UInt16(bigEndian: sin6.sin6_port))
        default:
            return nil
        }
    }

    /// Parses a numeric host; names are looked up with `getaddrinfo`, which may block, so call
    /// this at start-up or accept that a name lookup can stall the caller.
    /// - Throws: `ServerError` naming `host:port` when the port is out of range or the host unknown.
    public static func resolve(host: String, port: Int) throws(ServerError) -> SocketAddress {
        guard (0...65535).contains(port) else {
            throw ServerError(.badAddress, "bad port \(port) for \(host): must be 0...65535")
        }
        let p = UInt16(port)
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return SocketAddress(ip: .v4(v4.s_addr), port: p) }
        var v6: (UInt64, UInt64) = (0, 0)
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if inet_pton(AF_INET6, bare, &v6) == 1 { return SocketAddress(ip: .v6(v6.0, v6.1, scope: 0), port: p) }

        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &list)
        guard rc == 0, let first = list else {
            let reason = rc == 0 ? "no address" : String(cString: gai_strerror(rc))
            throw ServerError(.badAddress, "cannot resolve \(host):\(port): \(reason)")
        }
        defer { freeaddrinfo(list) }
        // Prefer IPv4: local stacks (Docker, /etc/hosts localhost) answer on it everywhere.
        var chosen: UnsafeMutablePointer<addrinfo>? = first
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let c = cursor {
            if c.pointee.ai_family == AF_INET { chosen = c; break }
            cursor = c.pointee.ai_next
        }
        guard let addr = chosen?.pointee.ai_addr, let found = SocketAddress(UnsafeRawPointer(addr)) else {
            throw ServerError(.badAddress, "cannot resolve \(host):\(port): no IPv4/IPv6 address")
        }
        return SocketAddress(ip: found.ip, port: p)
    }

    var family: Int32 { isIPv6 ? AF_INET6 : AF_INET }

    /// Calls `body` with this address as a `sockaddr` and its length.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch ip {
        case .v4(let a):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = rawPort.bigEndian
            sin.sin_addr = in_addr(s_addr: a)
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let hi, let lo, let scope):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = rawPort.bigEndian
            sin6.sin6_scope_id = scope
            var words = (hi, lo)
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { dst in
                withUnsafeBytes(of: &words) { dst.copyMemory(from: $0) }
            }
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }
}
