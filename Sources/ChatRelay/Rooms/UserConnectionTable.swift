/// A connection anywhere in the process: its loop and its id.
struct ConnectionRef: Hashable, Sendable {
    let loop: Int
    let id: UInt64
}

/// Process-wide connections per user, oldest first, to enforce the per-user limit
/// (CONTRACT.md: 16; the oldest is closed with 1008). The I/O layer keeps it in a Mutex.
struct UserConnectionTable: Sendable {
    let limit: Int
    private var byUser: [Int64: [ConnectionRef]] = [:]

    init(limit: Int = 16) {
        precondition(limit >= 1, "a user must be allowed one connection")
        self.limit = limit
    }

    var userCount: Int { byUser.count }

    func connections(of userId: Int64) -> [ConnectionRef] { byUser[userId] ?? [] }

    /// Adds the newest connection; returns the oldest ones to close over the limit.
    mutating func add(_ connection: ConnectionRef, for userId: Int64) -> [ConnectionRef] {
        var list = byUser[userId] ?? []
        guard !list.contains(connection) else { return [] }
        list.append(connection)
        let excess = max(0, list.count - limit)
        let evicted = Array(list.prefix(excess))
        list.removeFirst(excess)
        byUser[userId] = list
        return evicted
    }

    mutating func remove(_ connection: ConnectionRef, for userId: Int64) {
        guard var list = byUser[userId] else { return }
        list.removeAll { $0 == connection }
        byUser[userId] = list.isEmpty ? nil : list
    }
}
