import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Shared

@Suite struct LogSinkBatchingTests {
    @Test func aLineIsWrittenWithinTheTickWithoutAFlushCall() async throws {
        let output = CapturedOutput()
        let sink = LogSink(flushInterval: .milliseconds(20), target: output.sink)
        defer { sink.close() }
        let logger = Logger(label: "t", level: .info, sink: sink)
        logger.info("first")
        #expect(try await eventually(within: 2, every: 0.005) { output.lines.count == 1 })
        // A second line after the writer went idle again is written the same way.
        try await Task.sleep(for: .milliseconds(50))
        logger.info("second")
        #expect(try await eventually(within: 2, every: 0.005) { output.lines.count == 2 })
        #expect(try output.objects().map { $0["msg"] as? String } == ["first", "second"])
    }

    @Test func callersDoNotWakeTheWriterForEveryLine() async throws {
        let output = CapturedOutput()
        // A long tick: only the first line (idle writer) and threshold crossings may wake it.
        let sink = LogSink(wakeThreshold: 64 << 10, flushInterval: .seconds(5), target: output.sink)
        let logger = Logger(label: "t", level: .info, sink: sink).withRequestId("0123456789abcdef")
        let lines = 20_000
        for i in 0..<lines { logger.info("request", ["i": .int(i)]) }
        sink.close()
        #expect(output.lines.count == lines)
        #expect(sink.droppedLines == 0)
        // About 2 MB of lines at a 64 KiB threshold: a few dozen wake-ups, never one per line.
        #expect(sink.writerWakeUps >= 1)
        #expect(sink.writerWakeUps < lines / 100, "\(sink.writerWakeUps) wake-ups for \(lines) lines")
        #expect(output.chunkCount < lines / 100, "\(output.chunkCount) writes for \(lines) lines")
    }

    @Test func aBufferPastTheThresholdIsWrittenBeforeTheTick() async throws {
        let output = CapturedOutput()
        let sink = LogSink(wakeThreshold: 4 << 10, flushInterval: .seconds(60), target: output.sink)
        defer { sink.close() }
        let logger = Logger(label: "t", level: .info, sink: sink)
        logger.info("starts the tick")
        try await Task.sleep(for: .milliseconds(50))  // the writer is now waiting for its (long) tick
        for i in 0..<100 { logger.info("filler line that pushes the buffer past four kibibytes", ["i": .int(i)]) }
        #expect(try await eventually(within: 5, every: 0.005) { output.lines.count >= 50 },
                "the threshold must wake the writer long before its 60 s tick")
    }

    @Test func anIdleWriterIsNotWokenPeriodically() async throws {
        let output = CapturedOutput()
        let sink = LogSink(flushInterval: .milliseconds(5), target: output.sink)
        defer { sink.close() }
        Logger(label: "t", level: .info, sink: sink).info("one")
        #expect(try await eventually(within: 2, every: 0.005) { output.chunkCount == 1 })
        try await Task.sleep(for: .milliseconds(100))
        #expect(output.chunkCount == 1, "nothing buffered, nothing written")
        #expect(sink.writerWakeUps <= 1, "at most the first line wakes a parked writer")
    }

    @Test func encodedInPlaceLinesThatDoNotFitAreDroppedWhole() throws {
        let output = CapturedOutput()
        let sink = LogSink(capacity: 100, flushInterval: .seconds(60), target: output.sink)
        sink.enqueue { buffer, _ in buffer.append(contentsOf: Array(repeating: UInt8(ascii: "a"), count: 60) + [0x0A]) }
        sink.enqueue { buffer, _ in buffer.append(contentsOf: Array(repeating: UInt8(ascii: "b"), count: 60) + [0x0A]) }
        #expect(sink.droppedLines == 1)
        sink.close()
        let lines = output.lines
        #expect(lines.first == String(repeating: "a", count: 60))
        #expect(lines.count == 2)  // the "a" line and the drop report; nothing of the "b" line
        #expect(!lines.joined().contains("b\""))
    }

    @Test func theCachedClockFormatsLikeTheEncoder() {
        var clock = LogClock()
        var out: [UInt8] = []
        clock.append(seconds: 1_732_442_400, milliseconds: 7, to: &out)
        clock.append(seconds: 1_732_442_400, milliseconds: 999, to: &out)
        clock.append(seconds: 1_732_442_401, milliseconds: 0, to: &out)
        #expect(String(decoding: out, as: UTF8.self)
                == "\"2024-11-24T10:00:00.007Z\"\"2024-11-24T10:00:00.999Z\"\"2024-11-24T10:00:01.000Z\"")
    }
}
