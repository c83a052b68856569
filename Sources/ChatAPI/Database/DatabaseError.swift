/// What went wrong talking to MariaDB, in the terms callers act on.
///
/// Features map these in one place: `.unavailable` and `.readOnly` → 503 with Retry-After,
/// `.duplicate` → 409, everything else → 500.
public enum DatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server cannot be reached, the connection dropped, or the pool had no connection
    /// in time. Nothing was committed by the failed call (unless `commit` itself was lost).
    case unavailable(String)
    /// A unique key was violated; the payload is the key's name (`PRIMARY`, `uq_users_username`).
    case duplicate(key: String)
    /// Deadlock (1213) or lock wait timeout (1205) still failing after the retries.
    case deadlock
    /// The server refuses writes (a replica, or a primary switched to read-only: 1290, 1836).
    case readOnly
    /// A statement could not be prepared or its parameters/results do not fit the binding.
    case invalidQuery(String)
    /// A row value could not be decoded as asked (type mismatch, out of range).
    case decoding(String)
    /// Any other server error, with its code and message.
    case server(code: UInt32, message: String)

    public var description: String {
        switch self {
        case .unavailable(let why): "database unavailable: \(why)"
        case .duplicate(let key): "duplicate key \(key)"
        case .deadlock: "deadlock or lock wait timeout persisted after retries"
        case .readOnly: "database is read-only"
        case .invalidQuery(let why): "invalid query: \(why)"
        case .decoding(let why): "cannot decode value: \(why)"
        case .server(let code, let message): "server error \(code): \(message)"
        }
    }

    /// Server and client error codes we give meaning to (mysqld_error.h, errmsg.h).
    enum Code {
        static let duplicateEntry: UInt32 = 1062          // ER_DUP_ENTRY
        static let duplicateEntryWithKeyName: UInt32 = 1586 // ER_DUP_ENTRY_WITH_KEY_NAME
        static let lockWaitTimeout: UInt32 = 1205
        static let deadlock: UInt32 = 1213
        static let optionPreventsStatement: UInt32 = 1290 // --read-only
        static let readOnlyMode: UInt32 = 1836            // ER_READ_ONLY_MODE
        static let unknownStatementHandler: UInt32 = 1243 // server forgot our statement
        static let needReprepare: UInt32 = 1615           // ER_NEED_REPREPARE
        static let newStatementMetadata: UInt32 = 2057    // CR_NEW_STMT_METADATA: table changed
        static let serverShutdown: UInt32 = 1053
        static let connectionKilled: UInt32 = 1927        // ER_CONNECTION_KILLED
        static let serverGone: UInt32 = 2006              // CR_SERVER_GONE_ERROR
        static let serverLost: UInt32 = 2013              // CR_SERVER_LOST
        static let connectionError: UInt32 = 2002         // CR_CONNECTION_ERROR (socket)
        static let connHostError: UInt32 = 2003           // CR_CONN_HOST_ERROR (TCP)
        static let serverLostExtended: UInt32 = 2055      // CR_SERVER_LOST_EXTENDED
        static let commandsOutOfSync: UInt32 = 2014
    }

    /// Maps a server/client error code and message to a `DatabaseError`.
    static func from(code: UInt32, message: String) -> DatabaseError {
        switch code {
        case Code.duplicateEntry, Code.duplicateEntryWithKeyName:
            return .duplicate(key: duplicateKeyName(in: message))
        case Code.deadlock, Code.lockWaitTimeout:
            return .deadlock
        case Code.optionPreventsStatement, Code.readOnlyMode:
            return .readOnly
        case Code.serverGone, Code.serverLost, Code.connectionError, Code.connHostError,
             Code.serverLostExtended, Code.serverShutdown, Code.connectionKilled:
            return .unavailable("\(code): \(message)")
        default:
            return .server(code: code, message: message)
        }
    }

    /// True when the connection that raised this error can no longer be used.
    var breaksConnection: Bool {
        if case .unavailable = self { return true }
        return false
    }

    /// "Duplicate entry 'x' for key 'uq_users_username'" → "uq_users_username". MariaDB
    /// quotes the key name last; table-qualified forms ('users.uq_…') keep only the key.
    static func duplicateKeyName(in message: String) -> String {
        guard let range = message.range(of: "for key '", options: .backwards) else { return message }
        var key = message[range.upperBound...]
        if key.hasSuffix("'") { key = key.dropLast() }
        if let dot = key.lastIndex(of: ".") { key = key[key.index(after: dot)...] }
        return String(key)
    }
}
