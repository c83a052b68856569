/// The command queue was full.
struct RelayBusy: Error {}

/// Carries a loop-confined closure through a `@Sendable` hop and back to the same loop.
///
/// Safety of `@unchecked Sendable`: the value is created on a loop and only called after
/// `loop.execute` brought control back to that same loop; other threads only move it.
final class LoopCallback<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
