/// The one timeout an HTTP connection has at a time (header, body, idle, or the bound of a
/// deferred answer), kept on at most one timer-wheel entry. Pure, with the clock passed in, so its rules are tested without sleeping.
///
/// Moving the deadline later (progress, the next request) costs nothing: the entry fires at its
/// old time and asks to be rescheduled for the rest. Only moving it earlier (idle 75 s → header
/// 10 s) replaces the entry.
struct HTTPConnectionDeadline: Equatable {
    enum Kind: Equatable {
        case header, body, idle
        /// A handler deferred its answer (`HTTPResponder`): past this, the server answers 503.
        case deferred
    }

    /// What `arm` needs from the wheel.
    enum Step: Equatable {
        /// The current entry fires early enough.
        case keep
        /// Cancel any entry and schedule one this many milliseconds from now.
        case schedule(afterMilliseconds: UInt64)
    }

    /// What a firing entry means.
    enum Firing: Equatable {
        /// The deadline moved: schedule again this many milliseconds from now.
        case reschedule(afterMilliseconds: UInt64)
        case expired(Kind)
    }

    private(set) var kind = Kind.header
    private(set) var deadline: UInt64 = 0
    /// When the wheel entry fires; nil when there is none.
    private(set) var entryFiresAt: UInt64?

    /// Sets the deadline to `seconds` from `now`.
    mutating func arm(_ kind: Kind, seconds: Double, now: UInt64) -> Step {
        self.kind = kind
        deadline = now &+ UInt64(max(0, seconds) * 1000)
        if let firesAt = entryFiresAt, firesAt <= deadline { return .keep }
        entryFiresAt = deadline
        return .schedule(afterMilliseconds: deadline &- now)
    }

    /// The wheel entry fired (so it no longer exists).
    mutating func fired(now: UInt64) -> Firing {
        entryFiresAt = nil
        guard now >= deadline else {
            entryFiresAt = deadline
            return .reschedule(afterMilliseconds: deadline &- now)
        }
        return .expired(kind)
    }

    /// The entry was cancelled (or fired and was ignored): the next `arm` schedules one.
    mutating func entryCancelled() { entryFiresAt = nil }
}
