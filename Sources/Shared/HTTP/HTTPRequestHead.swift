/// The parsed head of a request: what the request line and header fields said, plus the
/// framing and connection decisions derived from them.
public struct HTTPRequestHead: Sendable, Equatable {
    /// How the body is delimited.
    public enum Framing: Sendable, Equatable {
        case none
        case length(Int)
        case chunked
    }

    public var method: HTTPMethod
    /// The request target as sent (origin-form, e.g. `/a/b?x=1`; `*` for `OPTIONS *`).
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var framing: Framing
    /// Whether the connection may serve another request after this one.
    public var keepAlive: Bool
    /// The client sent `Expect: 100-continue` and waits for `100 Continue` before the body.
    public var expectsContinue: Bool
}

/// Limits the parser enforces; the defaults are the project's (issue 2, item 3).
public struct HTTPParserLimits: Sendable, Equatable {
    /// Bytes of header field lines (the request line not included) → 431 above.
    public var maxHeaderBytes: Int = 16 * 1024
    /// Bytes of the request target → 414 above.
    public var maxURIBytes: Int = 8 * 1024
    /// Number of header fields → 431 above.
    public var maxHeaderCount: Int = 100
    /// Bytes of a body (declared or, when chunked, as it grows) → 413 above.
    public var maxBodyBytes: Int = 1024 * 1024

    public init(maxHeaderBytes: Int = 16 * 1024, maxURIBytes: Int = 8 * 1024,
                maxHeaderCount: Int = 100, maxBodyBytes: Int = 1024 * 1024) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxURIBytes = maxURIBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}

/// What the parser produced: a head, a piece of body, or the end of a request.
public enum HTTPParserEvent: Sendable, Equatable {
    case head(HTTPRequestHead)
    case body([UInt8])
    /// The request is complete; `trailers` holds a chunked body's trailer fields.
    case end(trailers: HTTPHeaders)
}
