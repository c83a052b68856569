/// Why a request could not be parsed, with the status to answer before closing.
///
/// Every parse error ends the connection: after a framing error the server cannot know
/// where the next request would start (that ambiguity is what request smuggling exploits).
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status to answer: 400, 413, 414, 417, 431, 501 or 505.
    public let status: Int
    /// A short human reason, safe to show the client.
    public let reason: String

    init(_ status: Int, _ reason: String) { self.status = status; self.reason = reason }

    static func bad(_ reason: String) -> HTTPParseError { HTTPParseError(400, reason) }
    static let headerTooLarge = HTTPParseError(431, "request header fields too large")
    static let tooManyHeaders = HTTPParseError(431, "too many header fields")
    static let uriTooLong = HTTPParseError(414, "request target too long")
    static let bodyTooLarge = HTTPParseError(413, "request body too large")

    public var description: String { "\(status) \(reason)" }
}
