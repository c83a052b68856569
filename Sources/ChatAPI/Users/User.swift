import Foundation
import Shared

/// A user as the API shows it.
struct UserResource: Encodable, Sendable, Equatable {
    let id: Int64
    let username: String
    let displayName: String
    let createdAt: String
}

/// The sign-up rules of CONTRACT.md, shared by validation and the OpenAPI document.
enum UserRules {
    static let usernameLength = 3...32
    static let passwordLength = 8...128
    static let displayNameLength = 1...64

    /// `[a-z0-9_.]` only: lowercase so that two people cannot look alike by case.
    static func isValidUsername(_ name: String) -> Bool {
        name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2E }
    }
}
