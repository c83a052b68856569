import Dispatch
import Foundation
import Shared
import Synchronization

/// Publishes committed outbox rows to Redis, in outbox order, until Redis has each one.
///
/// One publisher at a time across all ChatAPI instances: each instance's publisher thread asks
/// for the MariaDB lock `chat_outbox_publisher` on a connection of its own, and only the holder
/// publishes. That keeps a channel's log in commit order without coordinating instances any
/// other way; when the holder dies its connection closes and another instance takes over.
/// Rows are picked by `published_at IS NULL`, never by a cursor, so a transaction that commits
/// late (a lower id after a higher one) is still published.
final class OutboxPublisher: Sendable {
    private let openConnection: @Sendable () throws -> DatabaseConnection
    private let redis: RedisPool
    private let retention: EventLogRetention
    private let logger: Logger
    private let published: Counter
    private let failures: Counter
    private let backlog: Gauge
    private let running = Atomic<Bool>(true)
    private let lastPrune = Mutex(Date.distantPast)
    /// Signalled by local commits; extra signals only cost a spare poll.
    private let wakeup = DispatchSemaphore(value: 0)

    /// Polling interval while idle: events written by other instances are picked up this fast.
    private let idlePoll: TimeInterval = 0.02

    init(openConnection: @escaping @Sendable () throws -> DatabaseConnection, redis: RedisPool,
         retention: EventLogRetention, logger: Logger, metrics: MetricsRegistry) {
        self.openConnection = openConnection
        self.redis = redis
        self.retention = retention
        self.logger = logger
        published = metrics.counter("chat_events_published_total", help: "Outbox events published to Redis")
        failures = metrics.counter("chat_events_publish_failures_total", help: "Failed publish attempts (retried)")
        backlog = metrics.gauge("chat_outbox_backlog", help: "Unpublished outbox rows seen by the last poll")
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "outbox-publisher"
        thread.start()
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        nudge()
    }

    /// Called after a local commit that wrote events, so they go out without waiting a poll.
    func nudge() {
        wakeup.signal()
    }

    private func run() {
        var connection: DatabaseConnection?
        var isLeader = false
        var delay: TimeInterval = idlePoll
        while running.load(ordering: .relaxed) {
            do {
                if connection == nil { connection = try openConnection(); isLeader = false }
                guard let db = connection else { continue }
                if !isLeader {
                    let rows = try db.query("SELECT GET_LOCK('chat_outbox_publisher', 1)", [])
                    isLeader = rows.first?.int(0) == 1
                    if !isLeader { continue }
                    logger.info("outbox publisher: this instance publishes")
                }
                let count = try publishBatch(db)
                delay = count > 0 ? 0 : idlePoll
                if count == 0 { try pruneIfDue(db) }
            } catch let error as DatabaseError {
                logger.warning("outbox publisher: database", ["error": .string("\(error)")])
                connection = nil
                isLeader = false
                delay = 0.5
            } catch {
                failures.increment()
                logger.warning("outbox publisher: redis", ["error": .string("\(error)")])
                delay = min(max(delay * 2, 0.05), 2)
            }
            if delay > 0 { wait(delay) }
        }
    }

    /// Published rows are kept a day (for operators), then deleted in small batches while idle.
    private func pruneIfDue(_ db: DatabaseConnection) throws {
        let now = Date()
        guard now.timeIntervalSince(lastPrune.withLock { $0 }) > 60 else { return }
        lastPrune.withLock { $0 = now }
        _ = try db.execute("""
            DELETE FROM event_outbox WHERE published_at IS NOT NULL AND published_at < NOW(3) - INTERVAL 1 DAY
            ORDER BY published_at LIMIT 5000
            """, [])
    }

    private func wait(_ seconds: TimeInterval) {
        _ = wakeup.wait(timeout: .now() + seconds)
    }

    /// Publishes up to one batch of unpublished rows in id order; returns how many.
    private func publishBatch(_ db: DatabaseConnection) throws -> Int {
        let rows = try db.query("""
            SELECT id, channel, type, room_id, payload, created_at FROM event_outbox
            WHERE published_at IS NULL ORDER BY id LIMIT 200
            """, [])
        backlog.set(Double(rows.count))
        for row in rows {
            guard let id = row.int(0), let channelText = row.string(1), let channel = ChannelName(channelText),
                  let type = row.string(2), let data = row.string(4), let occurred = row.date(5) else {
                logger.error("outbox row unreadable, skipped", ["id": .string("\(row.int(0) ?? 0)")])
                if let id = row.int(0) { try markPublished(db, id) }
                continue
            }
            let envelope = EventEnvelope(channel: channel, type: type, roomId: row.int(3),
                                         occurredAt: Timestamp.string(occurred), dataJSON: data)
            let (keys, args) = PublishScript.arguments(outboxId: id, envelope: envelope, retention: retention,
                                                       sideEffect: Self.sideEffect(of: envelope))
            let reply = try redis.with { try $0.evaluate(PublishScript.script, keys: keys, arguments: args) }
            guard case .string(let streamId) = reply else { throw PublishError.unexpectedReply("\(reply)") }
            try markPublished(db, id, streamId: streamId)
            published.increment()
        }
        return rows.count
    }

    private func markPublished(_ db: DatabaseConnection, _ id: Int64, streamId: String? = nil) throws {
        _ = try db.execute("UPDATE event_outbox SET published_at = NOW(3), stream_id = ? WHERE id = ?",
                           [streamId.map { .string($0) } ?? .null, .int(id)])
    }

    enum PublishError: Error { case unexpectedReply(String) }

    /// Events that also change a Redis key the relay reads.
    static func sideEffect(of envelope: EventEnvelope) -> PublishScript.SideEffect {
        switch (envelope.type, envelope.channel) {
        case ("room.joined", .user(let userId)):
            guard let roomId = envelope.roomId else { return .none }
            return .addToSet(key: RedisKeys.userRooms(userId), member: String(roomId))
        case ("room.left", .user(let userId)):
            guard let roomId = envelope.roomId else { return .none }
            return .removeFromSet(key: RedisKeys.userRooms(userId), member: String(roomId))
        case ("session.revoked", .user):
            guard let sid = Self.sessionId(inData: envelope.dataJSON) else { return .none }
            return .setWithExpiry(key: RedisKeys.revokedSession(sid), value: "1",
                                  seconds: SessionRevocation.markerSeconds)
        default:
            return .none
        }
    }

    private static func sessionId(inData json: String) -> String? {
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(json.utf8)),
              case .string(let sid)? = object["sid"] else { return nil }
        return sid
    }
}
