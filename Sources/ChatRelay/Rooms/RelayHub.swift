import Shared
import Synchronization

/// Limits and timings of the relay's connections.
struct RelayOptions: Sendable {
    /// Ping and silence are left to `WebSocketConnection`, which sees pongs (25 s / 60 s).
    var session: SessionConfiguration = {
        var configuration = SessionConfiguration()
        configuration.pingInterval = nil
        configuration.silenceTimeout = nil
        return configuration
    }()
    var webSocket: WebSocketConnection.Configuration = {
        var configuration = WebSocketConnection.Configuration()
        // A backstop above `sendQueueCap`: the relay applies the cap itself (RelayConnection).
        configuration.maxQueuedBytes = 4 << 20
        return configuration
    }()
    /// Bytes queued to one connection past which it is closed with 1008.
    var sendQueueCap = 1 << 20
    var maxConnectionsPerUser = 16
}

/// The relay process: one `LoopHub` per event loop, the one Redis subscriber, the command
/// workers, the per-user connection table and the counters.
final class RelayHub: Sendable {
    let loops: [LoopHub]
    let subscriber: SubscriberDriver
    let workers: CommandWorkers
    let keys: JWTKeySet
    let users: Mutex<UserConnectionTable>
    let stats: RelayStats
    let options: RelayOptions
    /// Connection events, one JSON line each (buffered by the log sink, off the loops).
    let logger: Logger?

    /// - Parameter transport: the Pub/Sub socket, driven on the group's first loop.
    init(group: EventLoopGroup, transport: SubscriberTransport, workers: CommandWorkers, keys: JWTKeySet,
         options: RelayOptions = RelayOptions(), stats: RelayStats = RelayStats(),
         subscriberConfiguration: SubscriberConfiguration = SubscriberConfiguration(),
         logger: Logger? = nil) {
        let hubs = group.loops.map { LoopHub(loop: $0) }
        let sinks = SubscriberDriver.Sinks(
            ready: { channel, position, loops in
                for index in loops {
                    let hub = hubs[index]
                    hub.loop.execute { hub.channelReady(channel, position: position) }
                }
            },
            deliver: { event, frame, loops in
                for index in loops {
                    let hub = hubs[index]
                    hub.loop.execute { hub.deliver(event, frame: frame) }
                }
            },
            discarded: { reason in logger?.warning("subscriber discarded input", ["reason": .string(reason)]) })
        self.loops = hubs
        self.subscriber = SubscriberDriver(loop: group.loops[0], transport: transport, workers: workers,
                                           sinks: sinks, stats: stats, configuration: subscriberConfiguration)
        self.workers = workers
        self.keys = keys
        self.users = Mutex(UserConnectionTable(limit: options.maxConnectionsPerUser))
        self.stats = stats
        self.options = options
        self.logger = logger
        for hub in hubs { hub.relay = self }
    }

    func start() {
        for hub in loops { hub.start() }
        subscriber.start()
    }

    /// The handler for an upgraded connection (call on the connection's loop, after the 101).
    func makeWebSocket(for connection: Connection, claims: AccessClaims, initialBytes: [UInt8] = []) -> WebSocketConnection {
        let hub = loops[connection.loop.index]
        let relayConnection = RelayConnection(id: connection.id, claims: claims, hub: hub,
                                              configuration: options.session, sendQueueCap: options.sendQueueCap)
        return WebSocketConnection(connection: connection, delegate: relayConnection,
                                   configuration: options.webSocket, initialBytes: initialBytes)
    }

    /// SIGTERM: every connection on every loop closes with 1001.
    func drain() {
        for hub in loops { hub.loop.execute { hub.drain() } }
    }

    /// Stops the subscriber (its socket) and the command workers.
    func stop() {
        subscriber.stop()
        workers.shutdown()
    }
}
