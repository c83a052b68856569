/// A server could not start or connect; `message` names the address involved.
public struct ServerError: Error, CustomStringConvertible, Sendable, Equatable {
    enum Code: Sendable, Equatable {
        case addressInUse, badAddress, bindFailed, socketFailed, connectFailed
    }

    let code: Code
    public let message: String
    /// The underlying `errno`, when a system call failed.
    public let errno: Int32?

    init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { message }
    /// The port is held by another socket (another process, or a server in this one).
    public var isAddressInUse: Bool { code == .addressInUse }
    public var isBadAddress: Bool { code == .badAddress }
}
