import Shared

/// Reading the relay's Redis replies: Pub/Sub pushes and stream entries.
enum RedisReplies {
    /// A subscribed-mode reply as the subscriber machine reads it.
    static func subscriberReply(_ reply: RedisReply) -> SubscriberReply {
        switch reply {
        case .status(let text) where text.uppercased() == "PONG":
            return .pong
        case .error(let text):
            return .error(text)
        case .array(let items):
            guard let kind = items.first?.string?.lowercased() else { break }
            switch (kind, items.count) {
            case ("message", 3):
                if let channel = items[1].string, let payload = items[2].string {
                    return .message(channel: channel, payload: payload)
                }
            case ("subscribe", 3):
                if let channel = items[1].string { return .subscribed(channel: channel) }
            case ("unsubscribe", 3):
                return .unsubscribed(channel: items[1].string ?? "")
            case ("pong", _):
                return .pong
            default:
                break
            }
        default:
            break
        }
        return .unexpected(String(describing: reply).prefix(200).description)
    }

    /// XRANGE / XREVRANGE replies: `[[id, [field, value, ...]], ...]`; the `event` field.
    static func logEntries(_ reply: RedisReply) throws(RedisError) -> [LogEntry] {
        guard let items = try reply.checked().array else {
            throw RedisError(.protocolError, "a stream range is not an array")
        }
        var entries: [LogEntry] = []
        entries.reserveCapacity(items.count)
        for item in items {
            guard let pair = item.array, pair.count == 2, let idText = pair[0].string, let id = StreamID(idText),
                  let fields = pair[1].array else {
                throw RedisError(.protocolError, "a stream entry is not [id, fields]")
            }
            var event = ""
            var index = 0
            while index + 1 < fields.count {
                if fields[index].string == "event" { event = fields[index + 1].string ?? "" }
                index += 2
            }
            entries.append(LogEntry(id: id, event: event))
        }
        return entries
    }
}
