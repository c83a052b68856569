import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small HTTP client for end-to-end tests: JSON in, status + JSON out.
struct APIClient: Sendable {
    struct Response: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    let baseURL: String
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        configuration.httpMaximumConnectionsPerHost = 64
        return URLSession(configuration: configuration)
    }()

    init(baseURL: String) { self.baseURL = baseURL }

    func send(_ method: String, _ path: String, json: Any? = nil, rawBody: Data? = nil, token: String? = nil,
              headers: [String: String] = [:]) async throws -> Response {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed])
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let rawBody {
            request.httpBody = rawBody
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        var all: [String: String] = [:]
        for (key, value) in http.allHeaderFields { all["\(key)"] = "\(value)" }
        return Response(status: http.statusCode, headers: all, body: data)
    }

    // Accounts shortcuts.

    func signUp(_ username: String, password: String = "correct horse battery", name: String? = nil) async throws -> Response {
        try await send("POST", "/api/v1/users", json: ["username": username, "password": password,
                                                        "displayName": name ?? username])
    }

    func logIn(_ username: String, password: String = "correct horse battery") async throws -> Response {
        try await send("POST", "/api/v1/tokens", json: ["username": username, "password": password])
    }

    /// Signs up and logs in; returns (userId, accessToken, refreshToken).
    func newUser(_ username: String) async throws -> (id: Int64, access: String, refresh: String) {
        let created = try await signUp(username)
        guard created.status == 201, let id = (created.json["id"] as? NSNumber)?.int64Value else {
            throw TestFailure("sign-up of \(username) answered \(created.status): \(created.text)")
        }
        let tokens = try await logIn(username)
        guard tokens.status == 200, let access = tokens.json["accessToken"] as? String,
              let refresh = tokens.json["refreshToken"] as? String else {
            throw TestFailure("login of \(username) answered \(tokens.status): \(tokens.text)")
        }
        return (id, access, refresh)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Unique names per test run, so tests sharing a database never collide.
enum Unique {
    private static let prefix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
    private static let counter = Mutex(0)
    static func username(_ base: String) -> String {
        let n = counter.withLock { $0 += 1; return $0 }
        return String("\(base)_\(prefix)\(n)".prefix(32))
    }
}
