import Foundation
import Glibc
import Synchronization

/// A bounded in-memory buffer of log lines that a background thread writes out.
///
/// Callers only copy bytes under a short lock; the write syscalls happen on the sink's own
/// thread, so logging never blocks an event loop on I/O. When the buffer is full, lines are
/// counted as dropped instead of waiting, and the writer reports the count in a later line.
public final class LogSink: Sendable {
    /// Where the bytes go.
    public enum Target: Sendable {
        case fileDescriptor(Int32)
        /// Receives each flushed chunk (whole lines); for tests and custom transports.
        case custom(@Sendable ([UInt8]) -> Void)
    }

    private struct State {
        var buffer: [UInt8] = []
        var writerWaiting = false
        var stopped = false
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
    private let target: Target
    private let state = Mutex(State())
    /// Serialises writes so that `flush()` and the writer thread never reorder chunks.
    private let writeLock = Mutex<Int>(0)  // value: dropped lines already reported
    private let wake = DispatchSemaphore(value: 0)
    private let dropped = Atomic<Int>(0)
    private let writerDone = DispatchSemaphore(value: 0)

    /// Creates a sink and starts its writer thread.
    /// - Parameters:
    ///   - capacity: bytes buffered at most between two writes (default 4 MiB).
    ///   - target: a file descriptor (not closed by the sink) or a closure.
    public init(capacity: Int = 4 << 20, target: Target) {
        precondition(capacity > 0, "LogSink capacity must be positive")
        self.capacity = capacity
        self.target = target
        let thread = Thread { [self] in self.runWriter() }
        thread.name = "log-writer"
        thread.start()
    }

    /// Lines refused because the buffer was full, since the sink started.
    public var droppedLines: Int { dropped.load(ordering: .relaxed) }

    /// Queues one encoded line (with its trailing newline). Never blocks on I/O.
    func enqueue(_ line: [UInt8]) {
        let wakeWriter: Bool? = state.withLock { state in
            if state.stopped || state.buffer.count + line.count > capacity { return nil }
            state.buffer.append(contentsOf: line)
            if state.writerWaiting {
                state.writerWaiting = false
                return true
            }
            return false
        }
        switch wakeWriter {
        case nil: dropped.add(1, ordering: .relaxed)
        case true?: wake.signal()
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
            let (shouldWait, stopped) = state.withLock { state in
                // Recomputed every turn: a stale flag after close() would park the writer forever.
                state.writerWaiting = state.buffer.isEmpty && !state.stopped
                return (state.writerWaiting, state.stopped)
            }
            if shouldWait { wake.wait() }
            writeLock.withLock { reported in
                state.withLock { swap(&$0.buffer, &spare) }
                appendDropReport(reported: &reported, to: &spare)
                write(spare)
            }
            // Keep the capacity so that a steady stream of logs does not reallocate.
            spare.removeAll(keepingCapacity: true)
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
