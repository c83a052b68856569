/// An incremental HTTP/1.1 request parser: bytes in, events out, no I/O.
///
/// Feed whatever arrived with `feed(_:)`, then call `next()` until it returns nil (needs more
/// bytes). A request yields `.head`, zero or more `.body` pieces, then `.end`; bytes after a
/// request stay buffered and start the next one (pipelining). The parser is strict where
/// leniency lets two parsers disagree about where a request ends (request smuggling): every
/// such shape is an `HTTPParseError`, after which the connection must be closed.
public struct HTTPRequestParser: Sendable {
    enum State: Sendable, Equatable {
        case requestLine
        case headers
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case endPending
        case failed(HTTPParseError)
    }

    public let limits: HTTPParserLimits
    var state: State = .requestLine
    var buffer: [UInt8] = []
    /// First unconsumed byte of `buffer`.
    private var readIndex = 0
    /// Where the search for the next LF resumes, so byte-by-byte input is not rescanned.
    private var scanIndex = 0

    // The request under construction.
    var method = HTTPMethod.get
    var target = ""
    var version = HTTPVersion.http1_1
    var headers = HTTPHeaders()
    var trailers = HTTPHeaders()
    var headerBytes = 0
    var bodyBytes = 0
    private var emptyLinesBeforeRequest = 0

    public init(limits: HTTPParserLimits = HTTPParserLimits()) { self.limits = limits }

    /// Bytes received but not yet consumed by `next()`.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// True between requests (nothing of the next request parsed yet).
    public var isAtRequestBoundary: Bool { state == .requestLine && emptyLinesBeforeRequest == 0 }

    /// Appends received bytes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes.
    public mutating func feed<C: Collection<UInt8>>(_ bytes: C) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Frees the buffer's memory when nothing is pending, so an idle keep-alive connection
    /// holds no buffer.
    public mutating func releaseBufferIfEmpty() {
        if readIndex == buffer.count { buffer = []; readIndex = 0; scanIndex = 0 }
    }

    /// Removes and returns the unconsumed bytes (for a protocol that takes the connection over).
    public mutating func takeBufferedBytes() -> [UInt8] {
        let rest = Array(buffer[readIndex...])
        buffer = []
        readIndex = 0
        scanIndex = 0
        return rest
    }

    /// The next event, or nil when more bytes are needed.
    /// - Throws: `HTTPParseError` with the status to answer; every later call throws it again.
    public mutating func next() throws(HTTPParseError) -> HTTPParserEvent? {
        if case .failed(let error) = state { throw error }
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else if readIndex >= 4096 || readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
        } else {
            return
        }
        scanIndex = max(0, scanIndex - readIndex)
        readIndex = 0
    }

    private mutating func step() throws(HTTPParseError) -> HTTPParserEvent? {
        while true {
            switch state {
            case .requestLine:
                // Limit a request line that never ends: target limit plus room for method and version.
                guard let line = try nextLine(limit: limits.maxURIBytes + 64, overflow: .uriTooLong) else { return nil }
                if line.isEmpty {
                    // RFC 9112 §2.2: ignore stray CRLFs before a request (clients add them after a body).
                    emptyLinesBeforeRequest += 1
                    if emptyLinesBeforeRequest > 16 { throw .bad("too many empty lines before the request") }
                    continue
                }
                try parseRequestLine(line)
                state = .headers
            case .headers:
                // +2: the empty line ending the block is not a field; addField checks the exact budget.
                guard let line = try nextLine(limit: limits.maxHeaderBytes - headerBytes + 2, overflow: .headerTooLarge)
                else { return nil }
                if line.isEmpty { return .head(try finishHead()) }
                let field = try parseField(line, existing: headers.count)
                headers.add(field.name, field.value)
            case .body(let remaining):
                if remaining == 0 { return finishRequest() }
                guard let piece = takeBody(upTo: remaining) else { return nil }
                state = .body(remaining: remaining - piece.count)
                return .body(piece)
            case .chunkSize:
                guard let line = try nextLine(limit: 1024, overflow: .bad("chunk size line too long")) else { return nil }
                let size = try parseChunkSize(line)
                if size == 0 {
                    headerBytes = 0
                    state = .trailers
                } else {
                    if size > limits.maxBodyBytes - bodyBytes { throw .bodyTooLarge }
                    bodyBytes += size
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                if remaining == 0 { state = .chunkDataEnd; continue }
                guard let piece = takeBody(upTo: remaining) else { return nil }
                state = .chunkData(remaining: remaining - piece.count)
                return .body(piece)
            case .chunkDataEnd:
                guard buffer.count - readIndex >= 2 else { return nil }
                guard buffer[readIndex] == HTTPSyntax.cr, buffer[readIndex + 1] == HTTPSyntax.lf else {
                    throw .bad("chunk data not followed by CRLF")
                }
                readIndex += 2
                state = .chunkSize
            case .trailers:
                guard let line = try nextLine(limit: limits.maxHeaderBytes - headerBytes + 2, overflow: .headerTooLarge)
                else { return nil }
                if line.isEmpty { return finishRequest() }
                let field = try parseField(line, existing: trailers.count)
                trailers.add(field.name, field.value)
            case .endPending:
                return finishRequest()
            case .failed(let error):
                throw error
            }
        }
    }

    /// The next CRLF-terminated line (without the CRLF), consuming it; nil if incomplete.
    /// A line longer than `limit` (CRLF included) throws `overflow`; a bare LF throws 400.
    private mutating func nextLine(limit: Int, overflow: HTTPParseError) throws(HTTPParseError) -> Range<Int>? {
        var i = max(scanIndex, readIndex)
        let end = buffer.count
        while i < end, buffer[i] != HTTPSyntax.lf { i += 1 }
        guard i < end else {
            scanIndex = end
            if end - readIndex > limit { throw overflow }
            return nil
        }
        guard i > readIndex, buffer[i - 1] == HTTPSyntax.cr else { throw .bad("bare LF line ending") }
        let line = readIndex..<(i - 1)
        if i + 1 - readIndex > limit { throw overflow }
        readIndex = i + 1
        scanIndex = readIndex
        return line
    }

    private mutating func takeBody(upTo remaining: Int) -> [UInt8]? {
        let available = buffer.count - readIndex
        guard available > 0 else { return nil }
        let n = min(available, remaining)
        let piece = Array(buffer[readIndex..<(readIndex + n)])
        readIndex += n
        scanIndex = readIndex
        return piece
    }

    private mutating func finishRequest() -> HTTPParserEvent {
        let event = HTTPParserEvent.end(trailers: trailers)
        state = .requestLine
        headers = HTTPHeaders()
        trailers = HTTPHeaders()
        target = ""
        headerBytes = 0
        bodyBytes = 0
        emptyLinesBeforeRequest = 0
        return event
    }
}
