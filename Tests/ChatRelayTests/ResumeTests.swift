import Testing
import Shared
@testable import ChatRelay

@Suite struct ResumeTests {
    static func id(_ text: String) -> StreamID { StreamID(text)! }

    @Test func resumeAsksForEachChannelsLogAfterSinceUpToItsWelcomePosition() {
        var session = RelaySessionTests.welcomed()  // user:7 100-0, room:12 200-0, room:31 300-0
        let actions = session.received(
            text: #"{"type":"resume","since":{"room:12":"150-2","user:7":"100-0","room:31":"0-0","room:99":"1-0"}}"#, now: 1)
        #expect(actions == [
            .replay(ReplayRequest(channel: .room(12), from: Self.id("150-3"), through: Self.id("200-0"), kind: .resume(since: Self.id("150-2")))),
            .replay(ReplayRequest(channel: .room(31), from: Self.id("0-1"), through: Self.id("300-0"), kind: .resume(since: .zero))),
            .sendText(ServerFrame.error(.notMember(.room(99)))),
            .sendText(ServerFrame.resumed(channel: .user(7), complete: true)),  // nothing after since
        ])
    }

    @Test func replayedEventsAreMarkedInOrderOnceThenResumed() {
        var session = RelaySessionTests.welcomed()
        let request = ReplayRequest(channel: .room(12), from: Self.id("150-3"), through: Self.id("200-0"), kind: .resume(since: Self.id("150-2")))
        let entries = ["150-2", "160-0", "170-0", "170-0", "165-0", "200-0", "200-1"].map { Events.room(12, $0) }
        let actions = session.replayFinished(request, result: ReplayResult(entries: entries, logFirstId: Self.id("100-0")))
        #expect(actions == [
            .sendText(Events.room(12, "160-0").json(replayed: true)),
            .sendText(Events.room(12, "170-0").json(replayed: true)),
            .sendText(Events.room(12, "200-0").json(replayed: true)),
            .sendText(ServerFrame.resumed(channel: .room(12), complete: true)),
        ])
    }

    @Test func liveEventsDuringAResumeReadFollowItInIdOrder() {
        var session = RelaySessionTests.welcomed()  // room:12 welcomed at 200-0
        _ = session.received(text: #"{"type":"resume","since":{"room:12":"150-2"}}"#, now: 1)
        // While the log is read, live events of room 12 wait; other rooms flow.
        #expect(session.quickDelivery(Events.room(12, "201-0")) == nil)
        #expect(session.deliver(Events.room(12, "201-0")) == [])
        #expect(session.deliver(Events.room(12, "202-0")) == [])
        #expect(session.deliver(Events.room(31, "301-0")) == [.sendEvent])
        let request = ReplayRequest(channel: .room(12), from: Self.id("150-3"), through: Self.id("200-0"), kind: .resume(since: Self.id("150-2")))
        let actions = session.replayFinished(request, result: ReplayResult(entries: [Events.room(12, "160-0")], logFirstId: Self.id("100-0")))
        #expect(actions == [
            .sendText(Events.room(12, "160-0").json(replayed: true)),
            .sendText(ServerFrame.resumed(channel: .room(12), complete: true)),
            .sendText(Events.room(12, "201-0").json()),
            .sendText(Events.room(12, "202-0").json()),
        ])
        #expect(session.deliver(Events.room(12, "203-0")) == [.sendEvent])   // live again
    }

    @Test func aFailedResumeReadReleasesTheHeldLiveEventsAfterItsAnswer() {
        var session = RelaySessionTests.welcomed()
        _ = session.received(text: #"{"type":"resume","since":{"room:12":"150-2"}}"#, now: 1)
        _ = session.deliver(Events.room(12, "201-0"))
        let request = ReplayRequest(channel: .room(12), from: Self.id("150-3"), through: Self.id("200-0"), kind: .resume(since: Self.id("150-2")))
        #expect(session.replayFailed(request) == [.sendText(ServerFrame.resumed(channel: .room(12), complete: false)),
                                                  .sendText(Events.room(12, "201-0").json())])
    }

    @Test func aTrimmedLogAnswersCompleteFalse() {
        var session = RelaySessionTests.welcomed()
        let request = ReplayRequest(channel: .room(12), from: Self.id("150-3"), through: Self.id("200-0"), kind: .resume(since: Self.id("150-2")))
        let actions = session.replayFinished(request, result: ReplayResult(entries: [Events.room(12, "190-0")], logFirstId: Self.id("190-0")))
        #expect(actions.last == .sendText(ServerFrame.resumed(channel: .room(12), complete: false)))
        #expect(actions.count == 2)
        #expect(session.replayFailed(request) == [.sendText(ServerFrame.resumed(channel: .room(12), complete: false))])
    }

    @Test func catchUpEntriesAreSentAsLiveWithoutAResumedFrame() {
        var session = RelaySessionTests.welcomed()
        let request = ReplayRequest(channel: .room(31), from: Self.id("290-0"), through: Self.id("300-0"), kind: .catchUp)
        let actions = session.replayFinished(request, result: ReplayResult(entries: [Events.room(31, "295-0")], logFirstId: nil))
        #expect(actions == [.sendText(Events.room(31, "295-0").json())])
        #expect(session.replayFailed(request) == [])
    }

    @Test func aReplayForAChannelLeftMeanwhileSendsNothing() {
        var session = RelaySessionTests.welcomed()
        _ = session.deliver(Events.user(7, "400-0", type: "room.left", roomId: 12))
        let request = ReplayRequest(channel: .room(12), from: Self.id("1-0"), through: Self.id("200-0"), kind: .resume(since: .zero))
        #expect(session.replayFinished(request, result: ReplayResult(entries: [Events.room(12, "5-0")], logFirstId: nil)) == [])
    }

    @Test func theCompletenessRule() {
        let since = Self.id("150-2"), through = Self.id("200-0")
        #expect(ResumeRule.isComplete(since: through, through: through, logFirstId: nil))          // nothing to replay
        #expect(ResumeRule.isComplete(since: Self.id("300-0"), through: through, logFirstId: nil)) // ahead of the welcome
        #expect(ResumeRule.isComplete(since: since, through: through, logFirstId: Self.id("100-0")))
        #expect(ResumeRule.isComplete(since: since, through: through, logFirstId: since))
        #expect(ResumeRule.isComplete(since: since, through: through, logFirstId: Self.id("150-3")))  // the very next id
        #expect(!ResumeRule.isComplete(since: since, through: through, logFirstId: Self.id("150-4")))
        #expect(!ResumeRule.isComplete(since: since, through: through, logFirstId: Self.id("199-0")))
        #expect(!ResumeRule.isComplete(since: since, through: through, logFirstId: nil))  // emptied by trimming
        #expect(!ResumeRule.isComplete(since: .zero, through: through, logFirstId: Self.id("1-0")))
    }

    @Test func replayCommandPagesWithAnInclusiveStart() {
        let request = ReplayRequest(channel: .room(12), from: Self.id("150-3"), through: Self.id("200-0"), kind: .catchUp)
        #expect(request.command(count: 100) == ["XRANGE", "chat:room:12:log", "150-3", "200-0", "COUNT", "100"])
        #expect(request.command(from: Self.id("170-1"), count: 5) == ["XRANGE", "chat:room:12:log", "170-1", "200-0", "COUNT", "5"])
    }
}
