import Foundation
import Shared

/// Tokens made by hand, to attack the verifier from outside.
enum TestJWT {
    static func sign(_ claims: [String: Any], secret: String, header: [String: Any] = ["alg": "HS256", "typ": "JWT"]) -> String {
        let input = segment(header) + "." + segment(claims)
        let mac = Crypto.hmacSHA256(key: Array(secret.utf8), message: Array(input.utf8))
        return input + "." + Base64URL.encode(mac)
    }

    static func unsigned(_ claims: [String: Any]) -> String {
        segment(["alg": "none", "typ": "JWT"]) + "." + segment(claims) + "."
    }

    private static func segment(_ object: [String: Any]) -> String {
        Base64URL.encode(Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])))
    }
}
