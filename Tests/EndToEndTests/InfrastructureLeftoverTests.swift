import Foundation
import Glibc
import Testing
import TestSupport

/// What a crashed or interrupted test run leaves behind is cleaned by the next one, and only that.
@Suite struct InfrastructureLeftoverTests {
    @Test func leftoversOfADeadOwnerAreKilledAndRemovedButStrangersAreNot() throws {
        let dir = try FixtureDirectories.make("leftover-probe")
        let marker = dir.appendingPathComponent("sleeper").path
        try FileManager.default.createDirectory(atPath: marker, withIntermediateDirectories: true)
        let sleeper = ManagedProcess(name: "sleeper", executable: "sleep", arguments: ["300"],
                                     directory: dir, marker: marker)
        try sleeper.start(workingDirectory: URL(fileURLWithPath: marker))   // marker = its cwd
        // A pid file naming this very test process under a marker it does not carry.
        try "\(getpid()) /nonexistent/marker\n".write(
            to: dir.appendingPathComponent("pids/stranger.pid"), atomically: true, encoding: .utf8)
        // Pretend the owner died: pid 1 with a start time that is not pid 1's.
        try "1 0\n".write(to: dir.appendingPathComponent("owner"), atomically: true, encoding: .utf8)

        FixtureDirectories.cleanLeftovers()

        #expect(sleeper.waitForExit(timeout: 5), "the leftover process must be killed")
        #expect(!FileManager.default.fileExists(atPath: dir.path))
        #expect(kill(getpid(), 0) == 0)   // and we are still here
    }

    @Test func foldersOfLiveOwnersAreLeftAlone() throws {
        let dir = try FixtureDirectories.make("live-owner")
        FixtureDirectories.cleanLeftovers()
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("owner").path))
    }
}
