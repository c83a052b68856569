import Shared

/// One loop's view of who listens to what: channel → member connections, and each
/// channel's last event id seen on this loop (the position a new member starts from).
///
/// Events reach a loop in subscriber order, so a member that joins a ready channel now
/// gets every event after `lastSeen` live; those up to it are in the log (resume).
struct SubscriptionRegistry {
    enum JoinResult: Equatable, Sendable {
        /// First member on this loop: ask the subscriber for the channel (`want`).
        case subscribe
        /// The channel is on its way; `channelReady` will name this connection.
        case waiting
        /// Ready now, starting after `position`.
        case ready(position: StreamID)
    }

    private struct Channel {
        var members: Set<UInt64> = []
        var lastSeen: StreamID?
    }

    private var channels: [ChannelName: Channel] = [:]

    /// Channels with at least one member on this loop.
    var channelCount: Int { channels.count }

    func members(of channel: ChannelName) -> Set<UInt64> { channels[channel]?.members ?? [] }

    func isReady(_ channel: ChannelName) -> Bool { channels[channel]?.lastSeen != nil }

    mutating func join(_ connection: UInt64, _ channel: ChannelName) -> JoinResult {
        if var entry = channels[channel] {
            entry.members.insert(connection)
            channels[channel] = entry
            if let position = entry.lastSeen { return .ready(position: position) }
            return .waiting
        }
        channels[channel] = Channel(members: [connection])
        return .subscribe
    }

    /// Returns true when this was the channel's last member here (`unwant` it).
    mutating func leave(_ connection: UInt64, _ channel: ChannelName) -> Bool {
        guard var entry = channels[channel], entry.members.remove(connection) != nil else { return false }
        if entry.members.isEmpty {
            channels[channel] = nil
            return true
        }
        channels[channel] = entry
        return false
    }

    /// The subscriber has the channel at `position`: returns the members to tell.
    mutating func channelReady(_ channel: ChannelName, position: StreamID) -> Set<UInt64> {
        guard var entry = channels[channel], entry.lastSeen == nil else { return [] }
        entry.lastSeen = position
        channels[channel] = entry
        return entry.members
    }

    /// Members that should see `event`; none while the channel is not ready here, and none
    /// for an id at or below what this loop already saw (the subscriber dedupes; this guards).
    mutating func deliver(_ event: EventEnvelope) -> Set<UInt64> {
        guard var entry = channels[event.channel], let lastSeen = entry.lastSeen else { return [] }
        if let id = event.id {
            guard id > lastSeen else { return [] }
            entry.lastSeen = id
            channels[event.channel] = entry
        }
        return entry.members
    }
}
