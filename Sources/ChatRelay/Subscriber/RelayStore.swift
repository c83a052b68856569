import Shared

/// The Redis commands the relay runs on command connections, off the event loops
/// (blocking clients on worker threads; results go back with `loop.execute`).
protocol RelayStore: Sendable {
    /// SMEMBERS chat:user:{id}:rooms.
    func roomIds(userId: Int64) throws -> [Int64]
    /// The log's last entry id (XREVRANGE key + - COUNT 1); nil for an empty log.
    func lastLogId(_ channel: ChannelName) throws -> StreamID?
    /// The log's first entry id (XRANGE key - + COUNT 1); nil for an empty log.
    func firstLogId(_ channel: ChannelName) throws -> StreamID?
    /// Entries with `from <= id <= through` (no upper bound when nil), ascending, at most `count`.
    func logEntries(_ channel: ChannelName, from: StreamID, through: StreamID?, count: Int) throws -> [LogEntry]
    /// EXISTS chat:revoked:sid:{sid}.
    func isSessionRevoked(_ sid: String) throws -> Bool
    /// PUBLISH on the channel (typing: never logged).
    func publish(_ channel: ChannelName, payload: String) throws
    /// A round trip, for health.
    func ping() throws
}

/// One stream entry: its id and its `event` field.
struct LogEntry: Equatable, Sendable {
    let id: StreamID
    let event: String
}

extension RelayStore {
    /// The log from `from` through `through`, all pages, parsed; malformed entries skipped
    /// (and counted in `skipped`), since one bad entry must not block a replay.
    func readLog(_ channel: ChannelName, from: StreamID, through: StreamID?, pageSize: Int = 1_000,
                 skipped: inout Int) throws -> [EventEnvelope] {
        var out: [EventEnvelope] = []
        var start = from
        while true {
            let page = try logEntries(channel, from: start, through: through, count: pageSize)
            for entry in page {
                if let envelope = try? EventParser.parseLogEntry(id: entry.id, event: entry.event),
                   envelope.channel == channel {
                    out.append(envelope)
                } else {
                    skipped += 1
                }
            }
            guard page.count >= pageSize, let last = page.last?.id else { return out }
            start = last.successor
        }
    }
}
