import Foundation
import Synchronization
import Testing
@testable import Shared

@Suite struct PasswordHasherTests {
    let hasher = PasswordHasher(iterations: 1000)

    @Test func hashVerifiesItsPasswordAndNoOther() throws {
        let stored = hasher.hash("correct horse battery staple")
        #expect(try hasher.verify("correct horse battery staple", against: stored))
        #expect(try !hasher.verify("correct horse battery stapler", against: stored))
        #expect(try !hasher.verify("", against: stored))
    }

    @Test func storedFormatNamesSchemeCostSaltAndHash() throws {
        let parts = hasher.hash("pw").split(separator: "$")
        #expect(parts.count == 4)
        #expect(parts[0] == "pbkdf2-sha256" && parts[1] == "1000")
        #expect(Base64URL.decode(parts[2])?.count == 16)
        #expect(Base64URL.decode(parts[3])?.count == 32)
        #expect(hasher.hash("pw") != hasher.hash("pw"))  // fresh salt each time
    }

    @Test func storedHashMatchesPBKDF2OfItsSalt() throws {
        let parts = hasher.hash("pw").split(separator: "$")
        let derived = Crypto.pbkdf2SHA256(password: Array("pw".utf8), salt: Base64URL.decode(parts[2])!,
                                          iterations: 1000, length: 32)
        #expect(Base64URL.encode(derived) == String(parts[3]))
    }

    @Test func defaultCostIs600000Iterations() {
        #expect(PasswordHasher().iterations == 600_000)
    }

    @Test func raisedCostStillVerifiesOldHashesAndAsksForRehash() throws {
        let old = hasher.hash("pw")
        let stronger = PasswordHasher(iterations: 2000)
        #expect(try stronger.verify("pw", against: old))
        #expect(stronger.needsRehash(old))
        #expect(!stronger.needsRehash(stronger.hash("pw")))
        #expect(stronger.needsRehash("garbage"))
    }

    @Test func canonicallyEquivalentPasswordsVerify() throws {
        let stored = hasher.hash("caf\u{E9}")
        #expect(try hasher.verify("cafe\u{301}", against: stored))
    }

    @Test(arguments: ["", "pbkdf2-sha256$1000$AAAA", "bcrypt$1000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
                      "pbkdf2-sha256$0$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
                      "pbkdf2-sha256$01000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
                      "pbkdf2-sha256$99999999$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
                      "pbkdf2-sha256$1000$!!$AAAAAAAAAAAAAAAAAAAAAA", "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA$AA"])
    func malformedStoredHashesThrow(stored: String) {
        #expect(throws: PasswordHashError.self) { try hasher.verify("pw", against: stored) }
    }
}

@Suite struct PasswordHashingPoolTests {
    @Test func hashesAndVerifiesOnThePool() throws {
        let pool = PasswordHashingPool(hasher: PasswordHasher(iterations: 1000), threads: 2, queueLimit: 4)
        defer { pool.shutdown() }
        let stored = try pool.hash("pw")
        #expect(try pool.verify("pw", against: stored))
        #expect(try !pool.verify("nope", against: stored))
        #expect(throws: PasswordHashingPoolError.self) { try pool.verify("pw", against: "broken") }
    }

    @Test func fullQueueAnswersBusyAtOnce() throws {
        let pool = PasswordHashingPool(hasher: PasswordHasher(iterations: 1000), threads: 1, queueLimit: 1)
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let finished = Atomic<Int>(0)
        // One job runs (held by the gate), one waits in the queue: the pool is full.
        for _ in 0..<2 {
            Thread.detachNewThread {
                _ = try? pool.run { started.signal(); gate.wait(); return 1 }
                finished.add(1, ordering: .relaxed)
            }
        }
        started.wait()
        var waited = 0
        while pool.queueDepth < 1 && waited < 500 { usleep(2000); waited += 1 }
        #expect(pool.queueDepth == 1)
        #expect(throws: PasswordHashingPoolError.self) { try pool.hash("pw") }
        gate.signal(); started.wait(); gate.signal()
        while finished.load(ordering: .relaxed) < 2 { usleep(1000) }
        #expect(try pool.run { 7 } == 7)
        pool.shutdown()
        #expect(throws: PasswordHashingPoolError.self) { try pool.run { 1 } }
    }
}
