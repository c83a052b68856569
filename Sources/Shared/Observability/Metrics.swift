import Synchronization

/// A monotonically increasing count (Prometheus `counter`).
public final class Counter: Sendable {
    private let value = Atomic<Int64>(0)

    init() {}

    public func increment(by amount: Int64 = 1) {
        precondition(amount >= 0, "a counter only goes up")
        value.add(amount, ordering: .relaxed)
    }

    public var current: Int64 { value.load(ordering: .relaxed) }
}

/// A value that goes up and down (Prometheus `gauge`), stored as the bits of a `Double`.
public final class Gauge: Sendable {
    private let bits = Atomic<UInt64>(0.0.bitPattern)

    init() {}

    public func set(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }
    public func set(_ value: Int) { set(Double(value)) }
    public func increment(by amount: Double = 1) { AtomicDouble.add(amount, to: bits) }
    public func decrement(by amount: Double = 1) { AtomicDouble.add(-amount, to: bits) }

    public var current: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}

/// Observations counted into buckets (Prometheus `histogram`), exported cumulatively.
public final class Histogram: Sendable {
    /// Upper bounds, ascending, without `+Inf`.
    public let upperBounds: [Double]
    /// Per-bucket (non-cumulative) counts; the last cell is the `+Inf` overflow.
    private let cells: [Cell]
    private let sumBits = Atomic<UInt64>(0.0.bitPattern)

    final class Cell: Sendable {
        let count = Atomic<Int64>(0)
    }

    init(upperBounds: [Double]) {
        self.upperBounds = upperBounds
        self.cells = (0...upperBounds.count).map { _ in Cell() }
    }

    public func observe(_ value: Double) {
        // Linear scan: bucket lists are short (~10-15) and this stays branch-predictable.
        var index = upperBounds.count
        for (i, bound) in upperBounds.enumerated() where value <= bound {
            index = i
            break
        }
        cells[index].count.add(1, ordering: .relaxed)
        AtomicDouble.add(value, to: sumBits)
    }

    /// Observes the seconds elapsed since `startNanoseconds` (a monotonic clock reading).
    public func observe(secondsSince startNanoseconds: UInt64, now: UInt64) {
        observe(Double(now &- startNanoseconds) / 1e9)
    }

    /// Cumulative counts per bound, the last one being `+Inf` (which is also `_count`).
    var cumulativeCounts: [Int64] {
        var running: Int64 = 0
        return cells.map { cell in
            running += cell.count.load(ordering: .relaxed)
            return running
        }
    }

    var sum: Double { Double(bitPattern: sumBits.load(ordering: .relaxed)) }

    /// Total number of observations.
    public var count: Int64 { cumulativeCounts.last ?? 0 }

    /// Prometheus client libraries' default latency buckets, in seconds.
    public static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
}

enum AtomicDouble {
    static func add(_ amount: Double, to bits: borrowing Atomic<UInt64>) {
        var old = bits.load(ordering: .relaxed)
        while true {
            let new = (Double(bitPattern: old) + amount).bitPattern
            let (exchanged, original) = bits.weakCompareExchange(expected: old, desired: new, ordering: .relaxed)
            if exchanged { return }
            old = original
        }
    }
}
