import Foundation
import Shared
import Testing
import TestSupport
@testable import ChatAPI

/// The outbox publisher against real MariaDB and Redis: order, exactly-once, outages.
@Suite(.serialized) struct OutboxPublisherTests {
    private struct Setup {
        let schema: DatabaseTestEnvironment.Schema
        let redis: RedisFixture
        let pool: RedisPool

        func publisher(logLabel: String = "publisher") -> OutboxPublisher {
            let primary = schema.primary
            return OutboxPublisher(openConnection: { try DatabaseConnection(configuration: primary) }, redis: pool,
                                   retention: EventLogRetention(), logger: Logger(label: logLabel, level: .error),
                                   metrics: MetricsRegistry())
        }

        func append(_ events: [OutboxEvent]) throws {
            let connection = try DatabaseConnection(configuration: schema.primary)
            try connection.transaction { db in try Outbox.append(events, on: db) }
        }

        func log(_ channel: ChannelName) throws -> [String] {
            let reply = try pool.with { try $0.command(["XRANGE", channel.redisLogKey, "-", "+"]) }
            guard case .array(let entries) = reply else { return [] }
            return entries.compactMap { entry in
                guard case .array(let parts) = entry, parts.count == 2, case .array(let fields) = parts[1],
                      fields.count == 2 else { return nil }
                return fields[1].string
            }
        }
    }

    private func setup(_ label: String) async throws -> Setup {
        let schema = try await DatabaseTestEnvironment.freshDatabase(label)
        let redis = try RedisFixture.start()
        return Setup(schema: schema, redis: redis,
                     pool: RedisPool(url: try RedisURL(parsing: redis.url), size: 2))
    }

    private func message(_ n: Int, room: Int64 = 7) -> OutboxEvent {
        OutboxEvent(channel: .room(room), type: "message.created", roomId: room, dataJSON: "{\"n\":\(n)}")
    }

    @Test func publishesCommittedEventsInOrderOnceEvenWithTwoPublishers() async throws {
        let setup = try await setup("order")
        defer { setup.redis.stop() }
        let first = setup.publisher(), second = setup.publisher()
        first.start(); second.start()
        defer { first.stop(); second.stop() }
        for n in 0..<50 { try setup.append([message(n)]) }
        #expect(try await eventually { try setup.log(.room(7)).count >= 50 })
        usleep(200_000)
        let logged = try setup.log(.room(7))
        #expect(logged.count == 50)
        // Commit order is log order: n = 0, 1, 2, ... exactly once each.
        let numbers = logged.compactMap { entry -> Int? in
            guard let range = entry.range(of: #"\{"n":(\d+)\}"#, options: .regularExpression) else { return nil }
            return Int(entry[range].dropFirst(5).dropLast())
        }
        #expect(numbers == Array(0..<50))
        let unpublished = try DatabaseConnection(configuration: setup.schema.primary)
            .query("SELECT COUNT(*) FROM event_outbox WHERE published_at IS NULL OR stream_id IS NULL")
        #expect(unpublished.first?.int(0) == 0)
    }

    @Test func eventsWrittenWhileRedisIsDownArePublishedOnceItIsBack() async throws {
        let setup = try await setup("outage")
        defer { setup.redis.stop() }
        let publisher = setup.publisher()
        publisher.start()
        defer { publisher.stop() }
        try setup.append([message(1)])
        #expect(try await eventually { try setup.log(.room(7)).count == 1 })
        setup.redis.stop()
        for n in 2...5 { try setup.append([message(n)]) }
        usleep(300_000)
        try setup.redis.start()
        #expect(try await eventually { (try? setup.log(.room(7)).count) == 5 })
        usleep(300_000)
        #expect(try setup.log(.room(7)).count == 5)
    }

    @Test func theMembershipSetAndTheRevokedMarkerChangeWithTheirEvents() async throws {
        let setup = try await setup("effects")
        defer { setup.redis.stop() }
        let publisher = setup.publisher()
        publisher.start()
        defer { publisher.stop() }
        try setup.append([
            OutboxEvent(channel: .user(3), type: "room.joined", roomId: 9, dataJSON: "{}"),
            OutboxEvent(channel: .user(3), type: "session.revoked", roomId: nil, dataJSON: "{\"sid\":\"44\"}"),
        ])
        #expect(try await eventually { try setup.log(.user(3)).count == 2 })
        #expect(try setup.pool.with { try $0.command(["SISMEMBER", RedisKeys.userRooms(3), "9"]) } == .integer(1))
        #expect(try setup.pool.with { try $0.command(["EXISTS", RedisKeys.revokedSession("44")]) } == .integer(1))
        try setup.append([OutboxEvent(channel: .user(3), type: "room.left", roomId: 9, dataJSON: "{}")])
        #expect(try await eventually {
            try setup.pool.with { try $0.command(["SISMEMBER", RedisKeys.userRooms(3), "9"]) } == .integer(0)
        })
    }

    @Test func aRetriedPublishOfTheSameOutboxRowIsNotDuplicated() async throws {
        let setup = try await setup("retry")
        defer { setup.redis.stop() }
        let envelope = EventEnvelope(channel: .room(5), type: "message.created", roomId: 5,
                                     occurredAt: "2026-11-24T10:00:00.123Z", dataJSON: "{}")
        let (keys, args) = PublishScript.arguments(outboxId: 77, envelope: envelope, retention: EventLogRetention(),
                                                   sideEffect: .none)
        let first = try setup.pool.with { try $0.evaluate(PublishScript.script, keys: keys, arguments: args) }
        let second = try setup.pool.with { try $0.evaluate(PublishScript.script, keys: keys, arguments: args) }
        #expect(first == second)
        #expect(try setup.log(.room(5)).count == 1)
        // The logged entry is the envelope without `id`; the published one carries it.
        #expect(try setup.log(.room(5)).first?.hasPrefix("{\"v\":1,\"channel\":\"room:5\"") == true)
    }
}
