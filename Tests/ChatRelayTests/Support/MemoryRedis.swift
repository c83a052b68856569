import Shared
import Synchronization
@testable import ChatRelay

/// A model of the Redis the relay talks to: logs, membership sets, revoked sessions and one
/// Pub/Sub link, with a switch to take it down. Replies are handed to the driver's loop in
/// the order Redis would send them.
final class MemoryRedis: RelayStore, Sendable {
    struct Down: Error {}

    private struct State {
        var logs: [ChannelName: [LogEntry]] = [:]
        var rooms: [Int64: Set<Int64>] = [:]
        var revoked: Set<String> = []
        var clock: UInt64 = 1_000
        var down = false
        var link: (id: UInt64, transport: MemoryTransport)?
        var subscribed: Set<ChannelName> = []
        var published: [(ChannelName, String)] = []
        var commands: [[String]] = []
    }

    private let state = Mutex(State())

    // MARK: test controls

    func setRooms(_ userId: Int64, _ rooms: Set<Int64>) { state.withLock { $0.rooms[userId] = rooms } }
    func revoke(_ sid: String) { _ = state.withLock { $0.revoked.insert(sid) } }
    var published: [(ChannelName, String)] { state.withLock { $0.published } }
    var subscribedChannels: Set<ChannelName> { state.withLock { $0.subscribed } }
    var commands: [[String]] { state.withLock { $0.commands } }

    /// ChatAPI's publish script: XADD to the log, then PUBLISH the envelope with its id.
    @discardableResult
    func add(_ channel: ChannelName, type: String, roomId: Int64? = nil, data: String = "{}") -> StreamID {
        state.withLock { s in
            s.clock += 1
            let id = StreamID(milliseconds: s.clock, sequence: 0)
            var envelope = EventEnvelope(channel: channel, type: type, roomId: roomId ?? channel.roomId,
                                         occurredAt: "2026-12-01T10:00:00.000Z", dataJSON: data)
            s.logs[channel, default: []].append(LogEntry(id: id, event: envelope.json()))
            envelope.id = id
            Self.deliver(&s, channel, envelope.json())
            return id
        }
    }

    /// Drops all but the last `count` entries of a log (XTRIM MAXLEN).
    func trim(_ channel: ChannelName, keepingLast count: Int) {
        state.withLock { s in
            if let log = s.logs[channel] { s.logs[channel] = Array(log.suffix(count)) }
        }
    }

    /// Redis goes away: the link breaks and every command fails until `bringUp`.
    func takeDown() {
        state.withLock { s in
            s.down = true
            if let link = s.link {
                let driver = link.transport.driver
                link.transport.loop.execute { driver?.socketClosed(link: link.id) }
            }
            s.link = nil
            s.subscribed = []
        }
    }

    func bringUp() { state.withLock { $0.down = false } }

    // MARK: the Pub/Sub side, called by MemoryTransport

    func open(link: UInt64, transport: MemoryTransport) {
        state.withLock { s in
            let driver = transport.driver
            if s.down {
                transport.loop.execute { driver?.socketClosed(link: link) }
                return
            }
            s.link = (link, transport)
            s.subscribed = []
            transport.loop.execute { driver?.socketOpened(link: link) }
        }
    }

    func command(_ command: [String], link: UInt64) {
        state.withLock { s in
            guard let current = s.link, current.id == link else { return }
            s.commands.append(command)
            let driver = current.transport.driver
            var replies: [SubscriberReply] = []
            switch command.first {
            case "SUBSCRIBE":
                for name in command.dropFirst() {
                    if let channel = ChannelName(redisChannel: name) { s.subscribed.insert(channel) }
                    replies.append(.subscribed(channel: name))
                }
            case "UNSUBSCRIBE":
                for name in command.dropFirst() {
                    if let channel = ChannelName(redisChannel: name) { s.subscribed.remove(channel) }
                    replies.append(.unsubscribed(channel: name))
                }
            case "PING": replies.append(.pong)
            default: replies.append(.error("ERR unknown command"))
            }
            let batch = replies
            current.transport.loop.execute { for reply in batch { driver?.received(reply) } }
        }
    }

    func close(link: UInt64) {
        state.withLock { s in
            if s.link?.id == link {
                s.link = nil
                s.subscribed = []
            }
        }
    }

    private static func deliver(_ s: inout State, _ channel: ChannelName, _ payload: String) {
        guard let link = s.link, s.subscribed.contains(channel) else { return }
        let driver = link.transport.driver
        link.transport.loop.execute { driver?.received(.message(channel: channel.redisChannel, payload: payload)) }
    }

    // MARK: RelayStore

    private func up<T>(_ body: (inout State) throws -> T) throws -> T {
        try state.withLock { s in
            if s.down { throw Down() }
            return try body(&s)
        }
    }

    func roomIds(userId: Int64) throws -> [Int64] { try up { Array($0.rooms[userId] ?? []) } }
    func lastLogId(_ channel: ChannelName) throws -> StreamID? { try up { $0.logs[channel]?.last?.id } }
    func firstLogId(_ channel: ChannelName) throws -> StreamID? { try up { $0.logs[channel]?.first?.id } }
    func logEntries(_ channel: ChannelName, from: StreamID, through: StreamID?, count: Int) throws -> [LogEntry] {
        try up { s in
            Array((s.logs[channel] ?? []).filter { entry in entry.id >= from && (through.map { entry.id <= $0 } ?? true) }.prefix(count))
        }
    }
    func isSessionRevoked(_ sid: String) throws -> Bool { try up { $0.revoked.contains(sid) } }
    func publish(_ channel: ChannelName, payload: String) throws {
        try up { s in
            s.published.append((channel, payload))
            Self.deliver(&s, channel, payload)
        }
    }
    func ping() throws { try up { _ in () } }
}

/// The relay's Pub/Sub transport over `MemoryRedis`.
///
/// Safety of `@unchecked Sendable`: `link` and `driver` are set on the driver's loop, and
/// the model only reads `driver` to hand it back to that loop through `execute`.
final class MemoryTransport: SubscriberTransport, @unchecked Sendable {
    let redis: MemoryRedis
    let loop: EventLoop
    weak var driver: SubscriberDriver?
    private var link: UInt64 = 0

    init(redis: MemoryRedis, loop: EventLoop) {
        self.redis = redis
        self.loop = loop
    }

    func open(link: UInt64, driver: SubscriberDriver) {
        self.link = link
        self.driver = driver
        redis.open(link: link, transport: self)
    }

    func send(_ command: [String]) { redis.command(command, link: link) }
    func close() { redis.close(link: link) }
}

extension ChannelName {
    var roomId: Int64? { if case .room(let id) = self { id } else { nil } }
}
