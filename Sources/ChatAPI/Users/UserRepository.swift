import Foundation
import Shared

/// SQL for users. A deleted user keeps its row (messages still name it) but frees its
/// username: `username_active` is the unique column and becomes NULL on delete.
enum UserRepository {
    struct Credentials {
        let id: Int64
        let passwordHash: String
    }

    static func insert(username: String, displayName: String, passwordHash: String, createdAt: Date,
                       on db: DatabaseConnection) throws -> Int64 {
        let result = try db.execute("""
            INSERT INTO users (username, username_active, display_name, password_hash, created_at)
            VALUES (?, ?, ?, ?, ?)
            """, [.string(username), .string(username), .string(displayName), .string(passwordHash), .date(createdAt)])
        return result.lastInsertId
    }

    static func usernameTaken(_ username: String, on db: DatabaseConnection) throws -> Bool {
        try !db.query("SELECT 1 FROM users WHERE username_active = ?", [.string(username)]).isEmpty
    }

    static func find(id: Int64, on db: DatabaseConnection) throws -> UserResource? {
        let rows = try db.query("""
            SELECT id, username, display_name, created_at FROM users WHERE id = ? AND deleted_at IS NULL
            """, [.int(id)])
        return rows.first.flatMap(resource)
    }

    static func credentials(username: String, on db: DatabaseConnection) throws -> Credentials? {
        let rows = try db.query("SELECT id, password_hash FROM users WHERE username_active = ?", [.string(username)])
        guard let row = rows.first, let id = row.int(0), let hash = row.string(1) else { return nil }
        return Credentials(id: id, passwordHash: hash)
    }

    static func credentials(id: Int64, on db: DatabaseConnection) throws -> Credentials? {
        let rows = try db.query("SELECT id, password_hash FROM users WHERE id = ? AND deleted_at IS NULL", [.int(id)])
        guard let row = rows.first, let found = row.int(0), let hash = row.string(1) else { return nil }
        return Credentials(id: found, passwordHash: hash)
    }

    /// Soft delete; returns false when the user was already gone.
    static func softDelete(id: Int64, on db: DatabaseConnection) throws -> Bool {
        try db.execute("""
            UPDATE users SET deleted_at = NOW(3), username_active = NULL WHERE id = ? AND deleted_at IS NULL
            """, [.int(id)]).affectedRows > 0
    }

    private static func resource(_ row: SQLRow) -> UserResource? {
        guard let id = row.int(0), let username = row.string(1), let name = row.string(2),
              let created = row.date(3) else { return nil }
        return UserResource(id: id, username: username, displayName: name, createdAt: Timestamp.string(created))
    }
}
