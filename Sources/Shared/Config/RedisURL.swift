/// `redis://[:password@]host[:port][/db]` (port 6379 and database 0 by default).
public struct RedisURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: Int
    /// Sent with AUTH after connecting, when present.
    public var password: String?

    public init(host: String, port: Int = 6379, database: Int = 0, password: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.password = password
    }

    public init(parsing text: String) throws(ConfigError) {
        let shown = DatabaseURL.redact(text)
        let scheme = "redis://"
        guard text.hasPrefix(scheme) else { throw ConfigError(value: shown, reason: "expected redis://host:port[/db]") }
        var rest = text.dropFirst(scheme.count)
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            let secret = userInfo.firstIndex(of: ":").map { userInfo[userInfo.index(after: $0)...] } ?? userInfo
            guard let decoded = String(secret).removingPercentEncoding, !decoded.isEmpty else {
                throw ConfigError(value: shown, reason: "the password is empty or badly percent-encoded")
            }
            password = decoded
            rest = rest[rest.index(after: at)...]
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let dbText = rest[rest.index(after: slash)...]
            if !dbText.isEmpty {
                guard let db = Int(dbText), (0...15_999).contains(db) else {
                    throw ConfigError(value: shown, reason: "the database must be a number, not \"\(dbText)\"")
                }
                database = db
            }
            rest = rest[..<slash]
        }
        let endpoint = try HostPort.parse(rest, defaultPort: 6379, value: shown)
        self.init(host: endpoint.host, port: endpoint.port, database: database, password: password)
    }

    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "redis://\(password == nil ? "" : ":***@")\(host):\(port)/\(database)"
    }
}
