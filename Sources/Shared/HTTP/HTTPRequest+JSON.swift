import Foundation

extension HTTPRequest {
    /// Decodes the body as JSON, answering the contract's errors as thrown `Problem`s:
    /// 415 unless `Content-Type` is `application/json` (or `+json`), 400 for an empty or
    /// malformed body or a missing or mistyped field (named in `errors`). Unknown fields are ignored.
    public func decodeJSON<T: Decodable>(_ type: T.Type = T.self) throws(Problem) -> T {
        guard let contentType = headers["Content-Type"], Self.isJSON(contentType) else {
            throw .unsupportedMediaType()
        }
        guard !body.isEmpty else { throw .badRequest(detail: "a JSON body is required") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw Self.problem(for: error)
        } catch {
            throw .badRequest(detail: "malformed JSON")
        }
    }

    static func isJSON(_ contentType: String) -> Bool {
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingOWS().lowercased() } ?? ""
        return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
    }

    private static func problem(for error: DecodingError) -> Problem {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .badRequest(detail: "invalid fields",
                               errors: [FieldError(field: path(context.codingPath + [key]), message: "is required")])
        case .typeMismatch(_, let context) where context.codingPath.isEmpty:
            return .badRequest(detail: "the body is JSON of the wrong type (an object is expected)")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return .badRequest(detail: "invalid fields",
                               errors: [FieldError(field: path(context.codingPath), message: "has the wrong type")])
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return .badRequest(detail: "invalid fields",
                               errors: [FieldError(field: path(context.codingPath), message: "is invalid")])
        default:
            return .badRequest(detail: "malformed JSON")
        }
    }
}
