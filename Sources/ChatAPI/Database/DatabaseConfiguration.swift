import Foundation

/// Where and how to connect: one server (primary, a replica, or the migration user).
public struct DatabaseConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var database: String
    /// Seconds for TCP connect, and for each read / write on the socket. A read timeout is
    /// what turns a silently dead server into an error instead of a hung worker thread.
    public var connectTimeout: UInt32 = 3
    public var readTimeout: UInt32 = 10
    public var writeTimeout: UInt32 = 10
    /// How many prepared statements each connection keeps.
    public var statementCacheSize: Int = 128

    public init(host: String, port: Int = 3306, user: String, password: String, database: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses `mysql://user:password@host:port/database` (user and password percent-decoded).
    /// - Throws: `DatabaseConfigurationError` naming what is missing or malformed.
    public init(url: String) throws(DatabaseConfigurationError) {
        guard let components = URLComponents(string: url), components.scheme == "mysql" || components.scheme == "mariadb" else {
            throw DatabaseConfigurationError(url: url, reason: "expected mysql://user:password@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw DatabaseConfigurationError(url: url, reason: "missing host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw DatabaseConfigurationError(url: url, reason: "missing user")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw DatabaseConfigurationError(url: url, reason: "missing database name in the path")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw DatabaseConfigurationError(url: url, reason: "port out of range")
        }
        self.init(host: host, port: components.port ?? 3306,
                  user: user.removingPercentEncoding ?? user,
                  password: (components.password ?? "").removingPercentEncoding ?? components.password ?? "",
                  database: database)
    }

    /// `host:port/database` for logs and errors: never the password.
    public var displayName: String { "\(host):\(port)/\(database)" }
}

public struct DatabaseConfigurationError: Error, Sendable, CustomStringConvertible {
    public let url: String
    public let reason: String
    public var description: String {
        // The URL may hold a password: show only what follows the '@'.
        let shown = url.split(separator: "@", maxSplits: 1).last.map(String.init) ?? url
        return "invalid database URL (…@\(shown)): \(reason)"
    }
}
