import Foundation
import Testing
import TestSupport

/// Accounts through nginx and two ChatAPI instances on a real primary + replica and Redis.
@Suite(.serialized) struct AccountsTests {
    @Test func signUpLogInAndReadMeAtOnceThroughEitherInstance() async throws {
        let client = try await APIStack.shared().client
        for _ in 0..<10 {
            let name = Unique.username("ryw")
            let user = try await client.newUser(name)
            let me = try await client.send("GET", "/api/v1/users/me", token: user.access)
            #expect(me.status == 200, "\(me.text)")
            #expect(me.json["username"] as? String == name)
            #expect((me.json["id"] as? NSNumber)?.int64Value == user.id)
            let created = try #require(me.json["createdAt"] as? String)
            #expect(created.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil)
            #expect(me.header("X-Request-Id") != nil)
        }
    }

    @Test func twentyConcurrentSignUpsOfOneNameMakeExactlyOneUser() async throws {
        let client = try await APIStack.shared().client
        let name = Unique.username("race")
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { try await client.signUp(name).status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 201 }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == 409 }.count == 19, "\(statuses)")
    }

    @Test func aReusedRefreshTokenRevokesTheWholeFamilyAtOnce() async throws {
        let client = try await APIStack.shared().client
        let user = try await client.newUser(Unique.username("reuse"))
        let rotated = try await client.send("POST", "/api/v1/tokens/refresh", json: ["refreshToken": user.refresh])
        #expect(rotated.status == 200)
        let newAccess = try #require(rotated.json["accessToken"] as? String)
        let newRefresh = try #require(rotated.json["refreshToken"] as? String)
        #expect(newRefresh != user.refresh)
        #expect(try await client.send("GET", "/api/v1/users/me", token: newAccess).status == 200)

        // The spent token comes back: a thief has it. The family ends, both access tokens die.
        let replay = try await client.send("POST", "/api/v1/tokens/refresh", json: ["refreshToken": user.refresh])
        #expect(replay.status == 401)
        for token in [user.access, newAccess] {
            let refused = try await client.send("GET", "/api/v1/users/me", token: token)
            #expect(refused.status == 401)
            #expect(refused.header("WWW-Authenticate")?.contains("invalid_token") == true)
        }
        let child = try await client.send("POST", "/api/v1/tokens/refresh", json: ["refreshToken": newRefresh])
        #expect(child.status == 401)
        // Revocation is announced on the user channel.
        let stack = try await APIStack.shared()
        let announced = try await eventually {
            try stack.infrastructure.redis.command(["XRANGE", "chat:user:\(user.id):log", "-", "+"]).contains("session.revoked")
        }
        #expect(announced)
    }

    @Test func logOutEndsTheSessionAndDeleteFreesTheUsername() async throws {
        let client = try await APIStack.shared().client
        let name = Unique.username("bye")
        let user = try await client.newUser(name)
        let out = try await client.send("DELETE", "/api/v1/tokens", json: ["refreshToken": user.refresh], token: user.access)
        #expect(out.status == 204)
        #expect(try await client.send("GET", "/api/v1/users/me", token: user.access).status == 401)
        #expect(try await client.send("POST", "/api/v1/tokens/refresh", json: ["refreshToken": user.refresh]).status == 401)

        let again = try await client.logIn(name)
        let access = try #require(again.json["accessToken"] as? String)
        let wrong = try await client.send("DELETE", "/api/v1/users/me", json: ["password": "not the password"], token: access)
        #expect(wrong.status == 403)
        let deleted = try await client.send("DELETE", "/api/v1/users/me", json: ["password": "correct horse battery"], token: access)
        #expect(deleted.status == 204)
        #expect(try await client.send("GET", "/api/v1/users/me", token: access).status == 401)
        #expect(try await client.logIn(name).status == 401)
        #expect(try await client.signUp(name).status == 201)
    }

    @Test func unknownUserAndWrongPasswordGetTheSameAnswer() async throws {
        let client = try await APIStack.shared().client
        let name = Unique.username("same")
        _ = try await client.newUser(name)
        let wrong = try await client.logIn(name, password: "wrong password")
        let unknown = try await client.logIn(Unique.username("nobody"), password: "wrong password")
        #expect(wrong.status == 401 && unknown.status == 401)
        #expect(wrong.json["detail"] as? String == unknown.json["detail"] as? String)
        #expect(wrong.header("Content-Type")?.hasPrefix("application/problem+json") == true)
    }

    @Test func forgedExpiredAndUnsignedTokensAreRefused() async throws {
        let stack = try await APIStack.shared()
        let client = stack.client
        let user = try await client.newUser(Unique.username("forge"))
        let now = Int(Date().timeIntervalSince1970)
        let claims: [String: Any] = ["iss": "chat-api", "sub": String(user.id), "typ": "access", "sid": "1",
                                     "iat": now, "exp": now + 600, "jti": "x"]
        let otherKey = TestJWT.sign(claims, secret: "another-secret-another-secret-another-secret")
        let expired = TestJWT.sign(claims.merging(["iat": now - 3600, "exp": now - 1800]) { $1 },
                                   secret: stack.infrastructure.jwtSecret)
        let unsigned = TestJWT.unsigned(claims)
        for token in [otherKey, expired, unsigned, "garbage", ""] {
            let response = try await client.send("GET", "/api/v1/users/me", token: token)
            #expect(response.status == 401, "\(token)")
        }
        #expect(try await client.send("GET", "/api/v1/users/me").status == 401)
    }

    @Test func hostileInputGetsTheSpecifiedErrorsAndValidInputIsStoredVerbatim() async throws {
        let client = try await APIStack.shared().client
        let tricky = "Robert'); DROP TABLE users;-- 😀𝄞"
        let name = Unique.username("o.k_")
        let created = try await client.signUp(name, name: tricky)
        #expect(created.status == 201)
        #expect(created.json["displayName"] as? String == tricky)
        let user = try await client.logIn(name)
        let token = try #require(user.json["accessToken"] as? String)
        let me = try await client.send("GET", "/api/v1/users/me", token: token)
        #expect(me.json["displayName"] as? String == tricky)

        let cases: [(Any?, Data?, [String: String], Int, String?)] = [
            (["username": "UPPER", "password": "long enough", "displayName": "x"], nil, [:], 400, "username"),
            (["username": "ab", "password": "long enough", "displayName": "x"], nil, [:], 400, "username"),
            (["username": String(repeating: "a", count: 33), "password": "long enough", "displayName": "x"], nil, [:], 400, "username"),
            (["username": "fine_name", "password": "short", "displayName": "x"], nil, [:], 400, "password"),
            (["username": "fine_name", "password": String(repeating: "p", count: 129), "displayName": "x"], nil, [:], 400, "password"),
            (["username": "fine_name", "password": "long enough", "displayName": String(repeating: "d", count: 65)], nil, [:], 400, "displayName"),
            (["username": 12, "password": true, "displayName": ["x"]], nil, [:], 400, "username"),
            (["username": "x' OR '1'='1", "password": "long enough", "displayName": "x"], nil, [:], 400, "username"),
            (nil, Data(), ["Content-Type": "application/json"], 400, nil),
            (nil, Data("{\"username\":".utf8), ["Content-Type": "application/json"], 400, nil),
            (nil, Data("[1,2]".utf8), ["Content-Type": "application/json"], 400, nil),
            (nil, Data("username=a".utf8), ["Content-Type": "application/x-www-form-urlencoded"], 415, nil),
        ]
        for (json, raw, headers, status, field) in cases {
            let response = try await client.send("POST", "/api/v1/users", json: json, rawBody: raw, headers: headers)
            #expect(response.status == status, "\(String(describing: json)) → \(response.text)")
            #expect(response.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            if let field {
                let errors = response.json["errors"] as? [[String: Any]] ?? []
                #expect(errors.contains { $0["field"] as? String == field }, "\(response.text)")
            }
        }
        let big = try await client.send("POST", "/api/v1/users", rawBody: Data(repeating: 0x61, count: 2 << 20),
                                        headers: ["Content-Type": "application/json"])
        #expect(big.status == 413)
        #expect(try await client.send("PATCH", "/api/v1/users/me", token: token).status == 405)
        #expect(try await client.send("GET", "/api/v1/nothing-here", token: token).status == 404)
    }
}

/// Log-in budgets live in Redis, so both instances behind nginx count together.
@Suite struct LoginRateLimitTests {
    @Test func theEleventhLoginForOneUsernameInAMinuteIs429WithRetryAfter() async throws {
        let client = try await APIStack.shared().client
        let name = Unique.username("brute")
        _ = try await client.newUser(name)  // one login spent here
        var statuses: [Int] = []
        for _ in 0..<10 { statuses.append(try await client.logIn(name, password: "guess guess guess").status) }
        #expect(statuses.prefix(9).allSatisfy { $0 == 401 }, "\(statuses)")
        #expect(statuses.last == 429, "\(statuses)")
        let limited = try await client.logIn(name)
        #expect(limited.status == 429)
        let retry = try #require(limited.header("Retry-After").flatMap(Int.init))
        #expect(retry >= 1 && retry <= 60)
    }
}
