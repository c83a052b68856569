/// A complete request as handlers see it.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The request target as sent, e.g. `/api/v1/rooms?limit=5`.
    public var target: String
    /// The path without the query, still percent-encoded.
    public var path: String
    /// Query parameters, percent-decoded (`+` is a space); the last of repeated names wins.
    public var query: [String: String]
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var peer: SocketAddress
    /// Filled by the router from the matched template, percent-decoded.
    public var pathParameters: [String: String] = [:]
    /// The matched route template (`/api/v1/rooms/{roomId}`), for metrics and logs; nil if none matched.
    public var routeTemplate: String?
    /// From a sane `X-Request-Id` header, else generated; echoed on the response.
    public var requestId: String = ""

    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = HTTPHeaders(),
                body: [UInt8] = [], peer: SocketAddress) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.peer = peer
        (path, query) = HTTPRequest.split(target)
    }

    /// Builds a request from a parsed head and its body.
    public init(head: HTTPRequestHead, body: [UInt8], peer: SocketAddress) {
        self.init(method: head.method, target: head.target, version: head.version, headers: head.headers,
                  body: body, peer: peer)
    }

    public func pathParameter(_ name: String) -> String? { pathParameters[name] }

    /// Path and decoded query of a target; an absolute-form target (`http://h/p`) keeps only its path.
    static func split(_ target: String) -> (String, [String: String]) {
        // The common origin-form target without a query is its own path: no copy, no scan by Character.
        if target.utf8.first == UInt8(ascii: "/") && !target.utf8.contains(UInt8(ascii: "?")) { return (target, [:]) }
        var rest = Substring(target)
        if !rest.hasPrefix("/"), let scheme = rest.range(of: "://") {
            let afterScheme = rest[scheme.upperBound...]
            rest = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterScheme[$0...] } ?? "/"
            if rest.hasPrefix("?") { rest = "/" + rest }
        }
        guard let q = rest.firstIndex(of: "?") else { return (String(rest), [:]) }
        var query: [String: String] = [:]
        for pair in rest[rest.index(after: q)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentDecoding.decode(parts[0], plusIsSpace: true) ?? String(parts[0])
            let value = parts.count > 1 ? (PercentDecoding.decode(parts[1], plusIsSpace: true) ?? String(parts[1])) : ""
            query[name] = value
        }
        return (String(rest[..<q]), query)
    }
}

enum PercentDecoding {
    /// Decodes `%XX` escapes as UTF-8; nil when an escape is malformed or the bytes are not UTF-8.
    static func decode(_ s: Substring, plusIsSpace: Bool = false) -> String? {
        guard s.utf8.contains(UInt8(ascii: "%")) || (plusIsSpace && s.utf8.contains(UInt8(ascii: "+"))) else {
            return String(s)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        while let c = it.next() {
            if c == UInt8(ascii: "%") {
                guard let h = it.next().flatMap(HTTPSyntax.hexValue), let l = it.next().flatMap(HTTPSyntax.hexValue)
                else { return nil }
                bytes.append(UInt8(h * 16 + l))
            } else if plusIsSpace, c == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else {
                bytes.append(c)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
