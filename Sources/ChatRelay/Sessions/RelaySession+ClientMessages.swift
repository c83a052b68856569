import Shared

extension RelaySession {
    /// A text frame from the client.
    mutating func received(text: String, now: UInt64) -> [SessionAction] {
        guard isOpen else { return [] }
        heardFromPeer(now: now)
        switch ClientMessage.parse(text) {
        case .failure(let error): return [.sendText(ServerFrame.error(error))]
        case .success(let message): return handle(message, now: now)
        }
    }

    /// Binary frames carry nothing in this protocol.
    mutating func receivedBinary(now: UInt64) -> [SessionAction] {
        guard isOpen else { return [] }
        heardFromPeer(now: now)
        return [.sendText(ServerFrame.error(.binaryUnsupported))]
    }

    private mutating func handle(_ message: ClientMessage, now: UInt64) -> [SessionAction] {
        switch message {
        case .ping:
            return [.sendText(ServerFrame.pong)]
        case .auth(let token):
            return [.verifyToken(token)]
        case .typing(let roomId):
            guard phase == .welcomed else { return [.sendText(ServerFrame.error(.notReady))] }
            guard channels.contains(.room(roomId)) else {
                return [.sendText(ServerFrame.error(.notMember(.room(roomId))))]
            }
            guard takeTypingToken(now: now) else { return [.sendText(ServerFrame.error(.rateLimited))] }
            return [.publishTyping(roomId: roomId, userId: userId)]
        case .resume(let since):
            guard phase == .welcomed else { return [.sendText(ServerFrame.error(.notReady))] }
            return resume(since)
        }
    }

    /// Per channel, in name order: replay `(since, welcome position]`, or answer at once.
    /// While a channel's replay is read, its live events wait behind it (as for a catch-up),
    /// so the client gets the channel in id order: replayed, `resumed`, then live.
    private mutating func resume(_ since: [ChannelName: StreamID]) -> [SessionAction] {
        var actions: [SessionAction] = []
        for (channel, from) in since.sorted(by: { $0.key.description < $1.key.description }) {
            guard channels.contains(channel) else {
                actions.append(.sendText(ServerFrame.error(.notMember(channel))))
                continue
            }
            guard let position = positions[channel] else {
                actions.append(.sendText(ServerFrame.error(.notReady)))
                continue
            }
            if from >= position {
                actions.append(.sendText(ServerFrame.resumed(channel: channel, complete: true)))
            } else {
                holdLiveEvents(of: channel)
                actions.append(.replay(ReplayRequest(channel: channel, from: from.successor,
                                                     through: position, kind: .resume(since: from))))
            }
        }
        return actions
    }

    /// The token from an `auth` message checked out.
    mutating func tokenVerified(userId: Int64, sid: String, expiresAt: UInt64) -> [SessionAction] {
        guard isOpen else { return [] }
        guard userId == self.userId else { return [.sendText(ServerFrame.error(.userMismatch))] }
        renewToken(sid: sid, expiresAt: expiresAt)
        return []
    }

    /// The token from an `auth` message was refused; the connection keeps its current token.
    mutating func tokenRejected(_ reason: String) -> [SessionAction] {
        guard isOpen else { return [] }
        return [.sendText(ServerFrame.error(.invalidToken(reason)))]
    }
}
