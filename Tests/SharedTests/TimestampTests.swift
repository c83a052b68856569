import Foundation
import Testing
@testable import Shared

@Suite struct TimestampTests {
    @Test func formatsUTCWithMillisecondsTruncatingTheRest() {
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1_795_514_400.1239)) == "2026-11-24T10:00:00.123Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }
}
