import Foundation
import Testing
import TestSupport

/// No finished child of the test process stays a zombie: Swift Testing's exit tests wait on
/// any child and stall while a zombie they do not own exists (a whole run once hung on one).
@Suite struct InfrastructureZombieTests {
    /// Zombie children of this process whose command name is `name`.
    private func zombies(named name: String) -> [Int32] {
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return false }
            let comm = stat[stat.index(after: open)..<close]
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return comm == name && fields.count > 1 && fields[0] == "Z" && Int32(fields[1]) == me
        }
    }

    @Test func finishedCommandsAreReaped() throws {
        // Foundation reaps a child only while its Process object lives; a Process released
        // right after the exit was read left a zombie now and then. Many runs make it likely.
        // Two at a time from other threads, as the MariaDB fixture installs primary and replica.
        for _ in 0..<20 {
            DispatchQueue.concurrentPerform(iterations: 2) { _ in _ = try? Command.run("true", []) }
        }
        usleep(100_000)
        #expect(zombies(named: "true").isEmpty)
    }

    @Test func aManagedProcessThatExitsByItselfIsReapedAndKeepsItsStatus() throws {
        let directory = try FixtureDirectories.make("zombie")
        let process = ManagedProcess(name: "short", executable: "sh", arguments: ["-c", "exit 3"],
                                     directory: directory, marker: directory.path)
        try process.start()
        #expect(process.waitForExit(timeout: 10))
        #expect(zombies(named: "sh").isEmpty)
        #expect(process.stop() == 3)
    }
}
