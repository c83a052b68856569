import Foundation
import Glibc
import Synchronization

/// A long-running server started by a fixture: output to `<directory>/logs/<name>.log`, its pid
/// in `<directory>/pids/<name>.pid` (with a marker, so a later run can clean up leftovers
/// without touching anyone else's processes) and in the at-exit registry.
///
/// Foundation starts each child as the leader of a process group of its own. Servers that fork
/// workers (nginx) keep them in that group, and a worker does not exit when its master is
/// SIGKILLed: it is re-parented to init and serves on. So every SIGKILL here goes to the whole
/// group, and after any stop the group is swept, and the child runs in the fixture folder
/// (unless told otherwise) so a later run can still recognise its workers by their cwd.
public final class ManagedProcess: Sendable {
    public let name: String
    public let executable: String
    public let arguments: [String]
    public let logURL: URL
    private let environment: [String: String]?
    private let pidFile: URL
    private let marker: String
    // Process is not Sendable: it is only touched inside this lock.
    private let process = Mutex<Process?>(nil)
    // (pid, start time): liveness is read from /proc, not Process.isRunning, which only turns
    // false once Foundation's reaper has noticed (too late or never under a busy test run).
    private let identity = Mutex<(pid: Int32, started: String?)?>(nil)
    /// The exit status of the last run, once read (the child is reaped right after).
    private let exitStatus = Mutex<Int32?>(nil)
    private let directory: URL

    /// - Parameters:
    ///   - marker: text the command line (or working directory) contains, e.g. the data folder.
    public init(name: String, executable: String, arguments: [String], directory: URL,
                marker: String, environment: [String: String]? = nil) {
        self.name = name
        self.executable = Command.resolve(executable)
        self.arguments = arguments
        self.environment = environment
        self.marker = marker
        self.directory = directory
        self.logURL = directory.appendingPathComponent("logs/\(name).log")
        self.pidFile = directory.appendingPathComponent("pids/\(name).pid")
    }

    /// Starts the process (again, after it stopped). Throws if it is already running.
    public func start(workingDirectory: URL? = nil) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: logURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        try fm.createDirectory(at: pidFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !fm.fileExists(atPath: logURL.path) { _ = fm.createFile(atPath: logURL.path, contents: nil) }
        let log = try FileHandle(forWritingTo: logURL)
        log.seekToEndOfFile()
        let pid: Int32 = try process.withLock { current in
            if current != nil, isRunning { throw FixtureError("\(name) is already running") }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = arguments
            if let environment { p.environment = environment }
            p.currentDirectoryURL = workingDirectory ?? directory
            p.standardOutput = log
            p.standardError = log
            p.standardInput = FileHandle.nullDevice
            try SignalMask.withEmptyMask { try p.run() }
            current = p
            return p.processIdentifier
        }
        try? log.close()
        identity.withLock { $0 = (pid, FixtureDirectories.startTime(of: pid)) }
        exitStatus.withLock { $0 = nil }
        try "\(pid) \(marker)\n".write(to: pidFile, atomically: true, encoding: .utf8)
        ProcessRegistry.add(pid)
    }

    /// Whether `pid` leads a process group (its pgid is its pid): then signalling the group
    /// reaches its workers and nothing else.
    static func leadsGroup(_ pid: Int32) -> Bool { getpgid(pid) == pid }

    /// SIGKILL to `pid`'s process group when it leads one, else to `pid` alone. A group outlives
    /// its leader while any member lives, and Linux does not hand out a pid that is still some
    /// group's id, so `-pid` names only what `pid` started.
    static func killGroup(_ pid: Int32) {
        if leadsGroup(pid), Glibc.kill(-pid, SIGKILL) == 0 { return }
        Glibc.kill(pid, SIGKILL)
    }

    /// What is left of this process's group once the leader is gone: members that still run
    /// in the fixture folder (a recycled group id elsewhere is never touched).
    public var strays: [ProcessTable.Entry] {
        guard let pid = identity.withLock({ $0?.pid }) else { return [] }
        let folder = directory.standardizedFileURL.path
        return ProcessTable.members(ofGroup: pid).filter { entry in
            entry.pid != pid && (entry.workingDirectory == folder || entry.workingDirectory.hasPrefix(folder + "/"))
        }
    }

