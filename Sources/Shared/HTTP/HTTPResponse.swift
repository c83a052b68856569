import Foundation

/// A response as handlers build it; the server adds `Date`, `Content-Length` and `Connection`.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Set with status 101 to take the connection over (WebSocket): after the 101 is written,
    /// the server makes the returned handler the connection's handler.
    public var upgrade: (@Sendable (Connection) -> ConnectionHandler)?
    /// Set by `.deferred(_:)`: the server answers with what this responder completes, later.
    public var responder: HTTPResponder?

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static let jsonContentType = "application/json; charset=utf-8"
    public static let problemContentType = "application/problem+json"

    /// `value` encoded as JSON; an encoding failure (a bug, not a client error) answers 500.
    public static func json<T: Encodable>(_ value: T, status: Int = 200) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // The contract's time format: RFC 3339 UTC with milliseconds.
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(HTTPDate.rfc3339(date))
        }
        guard let data = try? encoder.encode(value) else { return .problem(.internalError()) }
        return HTTPResponse(status: status, headers: ["Content-Type": jsonContentType], body: Array(data))
    }

    /// Already-encoded JSON text.
    public static func jsonText(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": jsonContentType], body: Array(text.utf8))
    }

    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
    }

    public static func noContent() -> HTTPResponse { HTTPResponse(status: 204) }

    public static func problem(_ problem: Problem) -> HTTPResponse {
        var headers = problem.headers
        headers.set("Content-Type", problemContentType)
        return HTTPResponse(status: problem.status, headers: headers, body: Array(problem.json.utf8))
    }
}
