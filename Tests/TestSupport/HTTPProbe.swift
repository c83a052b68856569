import Foundation
import Glibc

/// A minimal blocking HTTP/1.1 GET over a socket, for readiness checks and infrastructure tests
/// (no URLSession: it can bind a chosen loopback source address, which nginx's
/// `hash $remote_addr` stickiness needs to be observed).
public enum HTTPProbe {
    public struct Response: Sendable {
        public let status: Int
        /// Header names lowercased.
        public let headers: [String: String]
        public let body: String
    }

    /// - Parameters:
    ///   - sourceAddress: local address to connect from (any of 127.0.0.0/8), nil for the default.
    public static func get(port: Int, path: String, host: String = "127.0.0.1",
                           headers: [String: String] = [:], sourceAddress: String? = nil,
                           timeout: Double = 3) throws -> Response {
        let fd = try connectedSocket(host: host, port: port, sourceAddress: sourceAddress, timeout: timeout)
        defer { close(fd) }

        var request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try sendAll(fd, Array(request.utf8), to: "\(host):\(port)")
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else { throw FixtureError("recv from \(host):\(port): errno \(errno) (timeout \(timeout) s?)") }
            received += buffer[0..<n]
        }
        return try parse(received)
    }

    /// A TCP socket connected to host:port (from `sourceAddress` when given), with send and
    /// receive timeouts; the caller closes it.
    static func connectedSocket(host: String, port: Int, sourceAddress: String?, timeout: Double) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket(): errno \(errno)") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - floor(timeout)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if let sourceAddress {
            var local = address(sourceAddress, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(fd)
                throw FixtureError("bind to \(sourceAddress): errno \(errno)")
            }
        }
        var remote = address(host, port: port)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw FixtureError("connect to \(host):\(port): errno \(errno)")
        }
        return fd
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8], to peer: String) throws {
        if let code = Loopback.sendAll(fd, bytes) { throw FixtureError("send to \(peer): errno \(code)") }
    }

    private static func address(_ ip: String, port: Int) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = inet_addr(ip)
        return a
    }

    /// Parses a `Connection: close` response (Content-Length or read-to-end; chunked decoded).
    static func parse(_ bytes: [UInt8]) throws -> Response {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw FixtureError("incomplete HTTP response: \(text.prefix(200))") }
        let head = text[..<split.lowerBound].split(separator: "\r\n")
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1."),
              let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw FixtureError("bad HTTP status line: \(head.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ body: String) -> String {
        var rest = Substring(body), out = ""
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound].split(separator: ";").first ?? "", radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let chunk = rest.utf8.dropFirst(rest.utf8.distance(from: rest.startIndex, to: start)).prefix(size)
            out += String(decoding: chunk, as: UTF8.self)
            rest = rest[rest.utf8.index(start, offsetBy: min(size + 2, rest.utf8.distance(from: start, to: rest.endIndex)))...]
        }
        return out
    }
}
