import Foundation
import Synchronization
import Testing
import TestSupport
@testable import ChatAPI

@Suite("DatabasePool lends each connection to one borrower and bounds the wait")
struct DatabasePoolTests {
    @Test func exhaustedPoolAnswersUnavailableAfterTheCheckoutTimeout() async throws {
        let schema = try await DatabaseTestEnvironment.freshDatabase("pool", migrated: false)
        let pool = DatabasePool(name: "test", configuration: schema.primary,
                                options: .init(maxConnections: 2, checkoutTimeout: 0.3))
        let a = try pool.checkout()
        let b = try pool.checkout()
        #expect(pool.statistics.inUse == 2)
        let started = Date()
        #expect(throws: DatabaseError.self) { _ = try pool.checkout() }
        #expect(Date().timeIntervalSince(started) >= 0.25)
        #expect(pool.statistics.timeouts == 1)
        pool.checkin(a)
        let c = try pool.checkout()
        #expect(c === a)   // the idle connection is reused, not a new session
        pool.checkin(b)
        pool.checkin(c)
        #expect(pool.statistics.inUse == 0 && pool.statistics.idle == 2)
    }

    @Test func concurrentBorrowersNeverShareAConnection() async throws {
        let schema = try await DatabaseTestEnvironment.freshDatabase("share", migrated: false)
        let pool = DatabasePool(name: "test", configuration: schema.primary, options: .init(maxConnections: 3, checkoutTimeout: 5))
        let seen = Mutex<[ObjectIdentifier: Int]>([:])
        let overlaps = Mutex<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 12) { _ in
            for _ in 0..<10 {
                try? pool.withConnection { connection in
                    let id = ObjectIdentifier(connection)
                    seen.withLock { $0[id, default: 0] += 1; if $0[id]! > 1 { overlaps.withLock { $0 += 1 } } }
                    _ = try connection.query("SELECT SLEEP(0.001) AS s")
                    seen.withLock { $0[id]! -= 1 }
                }
            }
        }
        #expect(overlaps.withLock { $0 } == 0)
        #expect(seen.withLock { $0.count } <= 3)
        #expect(pool.statistics.inUse == 0)
    }
}
