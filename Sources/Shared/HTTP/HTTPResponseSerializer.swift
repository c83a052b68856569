/// Writes a response head and body as HTTP/1.1 bytes.
public enum HTTPResponseSerializer {
    /// The bytes of `response`.
    /// - Parameters:
    ///   - isHead: the request was HEAD: the body is omitted but `Content-Length` still says its size.
    ///   - keepAlive: whether the connection stays open; `Connection: close` is sent otherwise.
    ///   - requestVersion: an HTTP/1.0 client kept alive needs `Connection: keep-alive`.
    public static func serialize(_ response: HTTPResponse, isHead: Bool = false, keepAlive: Bool,
                                 requestVersion: HTTPVersion = .http1_1, date: String = HTTPDate.now()) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status) \(HTTPStatus.reasonPhrase(response.status))\r\n"
        head.reserveCapacity(256)
        let noBody = HTTPStatus.forbidsBody(response.status)
        var sawContentType = false
        for (name, value) in response.headers {
            // The serializer owns framing and connection headers; a handler's copy would lie.
            if HTTPHeaders.namesEqual(name, "Content-Length") || HTTPHeaders.namesEqual(name, "Transfer-Encoding")
                || HTTPHeaders.namesEqual(name, "Date") || HTTPHeaders.namesEqual(name, "Connection") {
                continue
            }
            if HTTPHeaders.namesEqual(name, "Content-Type") { sawContentType = true }
            head += name
            head += ": "
            head += sanitized(value)
            head += "\r\n"
        }
        head += "Date: \(date)\r\n"
        if response.status == 101 {
            head += "Connection: Upgrade\r\n"
        } else {
            if !noBody {
                head += "Content-Length: \(response.body.count)\r\n"
                if !sawContentType && !response.body.isEmpty { head += "Content-Type: application/octet-stream\r\n" }
            }
            if !keepAlive {
                head += "Connection: close\r\n"
            } else if requestVersion == .http1_0 {
                head += "Connection: keep-alive\r\n"
            }
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if !isHead && !noBody { bytes += response.body }
        return bytes
    }

    /// `100 Continue`, sent when a client waits for it before its body.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// A header value cannot carry CR or LF: that would let a value inject headers.
    private static func sanitized(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) else { return value }
        return String(value.map { $0 == "\r" || $0 == "\n" || $0 == "\r\n" ? " " : $0 })
    }
}
