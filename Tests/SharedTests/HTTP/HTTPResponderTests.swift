import Synchronization
import Testing
@testable import Shared

/// The responder's rules without a server: one answer, early or late; cancels tell the owner once.
@Suite struct HTTPResponderTests {
    /// What `hold` hands the server to deliver with, recorded.
    final class Deliveries: Sendable {
        let answers = Mutex<[HTTPResponse]>([])
        var statuses: [Int] { answers.withLock { $0.map(\.status) } }
        func deliver(_ response: HTTPResponse) { answers.withLock { $0.append(response) } }
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
        func bump() { value.add(1, ordering: .relaxed) }
        var count: Int { value.load(ordering: .relaxed) }
    }

    @Test func anAnswerGivenBeforeTheServerHoldsTheRequestIsWrittenAtOnce() {
        let responder = HTTPResponder(timeout: 5)
        #expect(responder.complete(HTTPResponse(status: 201)))
        #expect(!responder.complete(HTTPResponse(status: 202)))
        let deliveries = Deliveries()
        guard case .answered(let answer) = responder.hold(deliver: deliveries.deliver) else {
            Issue.record("an early answer must be handed back by hold")
            return
        }
        #expect(answer.status == 201)
        #expect(deliveries.statuses.isEmpty)
        #expect(!responder.cancel())
    }

    @Test func aLaterAnswerIsDeliveredOnceAndTheSecondIsIgnored() {
        let responder = HTTPResponder(timeout: 5)
        let deliveries = Deliveries()
        guard case .held = responder.hold(deliver: deliveries.deliver) else {
            Issue.record("an unanswered responder must be held")
            return
        }
        var answer = HTTPResponse(status: 200)
        answer.responder = HTTPResponder(timeout: 1)  // an answer cannot defer again
        #expect(responder.complete(answer))
        #expect(!responder.complete(HTTPResponse(status: 500)))
        #expect(deliveries.statuses == [200])
        #expect(deliveries.answers.withLock { $0.first?.responder == nil })
        #expect(!responder.cancel())
        #expect(!responder.isCancelled)
    }

    @Test func aCancelRunsEachHandlerOnceAndMakesCompletingANoOp() {
        let responder = HTTPResponder(timeout: 5)
        let deliveries = Deliveries(), told = Counter()
        _ = responder.hold(deliver: deliveries.deliver)
        responder.onCancel { told.bump() }
        responder.onCancel { told.bump() }
        #expect(responder.cancel())
        #expect(!responder.cancel())
        #expect(told.count == 2)
        #expect(responder.isCancelled)
        #expect(!responder.complete(HTTPResponse(status: 200)))
        #expect(deliveries.statuses.isEmpty)
        // Registered after the cancel: runs at once.
        responder.onCancel { told.bump() }
        #expect(told.count == 3)
    }

    @Test func cancelHandlersNeverRunOnceTheRequestIsAnswered() {
        let responder = HTTPResponder(timeout: 5)
        let told = Counter()
        responder.onCancel { told.bump() }
        _ = responder.hold(deliver: Deliveries().deliver)
        #expect(responder.complete(HTTPResponse(status: 200)))
        responder.onCancel { told.bump() }
        #expect(!responder.cancel())
        #expect(told.count == 0)
    }

    @Test func aResponderHandedToTwoRequestsIsRefusedTheSecondTime() {
        let responder = HTTPResponder(timeout: 5)
        _ = responder.hold(deliver: Deliveries().deliver)
        guard case .reused = responder.hold(deliver: Deliveries().deliver) else {
            Issue.record("a second hold must be refused")
            return
        }
    }

    @Test func theFinalAnswerGainsThePlaceholdersHeadersItLacks() {
        var placeholder = HTTPResponse.deferred(HTTPResponder(timeout: 1))
        placeholder.headers.set("X-Request-Id", "req-1")
        placeholder.headers.add("Set-Cookie", "a=1")
        placeholder.headers.add("Set-Cookie", "b=2")
        placeholder.headers.set("Cache-Control", "no-store")
        let final = placeholder.completingDeferred(with: HTTPResponse(status: 204, headers: ["Cache-Control": "max-age=5"]))
        #expect(final.status == 204)
        #expect(final.headers["X-Request-Id"] == "req-1")
        #expect(final.headers.values(for: "Set-Cookie") == ["a=1", "b=2"])
        #expect(final.headers.values(for: "Cache-Control") == ["max-age=5"])
        #expect(final.responder == nil)
    }

    @Test func theTimeoutIsNeverNegative() {
        #expect(HTTPResponder(timeout: -3).timeout == 0)
    }

    @Test func theDeferredDeadlineIsKeptOnTheConnectionsOneEntry() {
        var d = HTTPConnectionDeadline()
        _ = d.arm(.body, seconds: 10, now: 0)
        // A 45 s bound after a body deadline: the 10 s entry fires first and asks for the rest.
        #expect(d.arm(.deferred, seconds: 45, now: 1_000) == .keep)
        #expect(d.fired(now: 10_000) == .reschedule(afterMilliseconds: 36_000))
        #expect(d.fired(now: 46_000) == .expired(.deferred))
        // After the idle 75 s of an earlier answer, a 1 s bound replaces that entry.
        _ = d.arm(.idle, seconds: 75, now: 50_000)
        #expect(d.arm(.deferred, seconds: 1, now: 51_000) == .schedule(afterMilliseconds: 1_000))
    }
}
