import Foundation
import Testing
import TestSupport
@testable import Shared

@Suite struct JWTTests {
    static let secret = "0123456789abcdef0123456789abcdef-test-secret"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func claims(_ edit: (inout AccessClaims) -> Void = { _ in }) -> AccessClaims {
        var claims = AccessClaims(userId: 42, sessionId: "7", now: now, tokenId: "jti-1")
        edit(&claims)
        return claims
    }

    /// A token with any header and payload, signed with `key` (for attacks a signer never makes).
    static func forge(header: String, payload: String, key: [UInt8] = Array(secret.utf8)) -> String {
        let input = Base64URL.encode(header) + "." + Base64URL.encode(payload)
        return input + "." + Base64URL.encode(Crypto.hmacSHA256(key: key, message: Array(input.utf8)))
    }

    static func payload(_ claims: AccessClaims) -> String {
        String(decoding: try! JSONEncoder().encode(claims), as: UTF8.self)
    }

    @Test func signedTokenVerifiesToTheSameClaims() throws {
        let keys = try JWTKeySet(secret: Self.secret)
        let token = keys.sign(Self.claims())
        let claims = try keys.verify(token, now: Self.now)
        #expect(claims == Self.claims())
        #expect(claims.userId == 42 && claims.sid == "7" && claims.exp == claims.iat + 900)
    }

    @Test func headerIsExactlyTheContractsWithoutKidForASingleSecret() throws {
        let token = try JWTKeySet(secret: Self.secret).sign(Self.claims())
        let header = String(decoding: Base64URL.decode(token.split(separator: ".")[0])!, as: UTF8.self)
        #expect(header == #"{"alg":"HS256","typ":"JWT"}"#)
        let named = try JWTKeySet(keys: [("k2", Self.secret)]).sign(Self.claims())
        let namedHeader = String(decoding: Base64URL.decode(named.split(separator: ".")[0])!, as: UTF8.self)
        #expect(namedHeader == #"{"alg":"HS256","typ":"JWT","kid":"k2"}"#)
    }

    /// RFC 7515 Appendix A.1: its header differs from ours ({"typ":"JWT",\r\n "alg":"HS256"}), so this
    /// checks the JWS mechanics: the HMAC over the signing input with the A.1 key is A.1's signature,
    /// and our verifier accepts that signature, then refuses A.1's claims (iss "joe", no typ).
    @Test func rfc7515AppendixA1SignatureVerifies() throws {
        let key = Base64URL.decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")!
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
            + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        let signature = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        #expect(Base64URL.encode(Crypto.hmacSHA256(key: key, message: Array(input.utf8))) == signature)

        let keys = try JWTKeySet(secretBytes: key)
        let a1Time = Date(timeIntervalSince1970: 1_300_819_000)
        #expect(throws: JWTError.invalidClaims) { try keys.verify(input + "." + signature, now: a1Time) }
        let flipped = signature.replacingOccurrences(of: "dBj", with: "dBk")
        #expect(throws: JWTError.badSignature) { try keys.verify(input + "." + flipped, now: a1Time) }
    }

    @Test(arguments: [
        #"{"alg":"none","typ":"JWT"}"#, #"{"alg":"RS256","typ":"JWT"}"#, #"{"alg":"HS512","typ":"JWT"}"#,
        #"{"typ":"JWT"}"#, #"{"alg":"hs256","typ":"JWT"}"#, #"{"alg":["HS256"]}"#,
        #"{"alg":"HS256","crit":["exp"]}"#,
    ])
    func otherAlgorithmsAreRejected(header: String) throws {
        let keys = try JWTKeySet(secret: Self.secret)
        let token = Self.forge(header: header, payload: Self.payload(Self.claims()))
        #expect(throws: JWTError.unsupportedAlgorithm) { try keys.verify(token, now: Self.now) }
    }

