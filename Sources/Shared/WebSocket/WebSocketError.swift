/// Why the decoder gave up on a connection; `closeCode` is what to send in the close frame.
///
/// A struct over a private code so that reasons can be added without breaking callers.
public struct WebSocketError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable { case protocolError, invalidUTF8, tooBig }
    private let code: Code
    /// What exactly was wrong, for logs (and the close reason, it gives nothing away).
    public let detail: String

    private init(_ code: Code, _ detail: String) { self.code = code; self.detail = detail }

    /// A frame that breaks RFC 6455: close with 1002.
    public static let protocolError = WebSocketError(.protocolError, "protocol error")
    /// Text that is not UTF-8: close with 1007.
    public static let invalidUTF8 = WebSocketError(.invalidUTF8, "invalid UTF-8")
    /// A message over the configured cap: close with 1009.
    public static let tooBig = WebSocketError(.tooBig, "message too big")

    static func protocolError(_ detail: String) -> WebSocketError { WebSocketError(.protocolError, detail) }
    static func invalidUTF8(_ detail: String) -> WebSocketError { WebSocketError(.invalidUTF8, detail) }
    static func tooBig(_ detail: String) -> WebSocketError { WebSocketError(.tooBig, detail) }

    /// The close code to answer with.
    public var closeCode: UInt16 {
        switch code {
        case .protocolError: CloseCode.protocolError
        case .invalidUTF8: CloseCode.invalidPayload
        case .tooBig: CloseCode.tooBig
        }
    }

    public static func == (a: WebSocketError, b: WebSocketError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { "\(closeCode) \(detail)" }
}
