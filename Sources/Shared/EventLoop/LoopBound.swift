/// Carries a loop-confined value (a `Connection`, a handler) through `@Sendable` code, such as a
/// worker-pool job, back to its loop: `loop.execute { bound.value.write(reply) }`.
///
/// Safety of `@unchecked Sendable`: the value is only reachable through `value`, which stops
/// the process when read off the owning loop's thread, so it is never used concurrently.
public struct LoopBound<Value>: @unchecked Sendable {
    public let loop: EventLoop
    private let wrapped: Value

    /// Wraps `value`, which belongs to `loop`; must be called on that loop.
    public init(_ value: Value, loop: EventLoop) {
        loop.preconditionInEventLoop()
        self.loop = loop
        self.wrapped = value
    }

    /// The value; only on `loop`'s thread.
    public var value: Value {
        loop.preconditionInEventLoop()
        return wrapped
    }
}

extension Connection {
    /// This connection, to carry through `@Sendable` code back to its loop.
    public var loopBound: LoopBound<Connection> { LoopBound(self, loop: loop) }
}
