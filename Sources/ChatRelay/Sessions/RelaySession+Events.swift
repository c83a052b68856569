import Shared

extension RelaySession {
    /// An event of one of this connection's channels, as fanned out by the registry
    /// (`quickDelivery` answers the common case first).
    ///
    /// `.sendEvent` means "queue the shared frame"; events held before `welcome` come back
    /// later as `.sendText`, encoded for this connection alone.
    mutating func deliver(_ event: EventEnvelope) -> [SessionAction] {
        guard isOpen, channels.contains(event.channel) else { return [] }
        var actions: [SessionAction] = []
        var closing: (code: UInt16, reason: String)?
        if event.channel == userChannel, let control = ControlEvent(event) {
            switch control {
            case .roomJoined(let roomId): actions += joinRoomLive(roomId, joinedAt: event.id)
            case .roomLeft(let roomId): actions += leaveRoomLive(roomId)
            case .userDeleted: closing = (RelayCloseCode.userDeleted, "user deleted")
            case .sessionRevoked(let revoked) where revoked == sid:
                closing = (RelayCloseCode.sessionRevoked, "session revoked")
            case .sessionRevoked: break
            }
        }
        if let forward = forwarding(event) { actions += forward }
        // The client sees why (the event) before the close frame.
        if let closing { actions += close(closing.code, closing.reason) }
        return actions
    }

    /// Send now, hold until the position is known, or skip what the client gets by resume.
    private mutating func forwarding(_ event: EventEnvelope) -> [SessionAction]? {
        guard phase == .welcomed, let position = positions[event.channel] else {
            guard isOpen else { return nil }
            if event.id == nil { return nil }  // ephemeral (typing) before welcome: not worth holding
            return hold(event)
        }
        if let id = event.id, id <= position { return nil }
        // Behind a catch-up read: held, so the channel's events stay in order (typing is not).
        if event.id != nil, isCatchingUp(event.channel) { return hold(event) }
        return [.sendEvent]
    }

    /// The log read for a `replay` action came back.
    mutating func replayFinished(_ request: ReplayRequest, result: ReplayResult) -> [SessionAction] {
        guard isOpen, channels.contains(request.channel) else { return [] }
        var actions: [SessionAction] = []
        var last: StreamID?
        for entry in result.entries {
            // In order, once: ids strictly increasing inside the asked range.
            guard let id = entry.id, entry.channel == request.channel,
                  id >= request.from, id <= request.through, last.map({ id > $0 }) ?? true else { continue }
            last = id
            switch request.kind {
            case .resume: actions.append(.sendText(entry.json(replayed: true)))
            case .catchUp: actions.append(.sendText(entry.json()))
            }
        }
        switch request.kind {
        case .resume(let since):
            let complete = ResumeRule.isComplete(since: since, through: request.through, logFirstId: result.logFirstId)
            actions.append(.sendText(ServerFrame.resumed(channel: request.channel, complete: complete)))
            actions += finishCatchUp(request.channel)
        case .catchUp:
            actions += finishCatchUp(request.channel)
        }
        return actions
    }

    /// Redis could not be read: the client is told to catch up over REST.
    /// A failed catch-up lets the held live events go (the client fills the gap over REST).
    mutating func replayFailed(_ request: ReplayRequest) -> [SessionAction] {
        guard isOpen else { return [] }
        guard case .resume = request.kind else { return finishCatchUp(request.channel) }
        return [.sendText(ServerFrame.resumed(channel: request.channel, complete: false))] + finishCatchUp(request.channel)
    }
}
