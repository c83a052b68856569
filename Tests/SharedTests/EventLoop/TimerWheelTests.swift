import Testing
@testable import Shared

@Suite struct TimerWheelTests {
    /// Fires everything due at `now` through the wheel's two-step protocol, as the loop does.
    private func advance(_ wheel: inout TimerWheel, to now: UInt64) {
        var due: [TimerID] = []
        wheel.collectDue(now: now, into: &due)
        for id in due { wheel.take(id)?() }
    }

    @Test func timersFireInDeadlineOrderNotSchedulingOrder() {
        var wheel = TimerWheel(tickMilliseconds: 10, bucketCount: 64, now: 1_000)
        var fired: [Int] = []
        for (n, delay) in [(3, 300), (1, 15), (2, 17), (4, 301), (0, 5)] {
            _ = wheel.schedule(at: 1_000 + UInt64(delay)) { fired.append(n) }
        }
        advance(&wheel, to: 2_000)
        #expect(fired == [0, 1, 2, 3, 4])
        #expect(wheel.count == 0)
    }

    @Test func timersNeverFireBeforeTheirDeadline() {
        var wheel = TimerWheel(tickMilliseconds: 10, bucketCount: 64, now: 0)
        var fired = false
        _ = wheel.schedule(at: 25) { fired = true }
        advance(&wheel, to: 24)
        #expect(!fired)
        advance(&wheel, to: 29)
        #expect(!fired, "the first tick boundary at or after 25 ms is 30 ms")
        advance(&wheel, to: 30)
        #expect(fired)
    }

    @Test func equalDeadlinesFireInSchedulingOrder() {
        var wheel = TimerWheel(tickMilliseconds: 10, bucketCount: 8, now: 0)
        var fired: [Int] = []
        for n in 0..<20 { _ = wheel.schedule(at: 50) { fired.append(n) } }
        advance(&wheel, to: 50)
        #expect(fired == Array(0..<20))
    }

    @Test func cancelledTimersDoNotFireAndCancellingTwiceIsHarmless() {
        var wheel = TimerWheel(tickMilliseconds: 10, bucketCount: 64, now: 0)
        var fired: [Int] = []
        let a = wheel.schedule(at: 20) { fired.append(1) }
        _ = wheel.schedule(at: 20) { fired.append(2) }
        let first = wheel.cancel(a)
        let second = wheel.cancel(a)
        #expect(first)
        #expect(!second)
        #expect(wheel.count == 1)
        advance(&wheel, to: 100)
        #expect(fired == [2])
    }

    @Test func aStaleIdCannotCancelTheTimerThatReusedItsSlot() {
        var wheel = TimerWheel(tickMilliseconds: 10, bucketCount: 64, now: 0)
        var fired: [String] = []
        let old = wheel.schedule(at: 10) { fired.append("old") }
        advance(&wheel, to: 10)
        let new = wheel.schedule(at: 30) { fired.append("new") }
        #expect(new.index == old.index, "the slab slot is reused")
        let cancelled = wheel.cancel(old)
        #expect(!cancelled)
        advance(&wheel, to: 30)
        #expect(fired == ["old", "new"])
    }

    @Test func aTimerCanCancelAnotherDueInTheSameBatch() {
        var wheel = TimerWheel(tickMilliseconds: 10, bucketCount: 64, now: 0)
        var fired: [Int] = []
        var second = TimerID(index: -1, generation: 0)
        var due: [TimerID] = []
        _ = wheel.schedule(at: 10) { fired.append(1) }
        second = wheel.schedule(at: 11) { fired.append(2) }
        wheel.collectDue(now: 100, into: &due)
        #expect(due.count == 2)
        for (n, id) in due.enumerated() {
            if let work = wheel.take(id) {
                work()
                if n == 0 { wheel.cancel(second) }
            }
        }
        #expect(fired == [1])
        #expect(wheel.count == 0)
    }

    @Test func timersBeyondOneRevolutionWaitForTheirRound() {
        var wheel = TimerWheel(tickMilliseconds: 10, bucketCount: 8, now: 0)  // one turn = 80 ms
        var fired: [Int] = []
        _ = wheel.schedule(at: 250) { fired.append(250) }
        _ = wheel.schedule(at: 20) { fired.append(20) }
        var now: UInt64 = 0
        while now < 240 { now += 10; advance(&wheel, to: now) }
        #expect(fired == [20])
        advance(&wheel, to: 250)
        #expect(fired == [20, 250])
    }

    @Test func aLongStallFiresEverythingDueInOrder() {
        var wheel = TimerWheel(tickMilliseconds: 10, bucketCount: 8, now: 0)
        var fired: [UInt64] = []
        for d in [700, 30, 410, 90, 1_000] as [UInt64] { _ = wheel.schedule(at: d) { fired.append(d) } }
        advance(&wheel, to: 900)
        #expect(fired == [30, 90, 410, 700])
        advance(&wheel, to: 1_000)
        #expect(fired.last == 1_000)
    }

    @Test func timeoutIsInfiniteWhenEmptyAndBoundedByTheNextTimer() {
        var wheel = TimerWheel(tickMilliseconds: 10, bucketCount: 4096, now: 0)
        #expect(wheel.timeout(now: 0) == -1)
        let id = wheel.schedule(at: 45) {}
        let t = wheel.timeout(now: 0)
        #expect(t >= 0 && t <= 50)
        wheel.cancel(id)
        #expect(wheel.timeout(now: 0) == -1)
        // A far timer: the loop sleeps, waking at most every lookahead window, not every tick.
        _ = wheel.schedule(at: 60_000) {}
        advance(&wheel, to: 10)
        #expect(wheel.timeout(now: 10) > 1_000)
    }

    @Test func timersScheduledWhileFiringRunOnALaterAdvance() {
        var wheel = TimerWheel(tickMilliseconds: 10, bucketCount: 64, now: 0)
        var fired: [String] = []
        var due: [TimerID] = []
        _ = wheel.schedule(at: 10) { fired.append("first") }
        wheel.collectDue(now: 10, into: &due)
        for id in due {
            wheel.take(id)?()
            _ = wheel.schedule(at: 10) { fired.append("rescheduled") }  // already past: next tick
        }
        #expect(fired == ["first"])
        advance(&wheel, to: 20)
        #expect(fired == ["first", "rescheduled"])
    }
}
