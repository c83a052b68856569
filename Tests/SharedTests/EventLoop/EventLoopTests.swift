import Glibc
import Synchronization
import Testing
@testable import Shared

@Suite struct EventLoopTests {
    @Test func workExecutedFromManyThreadsRunsOnTheLoopInSubmissionOrder() {
        let running = RunningGroup(loops: 2)
        let loop = running.group.loops[1]
        let other = running.group.loops[0]
        #expect(!loop.inEventLoop)
        let seen = Mutex<[Int: [Int]]>([:])
        let offLoop = Atomic<Int>(0)
        onThreads(6) { thread in
            for n in 0..<500 {
                loop.execute {
                    if !loop.inEventLoop || other.inEventLoop { offLoop.add(1, ordering: .relaxed) }
                    seen.withLock { $0[thread, default: []].append(n) }
                }
            }
        }
        #expect(waitUntil { seen.withLock { $0.values.reduce(0) { $0 + $1.count } } == 3_000 })
        #expect(offLoop.load(ordering: .relaxed) == 0)
        for (_, order) in seen.withLock({ $0 }) { #expect(order == Array(0..<500)) }
    }

    @Test func scheduledWorkRunsOnTheLoopAfterItsDelayAndCancelledWorkDoesNot() {
        let running = RunningGroup(loops: 1)
        let loop = running.group.loops[0]
        let log = Mutex<[String]>([])
        loop.execute {
            let start = loop.now()
            loop.schedule(after: 0.05) {
                let elapsed = Sys.monotonicMilliseconds() - start
                log.withLock { $0.append(loop.inEventLoop && elapsed >= 50 ? "fired" : "early or off-loop: \(elapsed)") }
            }
            let cancelled = loop.schedule(after: 0.03) { log.withLock { $0.append("cancelled timer fired") } }
            cancelled.cancel()
            cancelled.cancel()
        }
        #expect(waitUntil { !log.withLock { $0 }.isEmpty })
        usleep(100_000)
        #expect(log.withLock { $0 } == ["fired"])
        #expect(onLoop(loop) { loop.scheduledTimers } == 0)
    }

    @Test func aTimerCanBeCancelledFromAnotherThread() {
        let running = RunningGroup(loops: 1)
        let loop = running.group.loops[0]
        let fired = Atomic<Bool>(false)
        let handle = onLoop(loop) { loop.schedule(after: 0.2) { fired.store(true, ordering: .relaxed) } }
        handle.cancel()
        usleep(350_000)
        let didFire = fired.load(ordering: .relaxed)
        #expect(!didFire)
        TimerHandle().cancel()  // an empty handle is inert
    }

    @Test func nowIsMonotonicMillisecondsCachedPerTurn() {
        let running = RunningGroup(loops: 1)
        let loop = running.group.loops[0]
        let (a, b) = onLoop(loop) { () -> (UInt64, UInt64) in
            let first = loop.now()
            usleep(20_000)
            return (first, loop.now())
        }
        #expect(a == b, "cached within one turn")
        let later = onLoop(loop) { loop.now() }
        #expect(later >= a + 20)
    }

    @Test func nextHandsOutLoopsRoundRobin() {
        let group = EventLoopGroup(count: 3)
        let picked = (0..<6).map { _ in group.next().index }
        #expect(picked == [0, 1, 2, 0, 1, 2])
    }

    @Test func stoppingTheGroupClosesOpenConnectionsAndTellsTheirHandlers() throws {
        let group = EventLoopGroup(count: 2)
        group.start()
        let recorder = Recorder()
        let server = try TCPServer(host: "127.0.0.1", port: 0, group: group) { _ in EchoHandler(recorder) }
        let clients = try (0..<4).map { _ in try TestClient(port: server.port) }
        #expect(waitUntil { recorder["opened"] == 4 })
        group.stop()
        #expect(recorder["closed"] == 4)
        #expect(server.openConnections == 0)
        for c in clients { #expect((try? c.receiveToEnd()) == []) }
    }
}
