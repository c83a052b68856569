import Foundation
import Glibc

/// A look at /proc: which live processes are in a process group, or run in a folder. Used to
/// find what a fixture's servers forked (nginx workers rewrite their command line, so only
/// their group and working directory still tell where they came from).
public enum ProcessTable {
    public struct Entry: Sendable, CustomStringConvertible {
        public let pid: Int32
        public let parent: Int32
        public let group: Int32
        public let state: Character
        public let workingDirectory: String
        public let commandLine: String
        public var description: String { "pid \(pid) (group \(group), cwd \(workingDirectory)): \(commandLine)" }
    }

    /// Every process readable now, zombies excluded.
    public static func all() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { Int32($0) }.compactMap(entry)
    }

    public static func entry(_ pid: Int32) -> Entry? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After "(comm)": state ppid pgrp ...
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 3, let state = fields[0].first, state != "Z", state != "X",
              let parent = Int32(fields[1]), let group = Int32(fields[2]) else { return nil }
        let cwd = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? ""
        let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        let commandLine = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
        return Entry(pid: pid, parent: parent, group: group, state: state, workingDirectory: cwd, commandLine: commandLine)
    }

    /// Live members of process group `group`.
    public static func members(ofGroup group: Int32) -> [Entry] {
        all().filter { $0.group == group }
    }

    /// Live processes whose working directory is `folder` or inside it (also when the folder
    /// was deleted under them: the kernel then appends " (deleted)").
    public static func running(in folder: URL) -> [Entry] {
        let path = folder.standardizedFileURL.path
        return all().filter { entry in
            let cwd = entry.workingDirectory.hasSuffix(" (deleted)")
                ? String(entry.workingDirectory.dropLast(" (deleted)".count)) : entry.workingDirectory
            return cwd == path || cwd.hasPrefix(path + "/")
        }
    }
}
