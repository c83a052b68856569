import Testing
@testable import Shared

@Suite struct HTTPConnectionDeadlineTests {
    @Test func schedulesOneEntryAndKeepsItWhenTheDeadlineMovesLater() {
        var d = HTTPConnectionDeadline()
        #expect(d.arm(.header, seconds: 10, now: 1000) == .schedule(afterMilliseconds: 10_000))
        #expect(d.arm(.body, seconds: 10, now: 3000) == .keep)
        #expect(d.arm(.idle, seconds: 75, now: 4000) == .keep)
        // The entry fires at 11 000, before the idle deadline (79 000): it asks for the rest.
        #expect(d.fired(now: 11_000) == .reschedule(afterMilliseconds: 68_000))
        #expect(d.fired(now: 79_000) == .expired(.idle))
    }

    @Test func replacesTheEntryWhenTheDeadlineMovesEarlier() {
        var d = HTTPConnectionDeadline()
        _ = d.arm(.idle, seconds: 75, now: 0)
        #expect(d.arm(.header, seconds: 10, now: 5000) == .schedule(afterMilliseconds: 10_000))
        #expect(d.fired(now: 15_000) == .expired(.header))
    }

    @Test func schedulesAgainAfterACancelOrAFiring() {
        var d = HTTPConnectionDeadline()
        _ = d.arm(.header, seconds: 10, now: 0)
        d.entryCancelled()
        #expect(d.arm(.idle, seconds: 75, now: 100) == .schedule(afterMilliseconds: 75_000))
        #expect(d.fired(now: 75_100) == .expired(.idle))
        #expect(d.arm(.header, seconds: 10, now: 80_000) == .schedule(afterMilliseconds: 10_000))
    }

    @Test func aWheelThatFiresLateStillExpiresOnce() {
        var d = HTTPConnectionDeadline()
        _ = d.arm(.body, seconds: 1, now: 0)
        #expect(d.fired(now: 1500) == .expired(.body))
        #expect(d.entryFiresAt == nil)
    }
}
