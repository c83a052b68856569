import Foundation
import Shared

/// Who is calling: the verified access token's user and session.
struct Caller: Sendable {
    let userId: Int64
    let sessionId: Int64
}

/// Checks `Authorization: Bearer` tokens: signature and claims, then the session's revocation.
///
/// Revocation is looked up in Redis (`chat:revoked:sid:{sid}`), which every instance shares.
/// When Redis cannot answer, the session row on the primary does, so an outage never lets a
/// revoked token back in.
struct Authenticator: Sendable {
    let keys: JWTKeySet
    let redis: RedisPool
    let database: Database
    let logger: Logger

    /// - Throws: `Problem` 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
    func authenticate(_ request: HTTPRequest) throws -> Caller {
        guard let header = request.headers["authorization"],
              header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Problem.unauthorized(detail: "An access token is required.")
        }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let claims: AccessClaims
        do {
            claims = try keys.verify(token, now: Date())
        } catch {
            throw Problem.unauthorized(detail: "The access token is invalid or expired.")
        }
        guard let sid = Int64(claims.sid) else {
            throw Problem.unauthorized(detail: "The access token is invalid or expired.")
        }
        if try isRevoked(sid) {
            throw Problem.unauthorized(detail: "The session has ended.")
        }
        return Caller(userId: claims.userId, sessionId: sid)
    }

    private func isRevoked(_ sid: Int64) throws -> Bool {
        do {
            let reply = try redis.with { try $0.command(["EXISTS", RedisKeys.revokedSession(String(sid))]) }
            return reply == .integer(1)
        } catch {
            logger.warning("revocation check from the database: redis unavailable")
            let rows = try database.readPrimary { db in
                try db.query("SELECT revoked_at IS NOT NULL FROM sessions WHERE id = ?", [.int(sid)])
            }
            return rows.first?.bool(0) ?? true
        }
    }
}
