import Testing
@testable import Shared

@Suite struct WebSocketConnectionStateTests {
    typealias State = WebSocketConnectionState
    func fresh() -> State { State(pingInterval: 25, idleTimeout: 60, now: 0) }

    @Test func messagesAreDeliveredAndPingsAnsweredWhileOpen() {
        var state = fresh()
        #expect(state.received(.text("hi")) == State.Output(deliver: .text("hi")))
        #expect(state.received(.binary([1])) == State.Output(deliver: .binary([1])))
        #expect(state.received(.ping([7])) == State.Output(write: [0x8A, 0x01, 0x07]))
        #expect(state.received(.pong) == .nothing)
        #expect(state.isOpen)
    }

    @Test func peerCloseIsEchoedWithItsCodeThenTCPCloses() {
        var state = fresh()
        #expect(state.received(.close(code: 4000, reason: "x"))
                == State.Output(write: WebSocketFrameEncoder.close(code: 4000), tcp: .closeAfterFlush, armCloseTimer: true))
        #expect(state.closeCode == 4000 && state.closeReason == "x" && !state.isOpen)
        #expect(state.received(.text("late")) == .nothing)
    }

    @Test func emptyPeerCloseGetsAnEmptyCloseAndReports1005() {
        var state = fresh()
        #expect(state.received(.close(code: nil, reason: "")).write == [0x88, 0x00])
        #expect(state.closeCode == 1005)
    }

    @Test func ourCloseWaitsForThePeersAndIgnoresMessagesMeanwhile() {
        var state = fresh()
        #expect(state.close(code: 4001, reason: "expired")
                == State.Output(write: WebSocketFrameEncoder.close(code: 4001, reason: "expired"), armCloseTimer: true))
        #expect(!state.isOpen)
        #expect(state.received(.text("in flight")) == .nothing)
        #expect(state.received(.ping([])) == .nothing)
        #expect(state.close(code: 1000, reason: "") == .nothing)  // one close only
        #expect(state.received(.close(code: 4001, reason: "")) == State.Output(tcp: .closeAfterFlush, armCloseTimer: true))
        #expect(state.closeCode == 4001)
    }

    @Test func decodingFailureSendsItsCloseCodeOnce() {
        var state = fresh()
        #expect(state.failed(.invalidUTF8).write == WebSocketFrameEncoder.close(code: 1007, reason: "invalid UTF-8"))
        #expect(state.closeCode == 1007)
        var closing = fresh()
        _ = closing.close(code: 4002, reason: "revoked")
        let output = closing.failed(.protocolError)
        #expect(output.write == nil && output.tcp == .closeAfterFlush)
        #expect(closing.closeCode == 4002)
    }

    @Test func fullSendQueueDropsTheConnectionWith1008() {
        var state = fresh()
        #expect(state.sendQueueOverflowed() == State.Output(tcp: .closeNow))
        #expect(state.closeCode == 1008)
    }

    @Test func heartbeatPingsQuietPeersAndDropsSilentOnesOnTime() {
        var state = fresh()
        var beat = state.heartbeat(now: 10_000)
        #expect(beat.action == .wait && beat.nextCheck == 15)
        state.receivedInput(at: 10_000)
        beat = state.heartbeat(now: 35_000)
        #expect(beat.action == .ping && beat.output.write == [0x89, 0x00] && beat.nextCheck == 25)
        beat = state.heartbeat(now: 60_000)
        #expect(beat.action == .ping && beat.nextCheck == 10)  // dropped at 60 s of silence, not 75
        beat = state.heartbeat(now: 70_000)
        #expect(beat.action == .drop && beat.output.tcp == .closeNow)
        #expect(state.closeCode == 1006 && !state.isOpen)
    }
}
