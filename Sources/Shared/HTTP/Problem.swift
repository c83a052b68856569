/// One invalid field of a request, for a 400's `errors` list.
public struct FieldError: Codable, Sendable, Equatable {
    public var field: String
    public var message: String
    public init(field: String, message: String) { self.field = field; self.message = message }
}

/// An RFC 9457 problem detail; thrown from a handler it becomes an `application/problem+json` answer.
public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var title: String
    public var detail: String?
    /// A URI reference naming the problem type; `about:blank` means "see the status code".
    public var type: String
    public var instance: String?
    /// Invalid fields; only for validation failures (400).
    public var errors: [FieldError]
    /// Extra response headers the problem implies (`Allow`, `Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPHeaders

    public init(status: Int, title: String? = nil, detail: String? = nil, type: String = "about:blank",
                instance: String? = nil, errors: [FieldError] = [], headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.title = title ?? HTTPStatus.reasonPhrase(status)
        self.detail = detail
        self.type = type
        self.instance = instance
        self.errors = errors
        self.headers = headers
    }

    public var description: String { "\(status) \(title)" + (detail.map { ": \($0)" } ?? "") }

    public static func badRequest(detail: String? = nil, errors: [FieldError] = []) -> Problem {
        Problem(status: 400, detail: detail, errors: errors)
    }
    public static func unauthorized(detail: String? = nil) -> Problem {
        Problem(status: 401, detail: detail, headers: ["WWW-Authenticate": "Bearer error=\"invalid_token\""])
    }
    public static func forbidden(detail: String? = nil) -> Problem { Problem(status: 403, detail: detail) }
    public static func notFound(detail: String? = nil) -> Problem { Problem(status: 404, detail: detail) }
    public static func methodNotAllowed(allow: [HTTPMethod]) -> Problem {
        Problem(status: 405, headers: ["Allow": allow.map(\.rawValue).joined(separator: ", ")])
    }
    public static func conflict(detail: String? = nil) -> Problem { Problem(status: 409, detail: detail) }
    public static func payloadTooLarge(detail: String? = nil) -> Problem { Problem(status: 413, detail: detail) }
    public static func unsupportedMediaType(detail: String? = "expected application/json") -> Problem {
        Problem(status: 415, detail: detail)
    }
    public static func tooManyRequests(retryAfter seconds: Int) -> Problem {
        Problem(status: 429, headers: ["Retry-After": String(max(0, seconds))])
    }
    public static func internalError() -> Problem { Problem(status: 500) }
    public static func serviceUnavailable(retryAfter seconds: Int, detail: String? = nil) -> Problem {
        Problem(status: 503, detail: detail, headers: ["Retry-After": String(max(0, seconds))])
    }

    /// The problem as JSON text, members in RFC 9457 order; `errors` only when there are any.
    public var json: String {
        var out = "{\"type\":\(JSONText.quoted(type)),\"title\":\(JSONText.quoted(title)),\"status\":\(status)"
        if let detail { out += ",\"detail\":\(JSONText.quoted(detail))" }
        if let instance { out += ",\"instance\":\(JSONText.quoted(instance))" }
        if !errors.isEmpty {
            out += ",\"errors\":["
            out += errors.map { "{\"field\":\(JSONText.quoted($0.field)),\"message\":\(JSONText.quoted($0.message))}" }
                .joined(separator: ",")
            out += "]"
        }
        return out + "}"
    }
}
