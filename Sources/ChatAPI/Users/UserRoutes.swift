import Foundation
import Shared

/// `/api/v1/users`: sign up, who am I, delete my account.
enum UserRoutes {
    static func register(on router: RouterBuilder, _ context: APIContext) {
        router.add(.post, "/api/v1/users") { request in try signUp(request, context) }
        router.add(.get, "/api/v1/users/me") { request in
            let caller = try context.authenticator.authenticate(request)
            guard let user = try context.database.read(for: caller.userId, { try UserRepository.find(id: caller.userId, on: $0) }) else {
                throw Problem.notFound(detail: "The user no longer exists.")
            }
            return .json(user)
        }
        router.add(.delete, "/api/v1/users/me") { request in try deleteMe(request, context) }
    }

    private static func signUp(_ request: HTTPRequest, _ context: APIContext) throws -> HTTPResponse {
        var body = try JSONBody(request)
        let username = body.string("username", length: UserRules.usernameLength)
        let password = body.string("password", length: UserRules.passwordLength)
        let displayName = body.string("displayName", length: UserRules.displayNameLength)
        if let username, !UserRules.isValidUsername(username) {
            body.reject("username", "may contain only a-z, 0-9, '_' and '.'")
        }
        if let displayName, displayName.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            body.reject("displayName", "must not be blank")
        }
        try body.finish()
        guard let username, let password, let displayName else { throw Problem.badRequest(detail: "Some fields are invalid.") }

        try context.rateLimiter.hit(context.rateLimits.signUpPerAddress, subject: context.clientAddress.address(of: request))
        // A cheap answer for the common duplicate before spending a password hash on it;
        // the unique key still decides races.
        if try context.database.readPrimary({ try UserRepository.usernameTaken(username, on: $0) }) {
            throw Problem.conflict(detail: "The username is taken.")
        }
        let hash = try context.passwords.hash(password)
        let now = Date()
        do {
            // No read-your-writes position yet: the first read of this user follows a login,
            // which records one that includes this insert.
            let user: UserResource = try context.database.write(for: nil) { db in
                let id = try UserRepository.insert(username: username, displayName: displayName,
                                                   passwordHash: hash, createdAt: now, on: db)
                return UserResource(id: id, username: username, displayName: displayName,
                                    createdAt: Timestamp.string(now))
            }
            return .json(user, status: 201)
        } catch DatabaseError.duplicate {
            throw Problem.conflict(detail: "The username is taken.")
        }
    }

    private static func deleteMe(_ request: HTTPRequest, _ context: APIContext) throws -> HTTPResponse {
        let caller = try context.authenticator.authenticate(request)
        var body = try JSONBody(request)
        let password = body.string("password", length: 1...UserRules.passwordLength.upperBound)
        try body.finish()
        guard let password,
              let credentials = try context.database.readPrimary({ try UserRepository.credentials(id: caller.userId, on: $0) })
        else { throw Problem.unauthorized(detail: "The user no longer exists.") }
        guard try context.passwords.verify(password, against: credentials.passwordHash) else {
            throw Problem.forbidden(detail: "The password is wrong.")
        }
        let sessions: [Int64] = try context.write(for: caller.userId) { db in
            guard try UserRepository.softDelete(id: caller.userId, on: db) else { return ([], []) }
            let ids = try TokenRepository.liveSessionIds(userId: caller.userId, on: db)
            // user.deleted goes first, so live sockets close with 4003 (account gone) rather than
            // 4002 (session ended) for each revocation that follows.
            struct Deleted: Encodable { let userId: Int64 }
            let deleted = OutboxEvent(channel: .user(caller.userId), type: "user.deleted", roomId: nil,
                                      dataJSON: EventData.json(Deleted(userId: caller.userId)))
            let revocations = try SessionRevocation.revoke(sessionIds: ids, userId: caller.userId,
                                                           reason: "user_deleted", on: db)
            return (ids, [deleted] + revocations)
        }
        context.revocation.markNow(sessionIds: sessions)
        return .noContent()
    }
}
