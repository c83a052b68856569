extension WebSocketHandshake {
    /// Checks an upgrade request (repeated headers are joined, so a repeated key fails).
    /// - Returns: the accept key, or the problem to answer with (400, 405, or 426 naming version 13).
    public static func validate(_ request: HTTPRequest) -> Result<String, Problem> {
        validate(method: request.method.rawValue) { name in
            let values = request.headers.values(for: name)
            return values.isEmpty ? nil : values.joined(separator: ", ")
        }
        .mapError { error in
            Problem(status: error.status, detail: error.detail,
                    headers: HTTPHeaders(error.headers.map { ($0.name, $0.value) }))
        }
    }

    /// The answer to an upgrade request: 101 handing the connection to `makeHandler` (the
    /// HTTP server installs it and passes it any bytes read past the request), or the problem.
    ///
    /// Authenticate before calling this: a bad token is a 401, never an upgrade.
    public static func upgradeResponse(for request: HTTPRequest,
                                       _ makeHandler: @escaping @Sendable (Connection) -> ConnectionHandler)
        -> HTTPResponse {
        switch validate(request) {
        case .failure(let problem):
            return .problem(problem)
        case .success(let accept):
            var response = HTTPResponse(status: 101,
                                        headers: HTTPHeaders(responseHeaders(acceptKey: accept).map { ($0.name, $0.value) }))
            response.upgrade = makeHandler
            return response
        }
    }
}
