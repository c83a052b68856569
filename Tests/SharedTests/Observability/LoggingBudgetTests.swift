import Foundation
import Testing
@testable import Shared

@Suite struct LoggingBudgetTests {
    /// An access-log-shaped line must stay cheap on the caller's thread: encoding and
    /// queueing 50,000 of them takes well under three seconds even in a debug build on a busy machine.
    @Test func accessLogLinesAreCheapOnTheCallingThread() {
        let sink = LogSink(capacity: 64 << 20, target: .custom { _ in })
        defer { sink.close() }
        let logger = Logger(label: "http", level: .info, sink: sink).withRequestId("0123456789abcdef")
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for i in 0..<50_000 {
                logger.info("request", ["method": "GET", "path": "/api/v1/rooms/12/messages", "status": 200,
                                        "ms": 0.42, "bytes": .int(i)])
            }
        }
        #expect(elapsed < .seconds(3), "\(elapsed)")
    }
}
