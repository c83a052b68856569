import Foundation

/// Polls `condition` every `interval` seconds for up to `seconds`, then once more: for state
/// that another thread or process reaches in its own time (a replica catching up, a log line).
public func eventually(within seconds: Double = 10, every interval: Double = 0.05,
                       _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(useconds_t(interval * 1_000_000))
    }
    return try condition()
}

/// The same from async code, sleeping the task instead of the thread.
public func eventually(within seconds: Double = 10, every interval: Double = 0.05,
                       _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
    }
    return try condition()
}
