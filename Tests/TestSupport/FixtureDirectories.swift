import Foundation
import Glibc
import Synchronization

/// Temporary folders for fixtures, under `$TMPDIR/chat-fixtures/`, each stamped with the test
/// process that owns it. Before the first folder is made, folders whose owner is gone are
/// cleaned: their recorded processes killed with their process groups (only when a pid still
/// carries the recorded marker), then anything else still running inside the folder, and the
/// folder removed. Nothing outside these folders is ever touched.
public enum FixtureDirectories {
    public static let base: URL = FileManager.default.temporaryDirectory
        .appendingPathComponent("chat-fixtures", isDirectory: true)
    private static let own = Mutex<[URL]>([])
    private static let cleaned = Mutex(false)

    /// A new empty folder owned by this process, removed when it exits.
    public static func make(_ label: String) throws -> URL {
        let first = cleaned.withLock { done in
            defer { done = true }
            return !done
        }
        if first { cleanLeftovers() }
        let pid = getpid()
        let dir = base.appendingPathComponent("\(pid)-\(label)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "\(pid) \(startTime(of: pid) ?? "?")\n".write(
            to: dir.appendingPathComponent("owner"), atomically: true, encoding: .utf8)
        own.withLock { $0.append(dir) }
        return dir
    }

    /// Kills and removes what earlier, dead test processes left behind.
    public static func cleanLeftovers() {
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(at: base, includingPropertiesForKeys: nil) else { return }
        for dir in entries {
            let owner = (try? String(contentsOf: dir.appendingPathComponent("owner"), encoding: .utf8)) ?? ""
            let parts = owner.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
            if parts.count == 2, let pid = Int32(parts[0]), startTime(of: pid) == parts[1] { continue }
            let pids = dir.appendingPathComponent("pids")
            for file in (try? fm.contentsOfDirectory(at: pids, includingPropertiesForKeys: nil)) ?? [] {
                guard let line = try? String(contentsOf: file, encoding: .utf8) else { continue }
                let fields = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 1)
                guard fields.count == 2, let pid = Int32(fields[0]) else { continue }
                if processCarries(pid, marker: String(fields[1])) { ManagedProcess.killGroup(pid) }
            }
            // What the recorded pids forked and left running in the folder (nginx workers
            // whose master was killed: their command line no longer names the folder).
            for entry in ProcessTable.running(in: dir) { kill(entry.pid, SIGKILL) }
            try? fm.removeItem(at: dir)
        }
    }

    static func removeOwn() {
        for dir in own.withLock({ $0 }) { try? FileManager.default.removeItem(at: dir) }
    }

    /// Whether `pid` is a live process whose command line or working directory has `marker`.
    public static func processCarries(_ pid: Int32, marker: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return false }
        let commandLine = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        if commandLine.contains(marker) { return true }
        let cwd = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? ""
        return cwd == marker
    }

    /// Field 22 of /proc/<pid>/stat: tells a live owner from a recycled pid.
    static func startTime(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }
}
