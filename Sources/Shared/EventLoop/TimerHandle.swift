/// A timer scheduled on an event loop's wheel. Cancelling twice, or after it fired, is harmless.
public struct TimerHandle: Sendable {
    let loop: EventLoop?
    let id: TimerID

    init(loop: EventLoop, id: TimerID) {
        self.loop = loop
        self.id = id
    }

    /// A handle that refers to no timer (for stored properties that start empty).
    public init() {
        self.loop = nil
        self.id = TimerID(index: -1, generation: 0)
    }

    /// Cancels the timer. From another thread the cancel is handed to the loop (it may then
    /// lose the race with the timer firing).
    public func cancel() {
        guard let loop else { return }
        if loop.inEventLoop {
            loop.cancelTimer(id)
        } else {
            let id = self.id
            loop.execute { loop.cancelTimer(id) }
        }
    }
}
