/// Identifies a scheduled timer: the slab index plus a generation, so a handle kept after its
/// timer fired (and the slot was reused) cannot cancel someone else's timer.
struct TimerID: Hashable, Sendable {
    let index: Int32
    let generation: UInt32
}

/// A hashed timer wheel with an injected clock: pure, no threads, no syscalls.
///
/// Why a wheel: idle and header timeouts exist for every connection, so scheduling and cancelling
/// must be O(1) and allocation-free (entries live in a slab with intrusive lists per bucket).
/// Timers fire at the first tick boundary at or after their deadline (never early), and those due
/// together fire in deadline order, ties in scheduling order.
struct TimerWheel {
    typealias Work = () -> Void

    private struct Entry {
        var deadline: UInt64 = 0
        var fireTick: UInt64 = 0
        var sequence: UInt64 = 0
        var work: Work?
        var generation: UInt32 = 0
        var prev: Int32 = -1
        var next: Int32 = -1
        var bucket: Int32 = -1   // -1: not in a bucket (free, or collected and about to fire)
    }

    let tickMilliseconds: UInt64
    private var buckets: [Int32]
    private var entries: [Entry] = []
    private var freeHead: Int32 = -1
    private var nextSequence: UInt64 = 0
    /// The last tick processed; entries in the wheel all have `fireTick > currentTick`.
    private(set) var currentTick: UInt64
    /// A lower bound of every entry's fire tick, so idle wheels do not wake every tick.
    private var wakeTick: UInt64 = .max
    /// Live timers (scheduled, not cancelled, not yet taken to fire).
    private(set) var count = 0
    /// How far ahead `timeout` looks for a non-empty bucket before sleeping that long anyway.
    private let lookahead: UInt64 = 256

    init(tickMilliseconds: UInt64 = 10, bucketCount: Int = 4096, now: UInt64) {
        precondition(tickMilliseconds > 0 && bucketCount > 0)
        self.tickMilliseconds = tickMilliseconds
        self.buckets = Array(repeating: -1, count: bucketCount)
        self.currentTick = now / tickMilliseconds
    }

    /// Schedules `work` to fire at `deadline` (milliseconds on the caller's clock).
    mutating func schedule(at deadline: UInt64, _ work: @escaping Work) -> TimerID {
        let index: Int32
        if freeHead >= 0 {
            index = freeHead
            freeHead = entries[Int(index)].next
        } else {
            index = Int32(entries.count)
            entries.append(Entry())
        }
        let (quotient, remainder) = deadline.quotientAndRemainder(dividingBy: tickMilliseconds)
        let tick = max(remainder == 0 ? quotient : quotient + 1, currentTick + 1)
        let bucket = Int32(Int(tick % UInt64(buckets.count)))
        var e = entries[Int(index)]
        e.deadline = deadline
        e.fireTick = tick
        e.sequence = nextSequence
        e.work = work
        e.generation &+= 1
        e.prev = -1
        e.next = buckets[Int(bucket)]
        e.bucket = bucket
        entries[Int(index)] = e
        if e.next >= 0 { entries[Int(e.next)].prev = index }
        buckets[Int(bucket)] = index
        nextSequence &+= 1
        count += 1
        wakeTick = min(wakeTick, tick)
        return TimerID(index: index, generation: e.generation)
    }

    /// Cancels a timer; false when it already fired, was cancelled, or the id is stale.
    @discardableResult
    mutating func cancel(_ id: TimerID) -> Bool {
        guard isLive(id) else { return false }
        unlink(id.index)
        release(id.index)
        return true
    }

    /// Unlinks every timer due at `now` into `due`, in firing order. Fire each with `take`,
    /// which skips a timer that an earlier one in the same batch cancelled.
    mutating func collectDue(now: UInt64, into due: inout [TimerID]) {
        due.removeAll(keepingCapacity: true)
        let target = now / tickMilliseconds
        guard target > currentTick else { return }
        if count == 0 || target < wakeTick {
            currentTick = target
            return
        }
        let steps = min(target - currentTick, UInt64(buckets.count))
        var tick = currentTick
        for _ in 0..<steps {
            tick += 1
            let bucket = Int(tick % UInt64(buckets.count))
            var cursor = buckets[bucket]
            while cursor >= 0 {
                let next = entries[Int(cursor)].next
                if entries[Int(cursor)].fireTick <= target {
                    unlink(cursor)
                    due.append(TimerID(index: cursor, generation: entries[Int(cursor)].generation))
                }
                cursor = next
            }
        }
        currentTick = target
        recomputeWakeTick()
        if due.count > 1 {
            due.sort { a, b in
                let x = entries[Int(a.index)], y = entries[Int(b.index)]
                return (x.deadline, x.sequence) < (y.deadline, y.sequence)
            }
        }
    }

    /// Removes a collected timer and returns its work, or nil if it was cancelled meanwhile.
    mutating func take(_ id: TimerID) -> Work? {
        guard isLive(id) else { return nil }
        let work = entries[Int(id.index)].work
        release(id.index)
        return work
    }

    /// Milliseconds until the wheel needs to run again, -1 when it holds no timers.
    func timeout(now: UInt64) -> Int32 {
        guard count > 0 else { return -1 }
        let wakeAt = wakeTick == .max ? (currentTick + 1) * tickMilliseconds : wakeTick * tickMilliseconds
        guard wakeAt > now else { return 0 }
        return Int32(clamping: wakeAt - now)
    }

    private func isLive(_ id: TimerID) -> Bool {
        id.index >= 0 && Int(id.index) < entries.count
            && entries[Int(id.index)].generation == id.generation
            && entries[Int(id.index)].work != nil
    }

    private mutating func unlink(_ index: Int32) {
        let e = entries[Int(index)]
        guard e.bucket >= 0 else { return }
        if e.prev >= 0 { entries[Int(e.prev)].next = e.next } else { buckets[Int(e.bucket)] = e.next }
        if e.next >= 0 { entries[Int(e.next)].prev = e.prev }
        entries[Int(index)].prev = -1
        entries[Int(index)].next = -1
        entries[Int(index)].bucket = -1
    }

    /// Returns a slot to the free list; dropping `work` releases what the closure captured.
    private mutating func release(_ index: Int32) {
        entries[Int(index)].work = nil
        entries[Int(index)].generation &+= 1
        entries[Int(index)].next = freeHead
        freeHead = index
        count -= 1
        if count == 0 { wakeTick = .max }
    }

    private mutating func recomputeWakeTick() {
        guard count > 0 else { wakeTick = .max; return }
        let n = UInt64(buckets.count)
        let window = min(lookahead, n)
        for offset in 1...window where buckets[Int((currentTick + offset) % n)] >= 0 {
            wakeTick = currentTick + offset
            return
        }
        // Every entry is further out than the window: its fire tick is at least this far.
        wakeTick = currentTick + window
    }
}
