/// Incremental WebSocket frame decoder (RFC 6455 §5): feed bytes as they arrive, take whole
/// messages out. A pure state machine: no sockets, no clock.
///
/// Payload bytes are unmasked and UTF-8 checked as they arrive, so a bad message fails fast
/// and nothing but the message being assembled is kept. After an error every `next()` throws
/// it again; after a close frame the decoder returns nil (nothing may follow a close).
public struct WebSocketFrameDecoder: Sendable {
    /// Which side this decoder reads for: a server reads masked client frames and a client
    /// reads unmasked server frames; the other shape is a protocol error (§5.1).
    public enum Role: Sendable { case server, client }

    public struct Configuration: Sendable {
        /// Largest message (all fragments together), in bytes; larger is refused with 1009.
        public var maxMessageSize: Int
        public var role: Role
        public init(maxMessageSize: Int = 64 * 1024, role: Role = .server) {
            precondition(maxMessageSize >= 125, "maxMessageSize must hold a control frame")
            self.maxMessageSize = maxMessageSize
            self.role = role
        }
    }

    private struct Frame: Sendable {
        var opcode: WebSocketOpcode
        var fin: Bool
        var mask: (UInt8, UInt8, UInt8, UInt8)?
        var remaining: Int
        var maskOffset = 0
    }

    private struct Message: Sendable {
        var isText: Bool
        var payload: [UInt8] = []
        var utf8 = UTF8Validator()
    }

    public let configuration: Configuration
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var frame: Frame?
    private var message: Message?
    private var control: [UInt8] = []
    private var failure: WebSocketError?
    private var closed = false

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Bytes not yet turned into messages (leftovers kept between reads).
    public var bufferedBytes: Int { buffer.count - readIndex + (message?.payload.count ?? 0) + control.count }

    /// Appends received bytes; call `next()` until it returns nil.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        guard failure == nil, !closed else { return }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message or control frame, or nil when more bytes are needed.
    /// - Throws: `WebSocketError` (its `closeCode` is 1002, 1007 or 1009), then again on every call.
    public mutating func next() throws(WebSocketError) -> WebSocketMessageEvent? {
        if let failure { throw failure }
        if closed { return nil }
        do {
            let event = try step()
            compact()
            return event
        } catch {
            failure = error
            buffer = []; readIndex = 0; message = nil; control = []
            throw error
        }
    }

    private mutating func step() throws(WebSocketError) -> WebSocketMessageEvent? {
        while true {
            if frame == nil {
                guard let header = try parseHeader() else { return nil }
                frame = header
            }
            try consumePayload()
            guard let done = frame, done.remaining == 0 else { return nil }
            frame = nil
            if done.opcode.isControl { return try controlEvent(done.opcode) }
            if done.fin { return try finishMessage() }
        }
    }

    /// Reads a frame header when all of it is there; checks what can be checked from the
    /// first two bytes at once, so a bad frame fails before its length even arrives.
    private mutating func parseHeader() throws(WebSocketError) -> Frame? {
        let available = buffer.count - readIndex
        guard available >= 2 else { return nil }
        let b0 = buffer[readIndex], b1 = buffer[readIndex + 1]
        guard b0 & 0x70 == 0 else { throw .protocolError("reserved bits set without an extension") }
        guard let opcode = WebSocketOpcode(rawValue: b0 & 0x0F) else {
            throw .protocolError("reserved opcode \(b0 & 0x0F)")
        }
        let fin = b0 & 0x80 != 0
        let masked = b1 & 0x80 != 0
        switch configuration.role {
        case .server: guard masked else { throw .protocolError("client frame not masked") }
        case .client: guard !masked else { throw .protocolError("server frame masked") }
        }
        let shortLength = Int(b1 & 0x7F)
        if opcode.isControl {
            guard fin else { throw .protocolError("fragmented control frame") }
            guard shortLength <= 125 else { throw .protocolError("control frame longer than 125 bytes") }
        } else if opcode == .continuation {
            guard message != nil else { throw .protocolError("continuation without a message to continue") }
        } else {
            guard message == nil else { throw .protocolError("new data frame inside a fragmented message") }
        }

        let lengthBytes = shortLength == 126 ? 2 : shortLength == 127 ? 8 : 0
        let headerLength = 2 + lengthBytes + (masked ? 4 : 0)
        guard available >= headerLength else { return nil }
        var cursor = readIndex + 2
        var length = UInt64(shortLength)
        if lengthBytes > 0 {
            length = 0
            for _ in 0..<lengthBytes { length = length << 8 | UInt64(buffer[cursor]); cursor += 1 }
            guard length >> 63 == 0 else { throw .protocolError("64-bit length with its top bit set") }
        }
        if !opcode.isControl {
            let sofar = UInt64(message?.payload.count ?? 0)
            guard length <= UInt64(configuration.maxMessageSize) - sofar else {
                throw .tooBig("message over \(configuration.maxMessageSize) bytes")
            }
        }
        var mask: (UInt8, UInt8, UInt8, UInt8)?
        if masked {
            mask = (buffer[cursor], buffer[cursor + 1], buffer[cursor + 2], buffer[cursor + 3])
        }
        readIndex += headerLength
        if opcode == .text || opcode == .binary {
            message = Message(isText: opcode == .text)
            message!.payload.reserveCapacity(Int(length))
        }
        if opcode.isControl { control = [] }
        return Frame(opcode: opcode, fin: fin, mask: mask, remaining: Int(length))
    }