    @Test func unsignedAlgNoneTokenIsRejected() throws {
        let keys = try JWTKeySet(secret: Self.secret)
        let token = Base64URL.encode(#"{"alg":"none"}"#) + "." + Base64URL.encode(Self.payload(Self.claims())) + "."
        #expect(throws: JWTError.unsupportedAlgorithm) { try keys.verify(token, now: Self.now) }
    }

    @Test func tamperedPayloadIsRejected() throws {
        let keys = try JWTKeySet(secret: Self.secret)
        let parts = keys.sign(Self.claims()).split(separator: ".").map(String.init)
        let other = Base64URL.encode(Self.payload(Self.claims { $0.sub = "1" }))
        #expect(throws: JWTError.badSignature) { try keys.verify(parts[0] + "." + other + "." + parts[2], now: Self.now) }
    }

    @Test func tokenSignedWithAnotherKeyIsRejected() throws {
        let token = try JWTKeySet(secret: String(repeating: "x", count: 32)).sign(Self.claims())
        #expect(throws: JWTError.badSignature) { try JWTKeySet(secret: Self.secret).verify(token, now: Self.now) }
    }

    @Test func expiryAndNotBeforeHonourTheLeeway() throws {
        let keys = try JWTKeySet(secret: Self.secret)
        let token = keys.sign(Self.claims())
        let exp = Self.now.addingTimeInterval(900)
        #expect(try keys.verify(token, now: exp.addingTimeInterval(29)).sub == "42")
        #expect(throws: JWTError.expired) { try keys.verify(token, now: exp.addingTimeInterval(30)) }
        let early = keys.sign(Self.claims { $0.nbf = $0.iat + 100 })
        #expect(throws: JWTError.notYetValid) { try keys.verify(early, now: Self.now) }
        #expect(try keys.verify(early, now: Self.now.addingTimeInterval(71)).nbf == Self.claims().iat + 100)
        let future = keys.sign(Self.claims { $0.iat += 600 })
        #expect(throws: JWTError.notYetValid) { try keys.verify(future, now: Self.now) }
    }

    @Test(arguments: ["iss", "typ", "sub0", "subText", "subNegative", "sid", "jti"])
    func wrongClaimsAreRejected(field: String) throws {
        let keys = try JWTKeySet(secret: Self.secret)
        let claims = Self.claims { c in
            switch field {
            case "iss": c.iss = "someone-else"
            case "typ": c.typ = "refresh"
            case "sub0": c.sub = "042"
            case "subText": c.sub = "alice"
            case "subNegative": c.sub = "-4"
            case "sid": c.sid = ""
            default: c.jti = ""
            }
        }
        #expect(throws: JWTError.invalidClaims) { try keys.verify(keys.sign(claims), now: Self.now) }
    }

    @Test func missingClaimsAreRejected() throws {
        let keys = try JWTKeySet(secret: Self.secret)
        let payload = #"{"iss":"chat-api","sub":"42","typ":"access","iat":1800000000,"exp":1800000900,"jti":"x"}"#
        let token = Self.forge(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: payload)
        #expect(throws: JWTError.invalidClaims) { try keys.verify(token, now: Self.now) }
    }

    @Test func malformedTokensAreRejected() throws {
        let keys = try JWTKeySet(secret: Self.secret)
        let token = keys.sign(Self.claims())
        for bad in ["", "a.b", token + ".x", "%%%." + token, String(repeating: "a", count: 9000)] {
            #expect(throws: JWTError.self) { try keys.verify(bad, now: Self.now) }
        }
        #expect(throws: JWTError.badSignature) { try keys.verify(token + "A", now: Self.now) }
    }

    @Test func rotatedKeysVerifyOldTokensAndSignWithTheNewKey() throws {
        let old = try JWTKeySet(keyList: "k1:\(Self.secret)")
        let oldToken = old.sign(Self.claims())
        let rotated = try JWTKeySet(keyList: "k2:\(String(repeating: "n", count: 40)), k1:\(Self.secret)")
        #expect(rotated.signingKeyId == "k2")
        #expect(try rotated.verify(oldToken, now: Self.now) == Self.claims())
        let newToken = rotated.sign(Self.claims())
        #expect(try rotated.verify(newToken, now: Self.now) == Self.claims())
        #expect(throws: JWTError.unknownKey) { try old.verify(newToken, now: Self.now) }
    }

    @Test func kidMustMatchHowKeysAreNamed() throws {
        let single = try JWTKeySet(secret: Self.secret)
        let named = try JWTKeySet(keys: [("k1", Self.secret)])
        #expect(throws: JWTError.unknownKey) { try single.verify(named.sign(Self.claims()), now: Self.now) }
        #expect(throws: JWTError.unknownKey) { try named.verify(single.sign(Self.claims()), now: Self.now) }
    }

    @Test func shortSecretsAndBadKeyListsAreRefused() throws {
        #expect(throws: JWTError.weakSecret) { try JWTKeySet(secret: String(repeating: "s", count: 31)) }
        #expect(throws: JWTError.weakSecret) { try JWTKeySet(keyList: "k1:short") }
        #expect(throws: JWTError.invalidKeyList) { try JWTKeySet(keyList: "") }
        #expect(throws: JWTError.invalidKeyList) { try JWTKeySet(keyList: "noColon\(Self.secret)") }
        #expect(throws: JWTError.invalidKeyList) { try JWTKeySet(keyList: "a:\(Self.secret),a:\(Self.secret)") }
        #expect(throws: JWTError.invalidKeyList) { try JWTKeySet(keyList: "bad kid:\(Self.secret)") }
        #expect(throws: JWTError.invalidKeyList) { try JWTKeySet(keyList: ":\(Self.secret)") }
        #expect(try JWTKeySet(keyList: "k:\(Self.secret):with:colons").signingKeyId == "k")
    }

    @Test func environmentNeedsExactlyOneOfSecretAndKeys() throws {
        #expect(try JWTKeySet.fromEnvironment(["CHAT_JWT_SECRET": Self.secret]).signingKeyId == nil)
        #expect(try JWTKeySet.fromEnvironment(["CHAT_JWT_KEYS": "a:\(Self.secret)"]).signingKeyId == "a")
        #expect(throws: JWTError.missingSecret) { try JWTKeySet.fromEnvironment([:]) }
        #expect(throws: JWTError.missingSecret) {
            try JWTKeySet.fromEnvironment(["CHAT_JWT_SECRET": Self.secret, "CHAT_JWT_KEYS": "a:\(Self.secret)"])
        }
        do {
            _ = try JWTKeySet.fromEnvironment(["CHAT_JWT_SECRET": "short"])
            Issue.record("a short secret was accepted")
        } catch {
            #expect(error == .weakSecret)
            #expect(error.detail.contains("CHAT_JWT_SECRET"))
        }
    }

    @Test func everyMutationOfAValidTokenIsRejected() throws {
        let keys = try JWTKeySet(secret: Self.secret)
        let token = Array(keys.sign(Self.claims()).utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.".utf8)
        var generator = SplitMix64(seed: 3)
        for _ in 0..<500 {
            var mutated = token
            let index = Int.random(in: 0..<mutated.count, using: &generator)
            let replacement = alphabet.randomElement(using: &generator)!
            guard replacement != mutated[index] else { continue }
            mutated[index] = replacement
            #expect(throws: JWTError.self) { try keys.verify(String(decoding: mutated, as: UTF8.self), now: Self.now) }
        }
    }
}
