import Foundation
import Testing
@testable import ChatAPI

@Suite("In-memory write positions and row accessors")
struct WritePositionStoreTests {
    @Test func recordedPositionIsReturnedUntilItExpires() {
        let store = InMemoryWritePositionStore(ttl: 0.2)
        #expect(store.lastPosition(userId: 7) == nil)
        store.record(userId: 7, gtid: "0-1-5")
        store.record(userId: 7, gtid: "0-1-9")
        #expect(store.lastPosition(userId: 7) == "0-1-9")
        #expect(store.lastPosition(userId: 8) == nil)
        usleep(300_000)
        #expect(store.lastPosition(userId: 7) == nil)
    }

    @Test func rowAccessorsConvertOnlyWhatIsLossless() throws {
        let row = SQLRow(columns: SQLColumns(names: ["a", "b", "c", "d"]), values: [.int(1), .bool(true), .null, .string("2.5")])
        #expect(row.int("a") == 1 && row.bool("a") == true)
        #expect(row.int("b") == 1)
        #expect(row.int("c") == nil && row["missing"] == .null && !row.has("missing"))
        #expect(row.double("d") == 2.5 && row.int("d") == nil)
        #expect(throws: DatabaseError.self) { try row.requireInt("c") }
        #expect(try row.requireString("d") == "2.5")
    }

    @Test func dateConversionKeepsMillisecondsAndIsUTC() throws {
        let date = Date(timeIntervalSince1970: 0.123)
        let time = MySQLTime.make(date)
        #expect((time.year, time.month, time.day, time.hour, time.second, time.second_part) == (1970, 1, 1, 0, 0, 123_000))
        let before1970 = MySQLTime.make(Date(timeIntervalSince1970: -0.5))
        #expect((before1970.year, before1970.second, before1970.second_part) == (1969, 59, 500_000))
        let back = try #require(MySQLTime.date(from: time))
        #expect(abs(back.timeIntervalSince1970 - 0.123) < 0.000_001)
    }
}
