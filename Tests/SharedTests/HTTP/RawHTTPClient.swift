import Foundation
import TestSupport
import Glibc

/// A blocking TCP client for tests that need bytes curl will not send (pipelining, malformed input).
final class RawHTTPClient: Sendable {
    let fd: Int32

    init(port: Int, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPClientError("socket failed") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = Loopback.connect(fd, port: port)
        guard rc == 0 else { Glibc.close(fd); throw RawHTTPClientError("connect failed: errno \(errno)") }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Best effort: once the peer hung up the rest is not sent (the tests then read its answer).
    func send(_ bytes: [UInt8]) { _ = Loopback.sendAll(fd, bytes) }

    /// Reads until the peer closes or the timeout passes; `closed` says which.
    func readToEnd() -> (text: String, closed: Bool) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { out += buffer[0..<n]; continue }
            return (String(decoding: out, as: UTF8.self), n == 0 || errno == ECONNRESET)
        }
    }

    /// Reads until `count` complete responses (by Content-Length) have arrived.
    func readResponses(_ count: Int) -> [RawHTTPResponse] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var responses: [RawHTTPResponse] = []
        while responses.count < count {
            if let (response, used) = RawHTTPResponse.parse(data) {
                responses.append(response)
                data.removeFirst(used)
                continue
            }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return responses
    }
}

struct RawHTTPClientError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

struct RawHTTPResponse {
    var status: Int
    var headers: [String: String]  // lower-cased names
    var body: String

    static func parse(_ data: [UInt8]) -> (RawHTTPResponse, Int)? {
        let crlf2: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, data.count - 3)).first(where: { Array(data[$0..<$0 + 4]) == crlf2 }) else { return nil }
        let head = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard data.count >= end + 4 + length else { return nil }
        let body = String(decoding: data[(end + 4)..<(end + 4 + length)], as: UTF8.self)
        return (RawHTTPResponse(status: status, headers: headers, body: body), end + 4 + length)
    }
}

/// Runs curl and returns stdout, stderr and the exit status.
func runHTTPCurl(_ arguments: [String]) throws -> (out: String, err: String, status: Int32) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-sS", "--max-time", "10"] + arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self), process.terminationStatus)
}
