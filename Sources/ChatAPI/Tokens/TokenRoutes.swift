import Foundation
import Shared
import Synchronization

/// `/api/v1/tokens`: log in, refresh (with rotation and reuse detection), log out.
enum TokenRoutes {
    static func register(on router: RouterBuilder, _ context: APIContext) {
        router.add(.post, "/api/v1/tokens") { request in try logIn(request, context) }
        router.add(.post, "/api/v1/tokens/refresh") { request in try refresh(request, context) }
        router.add(.delete, "/api/v1/tokens") { request in try logOut(request, context) }
    }

    /// A hash of a password no one has, verified when the username is unknown, so an unknown
    /// user and a wrong password cost the same time and get the same answer.
    private static let decoyHash = Mutex<String?>(nil)

    private static func logIn(_ request: HTTPRequest, _ context: APIContext) throws -> HTTPResponse {
        var body = try JSONBody(request)
        let username = body.string("username", length: 1...UserRules.usernameLength.upperBound)
        let password = body.string("password", length: 1...UserRules.passwordLength.upperBound)
        try body.finish()
        guard let username, let password else { throw Problem.badRequest(detail: "Some fields are invalid.") }

        try context.rateLimiter.hit(context.rateLimits.loginPerAddress, subject: context.clientAddress.address(of: request))
        try context.rateLimiter.hit(context.rateLimits.loginPerUsername, subject: username.lowercased())

        let credentials = try context.database.readPrimary { try UserRepository.credentials(username: username, on: $0) }
        let stored = try credentials?.passwordHash ?? decoy(context)
        let matches = try context.passwords.verify(password, against: stored)
        guard matches, let credentials else {
            throw Problem.unauthorized(detail: "The username or password is wrong.")
        }
        let (token, hash) = AccessTokenIssuer.newRefreshToken()
        let now = Date()
        let session: Int64 = try context.write(for: credentials.id) { db in
            (try TokenRepository.openSession(userId: credentials.id, tokenHash: hash, now: now, on: db), [])
        }
        return .json(context.tokens.pair(userId: credentials.id, sessionId: session, refreshToken: token, now: now))
    }

    private static func decoy(_ context: APIContext) throws -> String {
        if let hash = decoyHash.withLock({ $0 }) { return hash }
        let hash = try context.passwords.hash(Base64URL.encode(Crypto.randomBytes(24)))
        decoyHash.withLock { $0 = $0 ?? hash }
        return hash
    }

    private enum RefreshOutcome {
        case rotated(userId: Int64, sessionId: Int64)
        case reused(userId: Int64, sessionId: Int64)
        case refused
    }

    private static func refresh(_ request: HTTPRequest, _ context: APIContext) throws -> HTTPResponse {
        var body = try JSONBody(request)
        let presented = body.string("refreshToken", length: 1...256)
        try body.finish()
        guard let presented else { throw Problem.badRequest(detail: "Some fields are invalid.") }
        try context.rateLimiter.hit(context.rateLimits.refreshPerAddress, subject: context.clientAddress.address(of: request))

        let (next, nextHash) = AccessTokenIssuer.newRefreshToken()
        let now = Date()
        let outcome: RefreshOutcome = try context.write(for: nil) { db in
            guard let token = try TokenRepository.lock(tokenHash: AccessTokenIssuer.hash(presented), on: db) else {
                return (.refused, [])
            }
            if token.spent {
                // A spent token presented again means it leaked: end the whole family.
                let events = try SessionRevocation.revoke(sessionIds: [token.sessionId], userId: token.userId,
                                                          reason: "refresh_token_reused", on: db)
                return (.reused(userId: token.userId, sessionId: token.sessionId), events)
            }
            guard token.usable else { return (.refused, []) }
            try TokenRepository.markSpent(tokenId: token.tokenId, on: db)
            try TokenRepository.insertToken(sessionId: token.sessionId, userId: token.userId, tokenHash: nextHash,
                                              now: now, on: db)
            return (.rotated(userId: token.userId, sessionId: token.sessionId), [])
        }
        switch outcome {
        case .rotated(let userId, let sessionId):
            return .json(context.tokens.pair(userId: userId, sessionId: sessionId, refreshToken: next, now: now))
        case .reused(_, let sessionId):
            context.revocation.markNow(sessionIds: [sessionId])
            throw Problem.unauthorized(detail: "The refresh token was already used; the session is revoked.")
        case .refused:
            throw Problem.unauthorized(detail: "The refresh token is invalid or expired.")
        }
    }

    private static func logOut(_ request: HTTPRequest, _ context: APIContext) throws -> HTTPResponse {
        let caller = try context.authenticator.authenticate(request)
        var body = try JSONBody(request)
        let presented = body.string("refreshToken", length: 1...256)
        try body.finish()
        guard let presented else { throw Problem.badRequest(detail: "Some fields are invalid.") }
        let revoked: [Int64] = try context.write(for: caller.userId) { db in
            guard let token = try TokenRepository.lock(tokenHash: AccessTokenIssuer.hash(presented), on: db),
                  token.userId == caller.userId else {
                throw Problem.notFound(detail: "No session of yours has this refresh token.")
            }
            let events = try SessionRevocation.revoke(sessionIds: [token.sessionId], userId: caller.userId,
                                                      reason: "logout", on: db)
            return (events.isEmpty ? [] : [token.sessionId], events)
        }
        context.revocation.markNow(sessionIds: revoked)
        return .noContent()
    }
}
