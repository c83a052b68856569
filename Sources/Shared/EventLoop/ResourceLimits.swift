import Glibc

public enum ResourceLimits {
    /// Raises the soft open-files limit to the hard limit (10,000 connections need more than
    /// the usual 1,024). Returns the soft limit before and after; unchanged on failure.
    @discardableResult
    public static func raiseOpenFilesToHardLimit() -> (old: Int, new: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        let old = limit.rlim_cur
        var target = limit.rlim_max
        if target == rlim_t.max {  // RLIM_INFINITY
            // setrlimit refuses values above fs.nr_open; 1<<20 is its default.
            target = 1 << 20
        }
        guard target > old else { return (clamp(old), clamp(old)) }
        limit.rlim_cur = target
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (clamp(old), clamp(old)) }
        return (clamp(old), clamp(target))
    }

    /// The current soft limit on open files.
    public static var openFilesLimit: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        return clamp(limit.rlim_cur)
    }

    private static func clamp(_ value: rlim_t) -> Int { value >= rlim_t(Int.max) ? Int.max : Int(value) }
}
