import Foundation
import Shared

/// `GET /ws`: checks the handshake and the access token (from `Authorization: Bearer` or
/// `?token=`), refuses with 401 before the upgrade, else answers 101 and hands the
/// connection to the relay. Runs on the HTTP worker pool: the revoked-sid check blocks.
struct WebSocketEndpoint: Sendable {
    let relay: RelayHub
    let revocations: @Sendable (String) throws -> Bool

    /// The token a browser or a client sent; nil when there is none. A Bearer header wins;
    /// any other `Authorization` (a proxy's Basic, say) leaves `?token=` to speak.
    static func token(authorization: String?, query: [String: String]) -> String? {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingCharacters(in: .whitespaces)
                return token.isEmpty ? nil : token
            }
        }
        if let token = query["token"], !token.isEmpty { return token }
        return nil
    }

    /// What a refused client is told: the reason itself stays in the log (JWTError says why).
    static let refusedTokenDetail = "The access token is invalid or expired."

    func handle(_ request: HTTPRequest) throws -> HTTPResponse {
        let accept: String
        switch WebSocketHandshake.validate(method: request.method.rawValue, header: { request.headers[$0] }) {
        case .success(let key): accept = key
        case .failure(let error):
            var problem = Problem(status: error.status, detail: error.detail)
            for (name, value) in error.headers { problem.headers.set(name, value) }
            throw problem
        }
        guard let token = Self.token(authorization: request.headers["authorization"], query: request.query) else {
            relay.stats.upgradesRefused.increment()
            throw Problem.unauthorized(detail: "an access token is required (Authorization: Bearer or ?token=)")
        }
        let claims: AccessClaims
        do {
            claims = try relay.keys.verify(token)
        } catch {
            relay.stats.upgradesRefused.increment()
            relay.logger?.info("ws refused", ["reason": .string(error.detail)])
            throw Problem.unauthorized(detail: Self.refusedTokenDetail)
        }
        let revoked: Bool
        do {
            revoked = try revocations(claims.sid)
        } catch {
            throw Problem.serviceUnavailable(retryAfter: 1, detail: "session store unavailable")
        }
        guard !revoked else {
            relay.stats.upgradesRefused.increment()
            throw Problem.unauthorized(detail: "session revoked")
        }
        var response = HTTPResponse(status: 101)
        for (name, value) in WebSocketHandshake.responseHeaders(acceptKey: accept) { response.headers.set(name, value) }
        let relay = self.relay
        response.upgrade = { connection in relay.makeWebSocket(for: connection, claims: claims) }
        return response
    }
}
