import Foundation
import Glibc
import Synchronization

/// A bounded in-memory buffer of log lines that a background thread writes out.
///
/// Callers only copy bytes under a short lock; the write syscalls happen on the sink's own
/// thread, so logging never blocks an event loop on I/O. When the buffer is full, lines are
/// counted as dropped instead of waiting, and the writer reports the count in a later line.
///
/// Batching: waking the writer costs a futex call on the caller's thread and a context switch,
/// so callers wake it only when the buffer passes `wakeThreshold` bytes, or when the first line
/// arrives at a parked, idle writer. Otherwise the writer wakes itself every `flushInterval`
/// while anything is buffered. Under load that is one `write(2)` per tick or per threshold,
/// not per line; idle, the writer sleeps without a timer.
public final class LogSink: Sendable {
    /// Where the bytes go.
    public enum Target: Sendable {
        case fileDescriptor(Int32)
        /// Receives each flushed chunk (whole lines); for tests and custom transports.
        case custom(@Sendable ([UInt8]) -> Void)
    }

    /// What the writer thread is doing, so callers know whether (and when) to wake it.
    private enum WriterState {
        case writing
        /// Nothing buffered: sleeps until a line arrives (no periodic wake-ups when idle).
        case parkedIdle
        /// Something buffered: sleeps until the tick, or until the buffer passes the threshold.
        case ticking
    }

    private struct State {
        var buffer: [UInt8] = []
        var writer = WriterState.writing
        var stopped = false
        var clock = LogClock()
    }

    /// Flushed at `exit()` too, so the last lines of a shutdown are not lost.
    public static let standardError: LogSink = {
        let sink = LogSink(target: .fileDescriptor(STDERR_FILENO))
        atexit { LogSink.standardError.flush() }
        return sink
    }()

    /// Flushed at `exit()` too.
    public static let standardOutput: LogSink = {
        let sink = LogSink(target: .fileDescriptor(STDOUT_FILENO))
        atexit { LogSink.standardOutput.flush() }
        return sink
    }()

    /// Maximum number of buffered bytes before lines are dropped.
    public let capacity: Int
    /// Buffered bytes past which a caller wakes the writer before its tick.
    public let wakeThreshold: Int
    /// How long a line may wait in the buffer before the writer writes it out.
    public let flushInterval: Duration
    private let target: Target
    private let state = Mutex(State())
    /// Serialises writes so that `flush()` and the writer thread never reorder chunks.
    private let writeLock = Mutex<Int>(0)  // value: dropped lines already reported
    private let wake = DispatchSemaphore(value: 0)
    private let dropped = Atomic<Int>(0)
    private let wakeUps = Atomic<Int>(0)
    private let writerDone = DispatchSemaphore(value: 0)

    /// Creates a sink and starts its writer thread.
    /// - Parameters:
    ///   - capacity: bytes buffered at most between two writes (default 16 MiB: about a second of
    ///     a busy access log, so a disk that stalls the writer briefly, e.g. behind another
    ///     process's fsync storm, does not cost lines; memory is only used while it is needed).
    ///   - wakeThreshold: buffered bytes at which a caller wakes the writer early (default
    ///     64 KiB, at most a quarter of `capacity`, so a burst wakes it well before lines drop).
    ///   - flushInterval: the longest a line waits before it is written (default 20 ms).
    ///   - target: a file descriptor (not closed by the sink) or a closure.
    public init(capacity: Int = 16 << 20, wakeThreshold: Int = 64 << 10, flushInterval: Duration = .milliseconds(20),
                target: Target) {
        precondition(capacity > 0, "LogSink capacity must be positive")
        precondition(flushInterval > .zero, "LogSink flushInterval must be positive")
        self.capacity = capacity
        self.wakeThreshold = max(1, min(wakeThreshold, capacity / 4))
        self.flushInterval = flushInterval
        self.target = target
        let thread = Thread { [self] in self.runWriter() }
        thread.name = "log-writer"
        thread.start()
    }

    /// Lines refused because the buffer was full, since the sink started.
    public var droppedLines: Int { dropped.load(ordering: .relaxed) }

