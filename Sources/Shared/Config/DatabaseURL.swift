import Foundation

/// `mysql://user:password@host:port/database`, with percent-decoded user, password and database.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    public var user: String
    public var password: String
    public var host: String
    public var port: Int
    public var database: String

    public init(user: String, password: String, host: String, port: Int = 3306, database: String) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
    }

    /// Parses the URL form. Errors show the value with its password replaced by `***`.
    public init(parsing text: String) throws(ConfigError) {
        let shown = DatabaseURL.redact(text)
        let scheme = "mysql://"
        guard text.hasPrefix(scheme) else {
            throw ConfigError(value: shown, reason: "expected mysql://user:password@host:port/database")
        }
        let rest = text.dropFirst(scheme.count)
        // The last @ separates credentials, so an unencoded @ in a password still parses.
        guard let at = rest.lastIndex(of: "@") else {
            throw ConfigError(value: shown, reason: "the user is missing (mysql://user:password@host:port/database)")
        }
        let userInfo = rest[..<at]
        let location = rest[rest.index(after: at)...]
        guard let slash = location.firstIndex(of: "/") else {
            throw ConfigError(value: shown, reason: "the database name is missing (…/database)")
        }
        let endpoint = try HostPort.parse(location[..<slash], defaultPort: 3306, value: shown)
        let rawDatabase = location[location.index(after: slash)...]
        guard !rawDatabase.isEmpty, !rawDatabase.contains("/"), !rawDatabase.contains("?") else {
            throw ConfigError(value: shown, reason: "the database name must be one path segment without a query")
        }
        let rawUser: Substring
        let rawPassword: Substring
        if let colon = userInfo.firstIndex(of: ":") {
            rawUser = userInfo[..<colon]
            rawPassword = userInfo[userInfo.index(after: colon)...]
        } else {
            rawUser = userInfo
            rawPassword = ""
        }
        guard !rawUser.isEmpty else { throw ConfigError(value: shown, reason: "the user is empty") }
        func decode(_ part: Substring, _ what: String) throws(ConfigError) -> String {
            guard let decoded = String(part).removingPercentEncoding else {
                throw ConfigError(value: shown, reason: "the \(what) has a malformed percent escape")
            }
            return decoded
        }
        self.user = try decode(rawUser, "user")
        self.password = try decode(rawPassword, "password")
        self.database = try decode(rawDatabase, "database name")
        self.host = endpoint.host
        self.port = endpoint.port
    }

    /// The URL with the password hidden, safe to log.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "mysql://\(user):***@\(host):\(port)/\(database)"
    }

    /// Replaces whatever sits between `user:` and the last `@` by `***`.
    static func redact(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text.lastIndex(of: "@"), at > schemeEnd.upperBound,
              let colon = text[schemeEnd.upperBound..<at].firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }
}
