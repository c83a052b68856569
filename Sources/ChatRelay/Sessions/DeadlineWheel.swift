/// A hashed timing wheel of connection deadlines, one per loop, driven by one periodic
/// loop timer: no timer per connection (idle connections stay cheap).
///
/// Each id has at most one live deadline; moving it leaves a stale slot entry that is
/// dropped when its slot comes round.
struct DeadlineWheel {
    let resolution: UInt64
    private var slots: [[(id: UInt64, deadline: UInt64)]]
    private var deadlines: [UInt64: UInt64] = [:]
    private var lastTick: UInt64

    init(resolution: UInt64 = 1_000, slotCount: Int = 64, now: UInt64) {
        precondition(resolution > 0 && slotCount > 0, "a wheel needs slots and a resolution")
        self.resolution = resolution
        self.slots = Array(repeating: [], count: slotCount)
        self.lastTick = now / resolution
    }

    var count: Int { deadlines.count }

    func deadline(of id: UInt64) -> UInt64? { deadlines[id] }

    /// Sets (or moves) `id`'s deadline.
    mutating func schedule(_ id: UInt64, at deadline: UInt64) {
        deadlines[id] = deadline
        // Round up, so an entry is due whenever its slot is visited in its round; never file
        // into a slot already passed this round, where it would wait a whole turn.
        let tick = max((deadline + resolution - 1) / resolution, lastTick + 1)
        slots[Int(tick % UInt64(slots.count))].append((id, deadline))
    }

    mutating func cancel(_ id: UInt64) {
        deadlines[id] = nil
    }

    /// Ids whose deadline is at or before `now`, each once, in deadline order.
    mutating func advance(to now: UInt64) -> [UInt64] {
        let nowTick = now / resolution
        guard nowTick > lastTick else { return [] }
        var due: [(id: UInt64, deadline: UInt64)] = []
        let steps = min(nowTick - lastTick, UInt64(slots.count))
        for step in 1...steps {
            let index = Int((lastTick + step) % UInt64(slots.count))
            var keep: [(id: UInt64, deadline: UInt64)] = []
            for entry in slots[index] where deadlines[entry.id] == entry.deadline {
                if entry.deadline <= now {
                    due.append(entry)
                    deadlines[entry.id] = nil
                } else {
                    keep.append(entry)  // a later round
                }
            }
            slots[index] = keep
        }
        lastTick = nowTick
        return due.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }.map(\.id)
    }
}
