import Foundation
import Shared

/// SQL for sessions (refresh token families) and their refresh tokens.
enum TokenRepository {
    struct PresentedToken {
        let tokenId: Int64
        let sessionId: Int64
        let userId: Int64
        let spent: Bool
        let usable: Bool  // neither revoked nor expired, and the user still exists
    }

    /// Opens a session with its first refresh token; returns the session id.
    static func openSession(userId: Int64, tokenHash: [UInt8], now: Date, on db: DatabaseConnection) throws -> Int64 {
        let session = try db.execute("INSERT INTO sessions (user_id, created_at) VALUES (?, ?)",
                                     [.int(userId), .date(now)]).lastInsertId
        try insertToken(sessionId: session, userId: userId, tokenHash: tokenHash, now: now, on: db)
        return session
    }

    static func insertToken(sessionId: Int64, userId: Int64, tokenHash: [UInt8], now: Date,
                            on db: DatabaseConnection) throws {
        _ = try db.execute("""
            INSERT INTO refresh_tokens (session_id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
            """, [.int(sessionId), .int(userId), .bytes(tokenHash), .date(now),
                  .date(now.addingTimeInterval(TimeInterval(AccessTokenIssuer.refreshLifetimeSeconds)))])
    }

    /// Finds a presented token and locks its row for the rest of the transaction.
    static func lock(tokenHash: [UInt8], on db: DatabaseConnection) throws -> PresentedToken? {
        let rows = try db.query("""
            SELECT t.id, t.session_id, s.user_id, t.spent_at IS NOT NULL,
                   t.revoked_at IS NULL AND s.revoked_at IS NULL AND t.expires_at > NOW(3) AND u.deleted_at IS NULL
            FROM refresh_tokens t
            JOIN sessions s ON s.id = t.session_id
            JOIN users u ON u.id = s.user_id
            WHERE t.token_hash = ? FOR UPDATE
            """, [.bytes(tokenHash)])
        guard let row = rows.first, let id = row.int(0), let session = row.int(1), let user = row.int(2) else { return nil }
        return PresentedToken(tokenId: id, sessionId: session, userId: user,
                              spent: row.bool(3) ?? true, usable: row.bool(4) ?? false)
    }

    static func markSpent(tokenId: Int64, on db: DatabaseConnection) throws {
        _ = try db.execute("UPDATE refresh_tokens SET spent_at = NOW(3) WHERE id = ?", [.int(tokenId)])
    }

    static func liveSessionIds(userId: Int64, on db: DatabaseConnection) throws -> [Int64] {
        try db.query("SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL FOR UPDATE", [.int(userId)])
            .compactMap { $0.int(0) }
    }
}
