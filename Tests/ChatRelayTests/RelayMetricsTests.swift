import Foundation
import Shared
import Testing
@testable import ChatRelay

/// `/actuator/prometheus` of the relay is the kit's `MetricsRegistry` text: the relay's own
/// families next to the HTTP server's, in one format.
@Suite(.serialized) struct RelayMetricsTests {
    /// The sample value of an unlabelled series, e.g. `chat_relay_open_connections 1`.
    static func sample(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    static func scrape(_ relay: RelayHarness) throws -> String {
        let (status, head, client) = try TestWebSocketClient.connect(port: relay.port, target: "/actuator/prometheus")
        #expect(status == 200, "\(head)")
        #expect(head.lowercased().contains("content-type: text/plain; version=0.0.4"))
        return try client.readBody(head: head)
    }

    @Test func scrapeShowsTheRelayFamiliesWithTypesAndLiveValues() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        relay.redis.setRooms(7, [12])
        let (client, _) = try relay.connect(user: 7)
        for _ in 0..<3 {
            relay.redis.add(.room(12), type: "message.created")
            #expect(try client.receiveText() != nil)
        }
        // Deliveries reach the shared counter at the latest on the loop's next sweep (250 ms).
        try waitUntil { relay.hub.stats.deliveries.current >= 4 }   // welcome + 3 events
        let text = try Self.scrape(relay)
        let families: [(String, String)] = [
            ("chat_relay_open_connections", "gauge"), ("chat_relay_rooms_subscribed", "gauge"),
            ("chat_relay_user_channels_subscribed", "gauge"), ("chat_relay_redis_up", "gauge"),
            ("chat_relay_events_received_total", "counter"), ("chat_relay_deliveries_total", "counter"),
            ("chat_relay_slow_consumers_closed_total", "counter"), ("chat_relay_redis_reconnects_total", "counter"),
            ("chat_relay_resume_replays_total", "counter"), ("chat_relay_replayed_events_total", "counter"),
            ("chat_relay_backfilled_events_total", "counter"),
        ]
        for (name, type) in families {
            #expect(text.contains("# HELP \(name) "), "\(name) has no HELP")
            #expect(text.contains("# TYPE \(name) \(type)\n"), "\(name) is not a \(type)")
        }
        #expect(Self.sample("chat_relay_open_connections", in: text) == 1)
        #expect(Self.sample("chat_relay_rooms_subscribed", in: text) == 1)
        #expect(Self.sample("chat_relay_user_channels_subscribed", in: text) == 1)
        #expect(Self.sample("chat_relay_redis_up", in: text) == 1)
        #expect(Self.sample("chat_relay_events_received_total", in: text) == 3)
        #expect(Self.sample("chat_relay_deliveries_total", in: text) ?? 0 >= 4)
        #expect(Self.sample("chat_relay_redis_reconnects_total", in: text) == 0)
        // The kit's HTTP families share the registry (the /ws upgrade was one request).
        #expect(text.contains("# TYPE http_requests_total counter"))
        // One format: exactly the registry's rendering (families sorted by name).
        let names = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(names == names.sorted())
    }

    @Test func onlyAReconnectThatSucceedsIsCountedAndResumeReplaysAreCounted() throws {
        let relay = try RelayHarness()
        defer { relay.stop() }
        relay.redis.setRooms(7, [12])
        // Both logged before the connection (the second is its welcome position): resume from the
        // first replays one event.
        let since = relay.redis.add(.room(12), type: "message.created")
        _ = relay.redis.add(.room(12), type: "message.created")
        let (client, _) = try relay.connect(user: 7)
        relay.redis.takeDown()
        try waitUntil { !relay.hub.stats.redisConnected.load(ordering: .relaxed) }
        // Several attempts fail while Redis is down (back-off 20..100 ms): none is a reconnect.
        usleep(400_000)
        #expect(relay.hub.stats.redisReconnects.current == 0)
        relay.redis.bringUp()
        try waitUntil { relay.hub.stats.redisConnected.load(ordering: .relaxed) }
        try waitUntil { relay.hub.stats.redisReconnects.current == 1 }
        _ = relay.redis.add(.room(12), type: "message.created")
        _ = try client.receiveText()
        try client.send(text: #"{"type":"resume","since":{"room:12":"\#(since)"}}"#)
        _ = try client.receiveTexts { $0.contains(#""type":"resumed""#) }
        let text = try Self.scrape(relay)
        #expect(Self.sample("chat_relay_redis_reconnects_total", in: text) == 1)
        #expect(Self.sample("chat_relay_resume_replays_total", in: text) == 1)
        #expect(Self.sample("chat_relay_replayed_events_total", in: text) == 1)
        #expect(Self.sample("chat_relay_redis_up", in: text) == 1)
    }
}
