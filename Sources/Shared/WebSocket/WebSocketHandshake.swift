import Foundation

/// The server side of the opening handshake (RFC 6455 §4.2).
public enum WebSocketHandshake {
    /// The GUID every accept key is derived with (§1.3).
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
    public static func acceptKey(for clientKey: String) -> String {
        Data(Crypto.sha1(Array((clientKey + guid).utf8))).base64EncodedString()
    }

    /// Checks an upgrade request and returns the accept key for the 101 response.
    /// - Parameters:
    ///   - method: the request method, e.g. "GET".
    ///   - header: looks a header up by its lowercase name; repeated headers joined with ", ".
    /// - Returns: the accept key, or why the request cannot be upgraded (status 400, 405 or 426).
    public static func validate(method: String, header: (String) -> String?)
        -> Result<String, WebSocketHandshakeError> {
        guard method == "GET" else {
            return .failure(.init(status: 405, detail: "a WebSocket upgrade must be a GET", headers: [("Allow", "GET")]))
        }
        guard let upgrade = header("upgrade"), containsToken(upgrade, "websocket") else {
            return .failure(.init(status: 400, detail: "Upgrade: websocket is missing"))
        }
        guard let connection = header("connection"), containsToken(connection, "upgrade") else {
            return .failure(.init(status: 400, detail: "Connection: Upgrade is missing"))
        }
        guard let version = header("sec-websocket-version"), version.trimmed == "13" else {
            return .failure(.init(status: 426, detail: "only WebSocket version 13 is supported",
                                  headers: [("Sec-WebSocket-Version", "13")]))
        }
        guard let key = header("sec-websocket-key")?.trimmed, isValidKey(key) else {
            return .failure(.init(status: 400, detail: "Sec-WebSocket-Key must be 16 bytes in base64"))
        }
        return .success(acceptKey(for: key))
    }

    /// The headers of the 101 Switching Protocols answer.
    public static func responseHeaders(acceptKey: String) -> [(name: String, value: String)] {
        [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", acceptKey)]
    }

    /// A key is base64 of 16 bytes: 22 characters of the standard alphabet and "==".
    static func isValidKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count == 24, bytes[22] == UInt8(ascii: "="), bytes[23] == UInt8(ascii: "=") else { return false }
        return bytes[..<22].allSatisfy { standardAlphabet.contains($0) }
    }

    /// Whether a comma-separated header value holds `token`, compared case-insensitively.
    static func containsToken(_ value: String, _ token: String) -> Bool {
        value.split(separator: ",").contains { $0.trimmed.lowercased() == token }
    }

    private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
}

/// Why an upgrade request was refused: answer with `status`, `detail` and `headers`.
public struct WebSocketHandshakeError: Error, Sendable {
    public let status: Int
    public let detail: String
    public let headers: [(name: String, value: String)]
    init(status: Int, detail: String, headers: [(name: String, value: String)] = []) {
        self.status = status; self.detail = detail; self.headers = headers
    }
}

private extension StringProtocol {
    var trimmed: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
