/// Writes structured JSON log lines through a buffered `LogSink`.
///
/// Libraries take a `Logger` as a parameter rather than creating one. Messages and fields
/// are autoclosures: nothing is built for a line below the logger's level.
public final class Logger: Sendable {
    public let label: String
    public let level: LogLevel
    public let sink: LogSink
    /// Carried into every line as `requestId` (set per request with `withRequestId`).
    public let requestId: String?
    /// Fields added to every line of this logger.
    public let metadata: [String: LogValue]

    public init(label: String, level: LogLevel, sink: LogSink = .standardError,
                requestId: String? = nil, metadata: [String: LogValue] = [:]) {
        self.label = label
        self.level = level
        self.sink = sink
        self.requestId = requestId
        self.metadata = metadata
    }

    /// A logger that stamps `requestId` on every line.
    public func withRequestId(_ requestId: String) -> Logger {
        Logger(label: label, level: level, sink: sink, requestId: requestId, metadata: metadata)
    }

    /// A logger that adds `fields` to every line (later keys win).
    public func with(_ fields: [String: LogValue]) -> Logger {
        Logger(label: label, level: level, sink: sink, requestId: requestId,
               metadata: metadata.merging(fields) { _, new in new })
    }

    /// A logger with another label, same sink and level.
    public func labeled(_ label: String) -> Logger {
        Logger(label: label, level: level, sink: sink, requestId: requestId, metadata: metadata)
    }

    @inlinable public func isEnabled(_ level: LogLevel) -> Bool { level >= self.level }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String,
                    _ fields: @autoclosure () -> [String: LogValue] = [:]) {
        guard isEnabled(level) else { return }
        sink.enqueue(LogLineEncoder.encode(level: level, message: message(), label: label,
                                           requestId: requestId, metadata: metadata, fields: fields()))
    }

    public func debug(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [String: LogValue] = [:]) {
        log(.debug, message(), fields())
    }

    public func info(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [String: LogValue] = [:]) {
        log(.info, message(), fields())
    }

    public func warning(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [String: LogValue] = [:]) {
        log(.warning, message(), fields())
    }

    public func error(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [String: LogValue] = [:]) {
        log(.error, message(), fields())
    }
}
