import Glibc
import Synchronization

/// What every connection of one `HTTPServer` shares: the router, limits, worker pool,
/// observer, and per-loop sets of open connections for draining.
final class HTTPServerContext: Sendable {
    let configuration: HTTPServerConfiguration
    let router: Router
    let workers: WorkerPool
    let observer: (any HTTPServerObserver)?
    private let draining = Atomic<Bool>(false)
    private let active = Atomic<Int>(0)
    private let perLoop: [LoopConnections]

    init(configuration: HTTPServerConfiguration, router: Router, workers: WorkerPool,
         observer: (any HTTPServerObserver)?, loopCount: Int) {
        self.configuration = configuration
        self.router = router
        self.workers = workers
        self.observer = observer
        perLoop = (0..<loopCount).map { _ in LoopConnections() }
    }

    var isDraining: Bool { draining.load(ordering: .relaxed) }
    func startDraining() { draining.store(true, ordering: .relaxed) }
    /// HTTP connections open now (upgraded ones no longer count).
    var activeConnections: Int { active.load(ordering: .relaxed) }

    /// Loop thread only.
    func track(_ handler: HTTPConnectionHandler, connection: Connection) {
        perLoop[connection.loop.index].handlers[ObjectIdentifier(handler)] = handler
        active.add(1, ordering: .relaxed)
        observer?.connectionsChanged(by: 1)
    }

    /// Idempotent. Loop thread only.
    func untrack(_ handler: HTTPConnectionHandler, connection: Connection) {
        if perLoop[connection.loop.index].handlers.removeValue(forKey: ObjectIdentifier(handler)) != nil {
            active.subtract(1, ordering: .relaxed)
            observer?.connectionsChanged(by: -1)
        }
    }

    /// The `Date` header value, formatted once per second per loop (no lock shared by loops).
    /// Loop thread only.
    func httpDate(onLoop index: Int) -> String { perLoop[index].httpDate() }

    /// The connections of loop `index`. Loop thread only.
    func handlers(onLoop index: Int) -> [HTTPConnectionHandler] { Array(perLoop[index].handlers.values) }
}

/// The HTTP connections of one loop.
///
/// Safety of `@unchecked Sendable`: the server keeps one per loop, and it is read and written
/// only on that loop's thread (connection callbacks and tasks handed over with `execute`).
final class LoopConnections: @unchecked Sendable {
    var handlers: [ObjectIdentifier: HTTPConnectionHandler] = [:]
    private var dateSecond = -1
    private var dateText = ""

    func httpDate() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &now)
        let second = Int(now.tv_sec)
        if second != dateSecond {
            dateSecond = second
            dateText = HTTPDate.format(epochSecond: second)
        }
        return dateText
    }
}
