import Foundation
import Shared

/// Revokes sessions (refresh token families): the database first, then Redis.
///
/// The database row and a `session.revoked` outbox event commit in the caller's transaction;
/// the publisher later sets `chat:revoked:sid:{sid}` in the same script that announces it.
/// `markNow` also sets the key at once after commit, so this and every other instance refuse
/// the session's access tokens before the event has even been published.
struct SessionRevocation: Sendable {
    /// The marker outlives every access token the session could have signed.
    static let markerSeconds = AccessTokenIssuer.lifetimeSeconds + 60

    let redis: RedisPool
    let logger: Logger

    /// Marks the sessions revoked in the transaction on `connection`; returns the events to append.
    static func revoke(sessionIds: [Int64], userId: Int64, reason: String,
                       on connection: DatabaseConnection) throws -> [OutboxEvent] {
        var events: [OutboxEvent] = []
        for sid in sessionIds {
            let result = try connection.execute(
                "UPDATE sessions SET revoked_at = NOW(3), revoked_reason = ? WHERE id = ? AND revoked_at IS NULL",
                [.string(reason), .int(sid)])
            guard result.affectedRows > 0 else { continue }
            _ = try connection.execute("UPDATE refresh_tokens SET revoked_at = NOW(3) WHERE session_id = ? AND revoked_at IS NULL", [.int(sid)])
            struct Payload: Encodable { let sid: String; let reason: String }
            events.append(OutboxEvent(channel: .user(userId), type: "session.revoked", roomId: nil,
                                      dataJSON: EventData.json(Payload(sid: String(sid), reason: reason))))
        }
        return events
    }

    /// Sets the Redis markers right away (best effort; the publisher sets them again).
    func markNow(sessionIds: [Int64]) {
        guard !sessionIds.isEmpty else { return }
        do {
            try redis.with { client in
                for sid in sessionIds {
                    _ = try client.command(["SET", RedisKeys.revokedSession(String(sid)), "1",
                                            "EX", String(Self.markerSeconds)])
                }
            }
        } catch {
            logger.warning("revocation marker deferred to the publisher: redis unavailable")
        }
    }
}
