import Foundation

extension JWTKeySet {
    /// Verifies an access token and returns its claims.
    ///
    /// Follows RFC 8725: the algorithm is fixed to HS256 whatever the header says, the signature
    /// is checked (in constant time) before the payload is parsed, and every claim the contract
    /// names is checked.
    /// - Parameter now: the current time (injected for tests).
    /// - Throws: `JWTError` saying why the token is refused.
    public func verify(_ token: String, now: Date = Date()) throws(JWTError) -> AccessClaims {
        let bytes = Array(token.utf8)
        guard bytes.count <= Self.maximumTokenLength else { throw JWTError.malformed.with("too long") }
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else { throw JWTError.malformed.with("not three parts") }
        let headerPart = bytes[..<dots[0]], payloadPart = bytes[(dots[0] + 1)..<dots[1]]
        let signaturePart = bytes[(dots[1] + 1)...]

        guard let headerJSON = Base64URL.decode(bytes: headerPart),
              let header = try? JSONSerialization.jsonObject(with: Data(headerJSON)) as? [String: Any]
        else { throw JWTError.malformed.with("header") }
        guard let alg = header["alg"] as? String, alg == "HS256" else {
            throw JWTError.unsupportedAlgorithm.with("alg \(header["alg"].map { "\($0)" } ?? "missing")")
        }
        // RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
        guard header["crit"] == nil else { throw JWTError.unsupportedAlgorithm.with("crit") }
        if let typ = header["typ"] {
            guard let typ = typ as? String, typ.uppercased() == "JWT" else { throw JWTError.malformed.with("header typ") }
        }
        let key = try key(for: header["kid"])

        let expected = Crypto.hmacSHA256(key: key.secret, message: bytes[..<dots[1]])
        guard let signature = Base64URL.decode(bytes: signaturePart), signature.count == expected.count
        else { throw JWTError.badSignature.with("signature encoding") }
        guard Crypto.constantTimeEqual(signature, expected) else { throw JWTError.badSignature }

        guard let payloadJSON = Base64URL.decode(bytes: payloadPart),
              let claims = try? JSONDecoder().decode(AccessClaims.self, from: Data(payloadJSON))
        else { throw JWTError.invalidClaims.with("payload is not the access claims") }
        try check(claims, now: Int64(now.timeIntervalSince1970.rounded(.down)))
        return claims
    }

    private func key(for kid: Any?) throws(JWTError) -> Key {
        switch (kid, signingKey.id) {
        case (nil, nil):
            return signingKey
        case (nil, _?):
            throw JWTError.unknownKey.with("no kid, but keys are named")
        case (let kid?, _):
            guard let kid = kid as? String, let key = keys.first(where: { $0.id == kid }) else {
                throw JWTError.unknownKey.with("kid \(kid)")
            }
            return key
        }
    }

    private func check(_ claims: AccessClaims, now: Int64) throws(JWTError) {
        guard claims.iss == AccessClaims.issuer else { throw JWTError.invalidClaims.with("iss") }
        guard claims.typ == AccessClaims.accessType else { throw JWTError.invalidClaims.with("typ") }
        guard AccessClaims.parseUserId(claims.sub) != nil else { throw JWTError.invalidClaims.with("sub") }
        guard !claims.sid.isEmpty else { throw JWTError.invalidClaims.with("sid") }
        guard !claims.jti.isEmpty else { throw JWTError.invalidClaims.with("jti") }
        guard now < claims.exp + leeway else { throw JWTError.expired }
        if let nbf = claims.nbf { guard nbf <= now + leeway else { throw JWTError.notYetValid.with("nbf") } }
        guard claims.iat <= now + leeway else { throw JWTError.notYetValid.with("iat") }
    }
}
