import Shared

/// The relay's own text frames (events are `EventEnvelope.json`).
enum ServerFrame {
    static func welcome(userId: Int64, rooms: [Int64], connectionId: String,
                        positions: [ChannelName: StreamID]) -> String {
        let roomList = rooms.sorted().map(String.init).joined(separator: ",")
        let positionList = positions
            .sorted { $0.key.description < $1.key.description }
            .map { "\"\($0.key)\":\"\($0.value)\"" }
            .joined(separator: ",")
        return "{\"type\":\"welcome\",\"userId\":\(userId),\"rooms\":[\(roomList)],\"connectionId\":"
            + JSONText.quoted(connectionId) + ",\"positions\":{\(positionList)}}"
    }

    static func resumed(channel: ChannelName, complete: Bool) -> String {
        "{\"type\":\"resumed\",\"channel\":\"\(channel)\",\"complete\":\(complete)}"
    }

    static func error(_ error: ProtocolError) -> String {
        "{\"type\":\"error\",\"code\":\(JSONText.quoted(error.code)),\"message\":\(JSONText.quoted(error.message))}"
    }

    static let pong = "{\"type\":\"pong\"}"

    /// The ephemeral `typing` envelope a member's connection publishes to its room (no `id`).
    static func typing(roomId: Int64, userId: Int64, occurredAt: String) -> EventEnvelope {
        EventEnvelope(channel: .room(roomId), type: "typing", roomId: roomId,
                      occurredAt: occurredAt, dataJSON: "{\"userId\":\(userId)}")
    }
}