    /// Times a caller woke the writer thread (for tests: batching means far fewer than lines).
    var writerWakeUps: Int { wakeUps.load(ordering: .relaxed) }

    /// Queues one encoded line (with its trailing newline). Never blocks on I/O.
    func enqueue(_ line: [UInt8]) {
        enqueue { buffer, _ in buffer.append(contentsOf: line) }
    }

    /// Queues one line that `encode` appends straight into the sink's buffer (no intermediate
    /// array). `encode` runs under the sink's lock: keep it to pure byte appends. It also gets
    /// the sink's timestamp cache for the line's `time` field. A line that does not fit the
    /// capacity is taken back out and counted as dropped.
    func enqueue(_ encode: (inout [UInt8], inout LogClock) -> Void) {
        let wakeWriter: Bool? = state.withLock { state in
            if state.stopped || state.buffer.count >= capacity { return nil }
            let before = state.buffer.count
            encode(&state.buffer, &state.clock)
            if state.buffer.count > capacity {
                state.buffer.removeSubrange(before...)
                return nil
            }
            switch state.writer {
            case .writing: return false
            case .parkedIdle: break
            case .ticking: if state.buffer.count < wakeThreshold { return false }
            }
            state.writer = .writing
            return true
        }
        switch wakeWriter {
        case nil: dropped.add(1, ordering: .relaxed)
        case true?:
            wakeUps.add(1, ordering: .relaxed)
            wake.signal()
        case false?: break
        }
    }

    /// Writes everything buffered so far before returning (shutdown, tests).
    public func flush() {
        writeLock.withLock { reported in
            var chunk: [UInt8] = []
            state.withLock { swap(&$0.buffer, &chunk) }
            appendDropReport(reported: &reported, to: &chunk)
            write(chunk)
        }
    }

    /// Flushes, then stops the writer thread; later lines are dropped.
    public func close() {
        let wasStopped = state.withLock { state in
            defer { state.stopped = true }
            return state.stopped
        }
        guard !wasStopped else { return }
        wake.signal()
        writerDone.wait()
    }

    private func runWriter() {
        var spare: [UInt8] = []
        while true {
            // Recomputed every turn: a stale state after close() would park the writer forever.
            let (writer, stopped) = state.withLock { state -> (WriterState, Bool) in
                if state.stopped {
                    state.writer = .writing
                } else if state.buffer.isEmpty {
                    state.writer = .parkedIdle
                } else if state.buffer.count < wakeThreshold {
                    state.writer = .ticking
                } else {
                    state.writer = .writing
                }
                return (state.writer, state.stopped)
            }
            switch writer {
            case .parkedIdle:
                // Woken by the first line: go round again, which starts a tick for it.
                wake.wait()
                continue
            case .ticking:
                // A signal that races with the timeout is left in the semaphore; it only makes
                // the next tick end early, never loses a line.
                _ = wake.wait(timeout: .now() + .nanoseconds(Int(flushInterval / .nanoseconds(1))))
            case .writing:
                break
            }
            writeLock.withLock { reported in
                state.withLock { state in
                    state.writer = .writing
                    swap(&state.buffer, &spare)
                }
                appendDropReport(reported: &reported, to: &spare)
                write(spare)
            }
            // Keep the capacity so that a steady stream of logs does not reallocate, but not
            // the megabytes a stall left behind.
            if spare.capacity > 1 << 20 { spare = [] } else { spare.removeAll(keepingCapacity: true) }
            if stopped { break }
        }
        writerDone.signal()
    }

    private func appendDropReport(reported: inout Int, to chunk: inout [UInt8]) {
        let total = dropped.load(ordering: .relaxed)
        guard total > reported else { return }
        let line = LogLineEncoder.encode(level: .warning, message: "log buffer full; lines dropped",
                                         label: "logging", requestId: nil, metadata: [:],
                                         fields: ["dropped": .int(Int64(total - reported))])
        reported = total
        chunk.append(contentsOf: line)
    }

    private func write(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        switch target {
        case .custom(let body): body(bytes)
        case .fileDescriptor(let fd):
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
                }
            }
        }
    }
}