    public var pid: Int32? { isRunning ? identity.withLock { $0?.pid } : nil }

    /// Alive and not a zombie, and the same process that was started (pid not recycled).
    public var isRunning: Bool {
        guard let (pid, started) = identity.withLock({ $0 }) else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard let state = fields.first, state != "X" else { return false }
        if state == "Z" {
            // Ours and finished: keep its status, then reap it (see ChildStatus.reap).
            if started == nil || (fields.count > 19 && String(fields[19]) == started) { collectExit(pid) }
            return false
        }
        return started == nil || (fields.count > 19 && String(fields[19]) == started)
    }

    /// Sends `signal` and waits up to `timeout` seconds for the exit; SIGKILL after that.
    /// Returns the exit status (or the signal number for a signalled exit).
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 15) -> Int32? {
        guard let pid = pid else {
            sweepStrays()
            if let started = identity.withLock({ $0?.pid }) { collectExit(started) }
            return exitStatus.withLock { $0 } ?? process.withLock { $0?.isRunning == false ? $0?.terminationStatus : nil }
        }
        // SIGTERM to the leader alone (nginx's master stops its workers itself); SIGKILL to all.
        if signal == SIGKILL { Self.killGroup(pid) } else { Glibc.kill(pid, signal) }
        if !waitForExit(timeout: timeout) {
            Self.killGroup(pid)
            _ = waitForExit(timeout: 5)
        }
        sweepStrays()
        ProcessRegistry.remove(pid)
        try? FileManager.default.removeItem(at: pidFile)
        collectExit(pid)
        if let status = exitStatus.withLock({ $0 }) { return status }
        return process.withLock { $0?.isRunning == false ? $0?.terminationStatus : nil }
    }

    /// Reads a finished child's status (once) and reaps it.
    private func collectExit(_ pid: Int32) {
        if case .exited(let status) = ChildStatus.peek(pid) {
            exitStatus.withLock { $0 = $0 ?? status }
            ChildStatus.reap(pid)
        }
    }

    /// SIGKILL, as a crash would: no clean shutdown.
    public func kill() { stop(signal: SIGKILL, timeout: 5) }

    public func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() > deadline { return false }
            usleep(20_000)
        }
        return true
    }

    /// Kills whatever of the group outlived its leader (a worker its master never got to).
    private func sweepStrays() {
        var left = strays
        guard !left.isEmpty else { return }
        for entry in left { Glibc.kill(entry.pid, SIGKILL) }
        let deadline = Date().addingTimeInterval(5)
        while !left.isEmpty, Date() < deadline {
            usleep(20_000)
            left = strays
        }
    }

    /// The last lines of the log, for error messages.
    public func logTail(lines: Int = 15) -> String {
        let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// Every pid a fixture started and has not stopped, killed when the test process exits.
enum ProcessRegistry {
    // pid → its start time: a pid that died and was handed to someone else is left alone.
    private static let pids = Mutex<[Int32: String]>([:])
    private static let installed = Mutex(false)

    static func add(_ pid: Int32) {
        let started = FixtureDirectories.startTime(of: pid) ?? ""
        pids.withLock { $0[pid] = started }
        installAtExit()
    }

    static func remove(_ pid: Int32) { pids.withLock { _ = $0.removeValue(forKey: pid) } }

    /// SIGKILL is enough at exit: every fixture's data lives in a temporary folder. It goes to
    /// each process group, or nginx's workers would outlive their master.
    static func killAll() {
        let all = pids.withLock { current in
            let copy = current
            current.removeAll()
            return copy
        }
        for (pid, started) in all where FixtureDirectories.startTime(of: pid) == started {
            ManagedProcess.killGroup(pid)
        }
    }

    private static func installAtExit() {
        let first = installed.withLock { done in
            defer { done = true }
            return !done
        }
        if first { atexit { ProcessRegistry.killAll(); FixtureDirectories.removeOwn() } }
    }
}
