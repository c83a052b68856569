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

    @Test func nginxKilledWithSIGKILLTakesItsWorkersWithIt() throws {
        let nginx = try NginxFixture.start(apiPorts: [FreePort.next()], relayPorts: [FreePort.next()])
        let workers = nginx.workers
        #expect(workers.count == 2, "worker_processes 2: \(workers)")
        nginx.kill()
        #expect(!nginx.isRunning)
        #expect(Self.stillAlive(workers).isEmpty, "workers outlived their SIGKILLed master: \(Self.stillAlive(workers))")
    }

    @Test func nginxStoppedWithSIGTERMLeavesNoWorker() throws {
        let nginx = try NginxFixture.start(apiPorts: [FreePort.next()], relayPorts: [FreePort.next()])
        let workers = nginx.workers
        #expect(workers.count == 2)
        nginx.stop()
        #expect(Self.stillAlive(workers).isEmpty, "workers outlived their stopped master: \(Self.stillAlive(workers))")
    }

    @Test func workersOrphanedByAMasterKilledFromOutsideAreSweptByStop() throws {
        let nginx = try NginxFixture.start(apiPorts: [FreePort.next()], relayPorts: [FreePort.next()])
        let workers = nginx.workers
        // What the old fixture did at exit: SIGKILL to the master alone.
        let master = try #require(nginx.pid)
        kill(master, SIGKILL)
        usleep(200_000)
        #expect(!nginx.isRunning)
        #expect(nginx.strays.count == workers.count, "the orphaned workers are found by group and folder")
        nginx.stop()
        #expect(nginx.strays.isEmpty)
        #expect(Self.stillAlive(workers).isEmpty)
    }

    @Test func aLeftoverNginxOfADeadOwnerIsKilledWithItsWorkers() throws {
        let dir = try FixtureDirectories.make("leftover-nginx")
        let nginx = try NginxFixture.start(apiPorts: [FreePort.next()], relayPorts: [FreePort.next()], in: dir)
        let master = try #require(nginx.pid)
        let everything = nginx.workers + [try #require(ProcessTable.entry(master))]
        try "1 0\n".write(to: dir.appendingPathComponent("owner"), atomically: true, encoding: .utf8)

        FixtureDirectories.cleanLeftovers()

        #expect(nginx.waitForExit(timeout: 5))
        usleep(100_000)
        #expect(Self.stillAlive(everything).isEmpty, "left running: \(Self.stillAlive(everything))")
        #expect(!FileManager.default.fileExists(atPath: dir.path))
    }

    @Test func makeTestsLeftoverGuardFailsARunThatLeavesAProcessAndKillsIt() throws {
        let guardScript = Repository.path("deploy/local/testing/no-leftovers.py")
        let marker = "chat-leftover-probe-\(UUID().uuidString.prefix(8))"
        // A grandchild that outlives its parent, as an nginx worker of a killed master does.
        let leaky = try Command.run(guardScript, ["bash", "-c", "(exec -a \(marker) sleep 300 &); exit 0"])
        #expect(leaky.status == 1)
        #expect(leaky.stderr.contains(marker), "the leftover is named: \(leaky.stderr)")
        #expect(!ProcessTable.all().contains { $0.commandLine.contains(marker) }, "and killed")
        let clean = try Command.run(guardScript, ["true"])
        #expect(clean.status == 0, "\(clean.stderr)")
        let failing = try Command.run(guardScript, ["bash", "-c", "exit 3"])
        #expect(failing.status == 3)
    }

    /// Those of `entries` still running as the same process (same pid and process group).
    static func stillAlive(_ entries: [ProcessTable.Entry]) -> [ProcessTable.Entry] {
        entries.compactMap { ProcessTable.entry($0.pid) }.filter { now in
            entries.contains { $0.pid == now.pid && $0.group == now.group }
        }
    }

    @Test func foldersOfLiveOwnersAreLeftAlone() throws {
        let dir = try FixtureDirectories.make("live-owner")
        FixtureDirectories.cleanLeftovers()
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("owner").path))
    }
}
