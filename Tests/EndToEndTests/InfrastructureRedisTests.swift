import Foundation
import Testing
import TestSupport

@Suite(.serialized)
struct InfrastructureRedisTests {
    @Test func redisRestartKeepsAppendOnlyData() throws {
        let redis = try RedisFixture.start()
        defer { redis.stop() }
        #expect(try redis.command("CONFIG", "GET", "appendonly") == "appendonly\nyes")
        try redis.command("XADD", "chat:room:1:log", "*", "event", "{\"type\":\"message.created\"}")
        try redis.command("SET", "chat:probe", "kept")
        try redis.restart()
        #expect(try redis.command("GET", "chat:probe") == "kept")
        #expect(try redis.command("XLEN", "chat:room:1:log") == "1")
    }

    @Test func redisKilledComesBackOnTheSamePort() throws {
        let redis = try RedisFixture.start()
        defer { redis.stop() }
        try redis.command("SET", "chat:before", "1")
        try redis.command("BGREWRITEAOF")
        usleep(1_200_000)   // appendfsync everysec: let the write reach the disk
        redis.kill()
        #expect(!redis.isRunning)
        #expect(throws: FixtureError.self) { try redis.command("PING") }
        try redis.start()
        #expect(try redis.command("GET", "chat:before") == "1")
    }
}
