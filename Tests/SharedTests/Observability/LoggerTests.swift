import Foundation
import Synchronization
import Testing
@testable import Shared

/// Collects what a sink writes, for assertions.
final class CapturedOutput: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    private let chunks = Atomic<Int>(0)

    var sink: LogSink.Target {
        .custom { [self] chunk in
            bytes.withLock { $0.append(contentsOf: chunk) }
            chunks.add(1, ordering: .relaxed)
        }
    }

    var chunkCount: Int { chunks.load(ordering: .relaxed) }

    var lines: [String] {
        String(decoding: bytes.withLock { $0 }, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func objects() throws -> [[String: Any]] {
        try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }
}

@Suite struct LoggerTests {
    @Test func writesOneValidJSONObjectPerLineWithTheFixedKeys() throws {
        let output = CapturedOutput()
        let sink = LogSink(target: output.sink)
        defer { sink.close() }
        let logger = Logger(label: "chat.api", level: .info, sink: sink).withRequestId("req-1")
        logger.info("request done", ["status": 200, "route": "/api/v1/users", "ms": 1.5, "ok": true, "none": nil])
        sink.flush()
        let objects = try output.objects()
        #expect(objects.count == 1)
        let line = try #require(objects.first)
        #expect(line["level"] as? String == "info")
        #expect(line["msg"] as? String == "request done")
        #expect(line["label"] as? String == "chat.api")
        #expect(line["requestId"] as? String == "req-1")
        #expect(line["status"] as? Int == 200)
        #expect(line["route"] as? String == "/api/v1/users")
        #expect(line["ms"] as? Double == 1.5)
        #expect(line["ok"] as? Bool == true)
        #expect(line["none"] is NSNull)
        let time = try #require(line["time"] as? String)
        #expect(time.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(time)")
        #expect(output.lines[0].hasPrefix(#"{"time":""#))
    }

    @Test func escapesQuotesBackslashesAndControlCharacters() throws {
        let output = CapturedOutput()
        let sink = LogSink(target: output.sink)
        defer { sink.close() }
        let nasty = "quote\" back\\slash\nnewline\ttab\u{01}bell\u{7F} é 😀"
        Logger(label: "t", level: .debug, sink: sink).error(nasty, [nasty: .string(nasty), "msg": "clash"])
        sink.flush()
        #expect(output.lines.count == 1)
        let line = try #require(try output.objects().first)
        #expect(line["msg"] as? String == nasty)
        #expect(line[nasty] as? String == nasty)
        #expect(line["field.msg"] as? String == "clash")
        #expect(!output.lines[0].contains("\u{01}"))
    }

    @Test func linesBelowTheLevelAreNeitherWrittenNorBuilt() {
        let output = CapturedOutput()
        let sink = LogSink(target: output.sink)
        defer { sink.close() }
        let logger = Logger(label: "t", level: .warning, sink: sink)
        let built = Atomic<Int>(0)
        func expensive() -> String { built.add(1, ordering: .relaxed); return "built" }
        logger.debug(expensive())
        logger.info(expensive(), ["x": .string(expensive())])
        logger.warning(expensive())
        sink.flush()
        #expect(built.load(ordering: .relaxed) == 1)
        #expect(output.lines.count == 1)
    }

    @Test func metadataAndRequestIdCarryIntoEveryLine() throws {
        let output = CapturedOutput()
        let sink = LogSink(target: output.sink)
        defer { sink.close() }
        let logger = Logger(label: "relay", level: .info, sink: sink).with(["instance": "r1", "loop": 1])
        logger.info("a", ["loop": 2])
        logger.withRequestId("abc").info("b")
        sink.flush()
        let objects = try output.objects()
        #expect(objects.map { $0["instance"] as? String } == ["r1", "r1"])
        #expect(objects.map { $0["loop"] as? Int } == [2, 1])
        #expect(objects[0]["requestId"] == nil)
        #expect(objects[1]["requestId"] as? String == "abc")
    }

    @Test func backgroundWriterBatchesLinesFromManyThreadsWithoutLosingAny() async throws {
        let output = CapturedOutput()
        let sink = LogSink(target: output.sink)
        let logger = Logger(label: "t", level: .info, sink: sink)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask { for i in 0..<2_000 { logger.info("line", ["task": .int(task), "i": .int(i)]) } }
            }
        }
        sink.close()
        let objects = try output.objects()
        #expect(objects.count == 8_000)
        #expect(sink.droppedLines == 0)
        #expect(output.chunkCount < 8_000, "the writer must batch lines rather than write each one")
        for task in 0..<4 {
            let order = objects.filter { $0["task"] as? Int == task }.compactMap { $0["i"] as? Int }
            #expect(order == Array(0..<2_000), "lines of one thread stay in order")
        }
    }

    @Test func aFullBufferDropsAndCountsLinesInsteadOfBlocking() throws {
        let gate = DispatchSemaphore(value: 0)
        let output = CapturedOutput()
        let inner = output.sink
        // The writer blocks on its first chunk, so the buffer fills up behind it.
        let sink = LogSink(capacity: 1_000, target: .custom { chunk in
            gate.wait()
            if case .custom(let write) = inner { write(chunk) }
        })
        let logger = Logger(label: "t", level: .info, sink: sink)
        for i in 0..<200 { logger.info("filler line", ["i": .int(i)]) }
        #expect(sink.droppedLines > 0)
        for _ in 0..<10 { gate.signal() }
        sink.flush()
        gate.signal()
        sink.close()
        let objects = try output.objects()
        let reports = objects.filter { $0["msg"] as? String == "log buffer full; lines dropped" }
        let reportedDrops = reports.reduce(0) { $0 + ($1["dropped"] as? Int ?? 0) }
        #expect(!reports.isEmpty)
        #expect(reportedDrops == sink.droppedLines)
        #expect(reportedDrops + objects.count - reports.count == 200)
    }

    @Test func fileDescriptorSinksWriteWholeLinesToTheDescriptor() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let sink = LogSink(target: .fileDescriptor(fds[1]))
        Logger(label: "fd", level: .info, sink: sink).info("to a pipe", ["n": 1])
        sink.close()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fds[0], &buffer, buffer.count)
        let text = String(decoding: buffer[0..<max(n, 0)], as: UTF8.self)
        #expect(text.hasSuffix("\n") && text.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "to a pipe")
        #expect(object["n"] as? Int == 1)
    }

    @Test func logLevelsParseFromTheirNames() {
        #expect(LogLevel(parsing: "DEBUG") == .debug)
        #expect(LogLevel(parsing: "warn") == .warning)
        #expect(LogLevel(parsing: "error") == .error)
        #expect(LogLevel(parsing: "loud") == nil)
        #expect(LogLevel.debug < .info && LogLevel.warning < .error)
    }

    @Test func timestampsAreRFC3339UTCWithMilliseconds() {
        var out: [UInt8] = []
        JSONWriter.appendTimestamp(seconds: 1_732_442_400, milliseconds: 7, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "\"2024-11-24T10:00:00.007Z\"")
    }
}
