import Foundation
import Shared

/// An event waiting in the database to be published.
struct OutboxEvent: Sendable {
    let channel: ChannelName
    let type: String
    let roomId: Int64?
    /// The `data` object as JSON text.
    let dataJSON: String
}

/// Writes events into `event_outbox` inside the caller's transaction.
///
/// The state change and its event commit together or not at all; the publisher sends what
/// was committed, so a Redis outage delays events but never loses one.
enum Outbox {
    static func append(_ events: [OutboxEvent], on connection: DatabaseConnection, at date: Date = Date()) throws {
        for event in events {
            _ = try connection.execute(
                "INSERT INTO event_outbox (channel, type, room_id, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                [.string(event.channel.description), .string(event.type),
                 event.roomId.map { .int($0) } ?? .null, .string(event.dataJSON), .date(date)])
        }
    }
}

/// JSON object text from Encodable data, for event payloads.
enum EventData {
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }
}
