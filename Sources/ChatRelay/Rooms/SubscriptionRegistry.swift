import Shared

/// One loop's view of who listens to what: channel → member connections, and each
/// channel's last event id seen on this loop (the position a new member starts from).
///
/// Events reach a loop in subscriber order, so a member that joins a ready channel now
/// gets every event after `lastSeen` live; those up to it are in the log (resume).
///
/// Members are kept as the objects themselves in a dense array, so a fan-out walks one
/// contiguous buffer with no lookup per member; ids sit in a parallel array for joins and
/// leaves (a linear scan of integers, paid on membership changes, never per event).
struct SubscriptionRegistry<Member: AnyObject> {
    enum JoinResult: Equatable, Sendable {
        /// First member on this loop: ask the subscriber for the channel (`want`).
        case subscribe
        /// The channel is on its way; `channelReady` will name this connection.
        case waiting
        /// Already a member: nothing changes.
        case alreadyMember
        /// Ready now, starting after `position`.
        case ready(position: StreamID)
    }

    private struct Channel {
        var ids: [UInt64] = []
        var members: [Member] = []
        var lastSeen: StreamID?
    }

    private var channels: [ChannelName: Channel] = [:]

    /// Channels with at least one member on this loop.
    var channelCount: Int { channels.count }

    /// Member ids of `channel`, in no particular order.
    func memberIds(of channel: ChannelName) -> [UInt64] { channels[channel]?.ids ?? [] }

    func isReady(_ channel: ChannelName) -> Bool { channels[channel]?.lastSeen != nil }

    mutating func join(_ id: UInt64, _ member: Member, _ channel: ChannelName) -> JoinResult {
        guard var entry = channels.removeValue(forKey: channel) else {
            channels[channel] = Channel(ids: [id], members: [member])
            return .subscribe
        }
        // Taken out and put back so the arrays are uniquely referenced while they grow.
        defer { channels[channel] = entry }
        if entry.ids.contains(id) { return .alreadyMember }
        entry.ids.append(id)
        entry.members.append(member)
        if let position = entry.lastSeen { return .ready(position: position) }
        return .waiting
    }

    /// Returns true when this was the channel's last member here (`unwant` it).
    mutating func leave(_ id: UInt64, _ channel: ChannelName) -> Bool {
        guard var entry = channels.removeValue(forKey: channel) else { return false }
        if let index = entry.ids.firstIndex(of: id) {
            // Order does not matter to a fan-out: the last member takes the leaver's place.
            entry.ids.swapAt(index, entry.ids.count - 1)
            entry.ids.removeLast()
            entry.members.swapAt(index, entry.members.count - 1)
            entry.members.removeLast()
        }
        if entry.ids.isEmpty { return true }
        channels[channel] = entry
        return false
    }

    /// The subscriber has the channel at `position`: returns the members to tell, by id.
    mutating func channelReady(_ channel: ChannelName, position: StreamID) -> [(id: UInt64, member: Member)] {
        guard var entry = channels[channel], entry.lastSeen == nil else { return [] }
        entry.lastSeen = position
        channels[channel] = entry
        return zip(entry.ids, entry.members).map { (id: $0, member: $1) }.sorted { $0.id < $1.id }
    }

    /// Members that should see `event`; none while the channel is not ready here, and none
    /// for an id at or below what this loop already saw (the subscriber dedupes; this guards).
    /// The array is shared, not copied: a member leaving during the fan-out copies it then.
    mutating func deliver(_ event: EventEnvelope) -> [Member] {
        guard let entry = channels[event.channel], let lastSeen = entry.lastSeen else { return [] }
        if let id = event.id {
            guard id > lastSeen else { return [] }
            channels[event.channel]?.lastSeen = id
        }
        return entry.members
    }
}
