import Dispatch
import Synchronization

/// A bounded set of `RedisClient`s, each lent to one thread at a time.
///
/// Clients are created lazily up to `size`; a caller waits up to `acquireTimeout` for one to
/// come back, then gets `RedisError.poolTimeout`. A client whose connection broke is returned
/// as is: it reconnects on its next command.
public final class RedisPool: Sendable {
    public let url: RedisURL
    public let size: Int
    public let acquireTimeout: Double
    private let connectTimeout: Double
    private let commandTimeout: Double
    /// Counts free slots (idle clients plus clients not yet created).
    private let permits: DispatchSemaphore
    private let idle = Mutex<[Idle]>([])
    private let created = Atomic<Int>(0)

    public init(url: RedisURL, size: Int, acquireTimeout: Double = 2, connectTimeout: Double = 1, commandTimeout: Double = 2) {
        precondition(size > 0, "RedisPool size must be positive")
        self.url = url
        self.size = size
        self.acquireTimeout = acquireTimeout
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.permits = DispatchSemaphore(value: size)
    }

    /// Clients created so far (never more than `size`).
    public var createdClients: Int { created.load(ordering: .relaxed) }

    /// Lends a client to `body` on the calling thread and takes it back afterwards.
    @discardableResult
    public func with<T>(_ body: (RedisClient) throws -> T) throws -> T {
        guard permits.wait(timeout: .now() + acquireTimeout) == .success else {
            throw RedisError(.poolTimeout, "no Redis connection free within \(acquireTimeout) s (pool size \(size))")
        }
        defer { permits.signal() }
        let client = idle.withLock { clients in clients.popLast() }?.client ?? makeClient()
        defer {
            let returned = Idle(client: client)
            idle.withLock { $0.append(returned) }
        }
        return try body(client)
    }

    /// A client at rest in the pool.
    ///
    /// `@unchecked Sendable` is safe here: a client moves between threads only through the
    /// `idle` list under its lock, and is used by exactly one borrower between `popLast` and
    /// `append`; the pool itself never touches a lent client.
    private struct Idle: @unchecked Sendable {
        let client: RedisClient
    }

    private func makeClient() -> RedisClient {
        created.add(1, ordering: .relaxed)
        return RedisClient(url: url, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
    }

    /// `PING` on a pooled client: true when Redis answers `PONG` (for health checks).
    public func ping() -> Bool {
        (try? with { client in try client.command(["PING"]) }) == .status("PONG")
    }
}
