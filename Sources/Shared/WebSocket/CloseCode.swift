/// WebSocket close codes the services send (RFC 6455 §7.4 and CONTRACT.md "Relay protocol").
public enum CloseCode {
    public static let normal: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    public static let protocolError: UInt16 = 1002
    public static let unsupportedData: UInt16 = 1003
    public static let invalidPayload: UInt16 = 1007
    public static let policy: UInt16 = 1008
    public static let tooBig: UInt16 = 1009
    public static let internalError: UInt16 = 1011
    public static let tokenExpired: UInt16 = 4001
    public static let sessionRevoked: UInt16 = 4002
    public static let userDeleted: UInt16 = 4003

    /// Whether a peer may send `code` in a close frame. 1005, 1006 and 1015 are only for
    /// reporting locally; 1004 and 1016-2999 are reserved; 3000-4999 belong to applications.
    public static func isValidOnTheWire(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }
}
