import Shared

/// A read of one channel's log on behalf of one connection, run off the loop.
///
/// `from` and `through` are inclusive (the shape of `XRANGE key from through`).
struct ReplayRequest: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        /// The client's `resume`: frames marked `replayed`, then `resumed`.
        case resume(since: StreamID)
        /// A room joined live: events between the join and the subscription, sent as live ones.
        case catchUp
    }

    let channel: ChannelName
    let from: StreamID
    let through: StreamID
    let kind: Kind

    /// The XRANGE command for the next page, starting at `from` (inclusive).
    func command(from start: StreamID? = nil, count: Int) -> [String] {
        ["XRANGE", channel.redisLogKey, (start ?? from).description, through.description, "COUNT", String(count)]
    }
}

/// What the log held: entries in `[from, through]` in order, and the log's first entry id
/// read AFTER the range (trimming only moves it forward, so reading it last never
/// overstates completeness).
struct ReplayResult: Sendable {
    var entries: [EventEnvelope]
    var logFirstId: StreamID?
}

enum ResumeRule {
    /// Whether the log still reached back to `since` when it was read.
    ///
    /// The rule: nothing to replay (`since >= through`) is complete; otherwise the log must
    /// still hold the first id after `since` or an older one, i.e. `logFirstId <= since.successor`.
    /// An empty log with something to replay means it was trimmed away: incomplete. A
    /// `since` of `0-0` is complete only if the log's first entry is `0-1` or earlier, which
    /// in practice sends a client without a cursor to REST history, as it should.
    static func isComplete(since: StreamID, through: StreamID, logFirstId: StreamID?) -> Bool {
        if since >= through { return true }
        guard let first = logFirstId else { return false }
        return first <= since.successor
    }
}
