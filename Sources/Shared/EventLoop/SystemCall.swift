import CLinux
import Glibc

/// An operating-system call failed: which call, and the `errno` read right after it.
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    public let call: String
    public let errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call) failed: \(SystemError.describe(errno)) (errno \(errno))" }

    static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}

/// The one place where system calls are made: retries `EINTR` and captures `errno` at once,
/// before any other call (even an allocation) can overwrite it.
enum Sys {
    /// Calls `body` until it does not fail with `EINTR`; a negative result throws.
    @inline(__always)
    static func call(_ name: StaticString, _ body: () -> Int32) throws(SystemError) -> Int32 {
        try retrying(name, body)
    }

    /// Same as `call` for `ssize_t`-returning calls (read, writev).
    @inline(__always)
    static func size(_ name: StaticString, _ body: () -> Int) throws(SystemError) -> Int {
        try retrying(name, body)
    }

    @inline(__always)
    private static func retrying<R: FixedWidthInteger & SignedInteger>(
        _ name: StaticString, _ body: () -> R
    ) throws(SystemError) -> R {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw SystemError(call: "\(name)", errno: code)
        }
    }

    /// Non-blocking I/O: `nil` when the call would block, the count otherwise.
    @inline(__always)
    static func io(_ name: StaticString, _ body: () -> Int) throws(SystemError) -> Int? {
        do {
            return try size(name, body)
        } catch {
            if error.errno == EAGAIN || error.errno == EWOULDBLOCK { return nil }
            throw error
        }
    }

    /// Sets an integer socket option; failures are reported to the caller.
    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32,
                          _ label: StaticString) throws(SystemError) {
        var v = value
        _ = try call(label) { setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// Monotonic milliseconds (CLOCK_MONOTONIC is a vDSO call: no kernel entry).
    static func monotonicMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1000 &+ UInt64(ts.tv_nsec / 1_000_000)
    }

    /// SIGPIPE would kill the process on a write to a reset socket (writev has no MSG_NOSIGNAL).
    static let ignoreSIGPIPE: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()
}