    /// Moves what has arrived of the current frame's payload into the message (or control
    /// buffer), unmasking and UTF-8 checking it on the way.
    private mutating func consumePayload() throws(WebSocketError) {
        guard var current = frame else { return }
        let take = min(current.remaining, buffer.count - readIndex)
        guard take > 0 else { return }
        let source = buffer[readIndex..<(readIndex + take)]
        readIndex += take
        current.remaining -= take
        let offset = current.maskOffset
        current.maskOffset = (offset + take) & 3
        frame = current

        if current.opcode.isControl {
            let start = control.count
            control.append(contentsOf: source)
            if let mask = current.mask { Self.unmask(&control, from: start, mask: mask, offset: offset) }
            return
        }
        // `message` is set: parseHeader made or checked it.
        let start = message!.payload.count
        message!.payload.append(contentsOf: source)
        if let mask = current.mask { Self.unmask(&message!.payload, from: start, mask: mask, offset: offset) }
        if message!.isText {
            var utf8 = message!.utf8
            let valid = message!.payload.withUnsafeBufferPointer { all in
                utf8.validate(UnsafeBufferPointer(rebasing: all[start...]))
            }
            message!.utf8 = utf8
            guard valid else { throw .invalidUTF8("text message is not UTF-8") }
        }
    }

    private mutating func finishMessage() throws(WebSocketError) -> WebSocketMessageEvent {
        let done = message!
        message = nil
        guard done.isText else { return .binary(done.payload) }
        guard done.utf8.isComplete else { throw .invalidUTF8("text message ends inside a UTF-8 sequence") }
        return .text(String(decoding: done.payload, as: UTF8.self))
    }

    private mutating func controlEvent(_ opcode: WebSocketOpcode) throws(WebSocketError) -> WebSocketMessageEvent {
        let payload = control
        control = []
        switch opcode {
        case .ping: return .ping(payload)
        case .pong: return .pong
        default:
            closed = true
            if payload.isEmpty { return .close(code: nil, reason: "") }
            guard payload.count >= 2 else { throw .protocolError("close frame with a 1-byte payload") }
            let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
            guard CloseCode.isValidOnTheWire(code) else { throw .protocolError("invalid close code \(code)") }
            let reason = Array(payload[2...])
            guard UTF8Validator.isValid(reason) else { throw .invalidUTF8("close reason is not UTF-8") }
            return .close(code: code, reason: String(decoding: reason, as: UTF8.self))
        }
    }

    /// Drops consumed bytes; frees the buffer when nothing is left so idle connections hold none.
    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 512)
            readIndex = 0
        } else if readIndex >= 4096 || readIndex * 2 >= buffer.count {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }

    private static func unmask(_ bytes: inout [UInt8], from start: Int,
                               mask: (UInt8, UInt8, UInt8, UInt8), offset: Int) {
        withUnsafeBytes(of: mask) { key in
            bytes.withUnsafeMutableBufferPointer { bytes in
                var phase = offset
                for i in start..<bytes.count {
                    bytes[i] ^= key[phase]
                    phase = (phase + 1) & 3
                }
            }
        }
    }
}
