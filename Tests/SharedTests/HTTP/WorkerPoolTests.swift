import Dispatch
import Synchronization
import Testing
@testable import Shared

@Suite struct WorkerPoolTests {
    @Test func runsSubmittedWorkOnItsThreads() {
        let pool = WorkerPool(threads: 3, queueLimit: 100)
        let done = DispatchGroup()
        let count = Atomic<Int>(0)
        for _ in 0..<50 {
            done.enter()
            #expect(pool.submit { count.add(1, ordering: .relaxed); done.leave() })
        }
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(count.load(ordering: .relaxed) == 50)
        pool.shutdown()
    }

    @Test func refusesWorkWhenTheQueueIsFull() {
        let pool = WorkerPool(threads: 1, queueLimit: 2)
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        #expect(pool.submit { started.signal(); gate.wait() })
        started.wait()  // the only thread is now busy
        #expect(pool.submit {})
        #expect(pool.submit {})
        #expect(!pool.submit {}, "a third queued item must be refused")
        #expect(pool.queuedCount == 2 && pool.busyCount == 1)
        gate.signal()
        pool.shutdown()
        #expect(pool.queuedCount == 0)
        #expect(!pool.submit {}, "a stopped pool accepts nothing")
    }

    @Test func shutdownFinishesQueuedWork() {
        let pool = WorkerPool(threads: 2, queueLimit: 10)
        let count = Atomic<Int>(0)
        for _ in 0..<10 { _ = pool.submit { count.add(1, ordering: .relaxed) } }
        pool.shutdown()
        #expect(count.load(ordering: .relaxed) == 10)
    }
}
