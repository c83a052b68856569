import Glibc

/// A child's exit, read with `waitid(WNOWAIT)`: the child stays for Foundation to reap, so this
/// never races Process's own bookkeeping, yet does not depend on it either (Process learns of
/// exits through SIGCHLD, which the test process's threads may all have blocked).
enum ChildStatus {
    enum State { case running, exited(Int32), unknown }

    /// `.exited(status)` (128 + signal for a signalled exit), `.running`, or `.unknown` when
    /// the child was already reaped by someone else.
    static func peek(_ pid: Int32) -> State {
        var info = siginfo_t()
        let result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        if result != 0 { return .unknown }
        if info._sifields._kill.si_pid == 0 { return .running }
        let status = info._sifields._sigchld.si_status
        return info.si_code == Int32(CLD_EXITED) ? .exited(status) : .exited(128 + status)
    }

    /// Reaps `pid` once its exit has been read, so no child of ours lingers as a zombie.
    /// Swift Testing's exit-test monitor waits on any child (`waitid(P_ALL, WNOWAIT)`) and
    /// stalls for as long as a zombie it does not own exists: one unreaped `mariadb-install-db`
    /// hung a whole run. Only pids this process started are ever passed here.
    static func reap(_ pid: Int32) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }

    /// Polls until the child exits; nil when it was reaped elsewhere first.
    static func wait(_ pid: Int32) -> Int32? {
        var delay: UInt32 = 1_000
        while true {
            switch peek(pid) {
            case .exited(let status): return status
            case .unknown: return nil
            case .running:
                usleep(delay)
                delay = min(delay * 2, 20_000)
            }
        }
    }
}
