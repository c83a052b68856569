import Shared

extension SubscriberStateMachine {
    /// One reply read from the Pub/Sub socket.
    mutating func received(_ reply: SubscriberReply, now: UInt64) -> [SubscriberAction] {
        guard isConnected else { return [] }
        switch reply {
        case .pong:
            heard(now: now, pong: true)
            return []
        case .subscribed(let redisChannel):
            heard(now: now, pong: false)
            guard let name = ChannelName(redisChannel: redisChannel), confirmSubscribe(name),
                  let channel = channels[name], channel.phase == .subscribing else { return [] }
            // Read the log only now: anything published from here on arrives live.
            return startRead(name)
        case .unsubscribed:
            heard(now: now, pong: false)
            return []
        case .message(let redisChannel, let payload):
            heard(now: now, pong: false)
            return message(redisChannel, payload)
        case .error(let text):
            count(\.discarded)
            return [.discarded(reason: "redis error on the subscriber: \(text)")] + failLink(now: now)
        case .unexpected(let text):
            count(\.discarded)
            return [.discarded(reason: "unexpected reply on the subscriber: \(text)")] + failLink(now: now)
        }
    }

    private mutating func message(_ redisChannel: String, _ payload: String) -> [SubscriberAction] {
        guard let name = ChannelName(redisChannel: redisChannel), let channel = channels[name] else { return [] }
        let envelope: EventEnvelope
        do {
            envelope = try EventParser.parsePublished(payload)
        } catch {
            count(\.discarded)
            return [.discarded(reason: "malformed event on \(redisChannel): \(error)")]
        }
        guard envelope.channel == name else {
            count(\.discarded)
            return [.discarded(reason: "event for \(envelope.channel) published on \(redisChannel)")]
        }
        count(\.eventsReceived)
        switch channel.phase {
        case .subscribing:
            // Published before our SUBSCRIBE took effect: the log read that follows covers it.
            return []
        case .positioning, .backfilling:
            guard envelope.id != nil else { return deliverEphemeral(envelope, channel) }
            let cap = configuration.maxBufferedEvents
            update(name) { channel in
                if channel.buffer.count >= cap {
                    // Held events are all in the log: drop them and read the log once more.
                    channel.buffer = []
                    channel.overflowed = true
                } else {
                    channel.buffer.append(envelope)
                }
            }
            return []
        case .live:
            guard envelope.id != nil else { return deliverEphemeral(envelope, channel) }
            return deliverInOrder([envelope], name)
        }
    }

    private func deliverEphemeral(_ envelope: EventEnvelope, _ channel: Channel) -> [SubscriberAction] {
        channel.notified.isEmpty ? [] : [.deliver(envelope, loops: channel.notified.sorted())]
    }

    /// Delivers events whose id is past the channel's last, advancing it; drops the rest.
    private mutating func deliverInOrder(_ events: [EventEnvelope], _ name: ChannelName) -> [SubscriberAction] {
        guard let channel = channels[name] else { return [] }
        var last = channel.last
        var actions: [SubscriberAction] = []
        let loops = channel.notified.sorted()
        for event in events {
            guard let id = event.id else { continue }
            if let last, id <= last {
                count(\.duplicatesDropped)
                continue
            }
            last = id
            if !loops.isEmpty { actions.append(.deliver(event, loops: loops)) }
        }
        update(name) { $0.last = last }
        return actions
    }

    /// The log's last id for a freshly subscribed channel (nil: empty log, position 0-0).
    mutating func positionFetched(_ name: ChannelName, token: UInt64, position: StreamID?) -> [SubscriberAction] {
        guard let channel = channels[name], channel.phase == .positioning(token: token) else { return [] }
        let position = position ?? .zero
        let waiting = channel.loops.subtracting(channel.notified).sorted()
        update(name) { channel in
            channel.last = position
            channel.notified.formUnion(waiting)
        }
        var actions: [SubscriberAction] = waiting.isEmpty ? [] : [.ready(name, position: position, loops: waiting)]
        actions += finishRead(name)
        return actions
    }

    /// One page of the log after the channel's last delivered id.
    /// - Parameter pageEnd: the id of the page's last raw entry, when the I/O layer skipped
    ///   unparseable entries (so a full page is recognised and the next one starts past them).
    mutating func backfillFetched(_ name: ChannelName, token: UInt64, entries: [EventEnvelope],
                                  rawCount: Int? = nil, pageEnd: StreamID? = nil) -> [SubscriberAction] {
        guard let channel = channels[name], channel.phase == .backfilling(token: token) else { return [] }
        let sorted = entries.filter { $0.channel == name && $0.id != nil }.sorted { $0.id! < $1.id! }
        count(\.backfilled, by: sorted.count)
        var actions = deliverInOrder(sorted, name)
        // New wanters during a backfill were told `ready` at once; tell any still waiting.
        if let updated = channels[name], let last = updated.last {
            let waiting = updated.loops.subtracting(updated.notified).sorted()
            if !waiting.isEmpty {
                update(name) { $0.notified.formUnion(waiting) }
                actions.append(.ready(name, position: last, loops: waiting))
            }
        }
        if (rawCount ?? entries.count) >= configuration.backfillPageSize {
            if let pageEnd { update(name) { $0.readCursor = pageEnd } }
            return actions + startRead(name)
        }
        return actions + finishRead(name)
    }

    /// A log read failed (command connection down): retry later, still holding live events.
    mutating func fetchFailed(_ name: ChannelName, token: UInt64, now: UInt64) -> [SubscriberAction] {
        guard let channel = channels[name] else { return [] }
        switch channel.phase {
        case .positioning(let t) where t == token, .backfilling(let t) where t == token:
            scheduleRetry(name, at: now + configuration.fetchRetry)
        default: break
        }
        return []
    }

    /// After the last page: deliver held live events, or read again if some were dropped.
    private mutating func finishRead(_ name: ChannelName) -> [SubscriberAction] {
        guard let channel = channels[name] else { return [] }
        if channel.overflowed {
            update(name) { $0.overflowed = false; $0.buffer = [] }
            return startRead(name)
        }
        let held = channel.buffer
        update(name) { $0.buffer = []; $0.phase = .live; $0.readCursor = nil }
        return deliverInOrder(held, name)
    }
}
