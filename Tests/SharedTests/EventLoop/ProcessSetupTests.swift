import Glibc
import Synchronization
import Testing
@testable import Shared

@Suite struct ProcessSetupTests {
    @Test func raisingTheOpenFilesLimitReachesTheHardLimit() {
        let (old, new) = ResourceLimits.raiseOpenFilesToHardLimit()
        #expect(old > 0)
        #expect(new >= old)
        #expect(ResourceLimits.openFilesLimit == new)
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        #expect(limit.rlim_cur == limit.rlim_max || limit.rlim_max == rlim_t.max)
    }

    @Test func sigpipeIsIgnoredOnceAGroupExists() {
        _ = EventLoopGroup(count: 1)
        var current = sigaction()
        sigaction(SIGPIPE, nil, &current)
        #expect(unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self))
    }

    @Test func aTerminationSignalCallsTheHandlerOnceOnAnotherThread() {
        let calls = Mutex<[Int32]>([])
        SignalWatcher.onTermination { signal in calls.withLock { $0.append(signal) } }
        // SIGTERM would end the test process if the watcher did not catch it.
        kill(getpid(), SIGTERM)
        #expect(waitUntil(5) { !calls.withLock { $0 }.isEmpty })
        #expect(calls.withLock { $0 } == [SIGTERM])
        // A handler registered after the signal hears about it at once.
        let late = Mutex<Int32>(0)
        SignalWatcher.onTermination { signal in late.withLock { $0 = signal } }
        #expect(late.withLock { $0 } == SIGTERM)
    }
}
