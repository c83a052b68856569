/// Encodes WebSocket frames (RFC 6455 §5.2).
///
/// Server frames are unmasked; masked frames are what clients send (tests and outbound
/// clients use them). A server frame is encoded once and its bytes may be queued to many
/// connections unchanged.
public enum WebSocketFrameEncoder {
    /// One frame.
    /// - Parameters:
    ///   - fin: false for every fragment but the last.
    ///   - masked: mask the payload, as a client must.
    ///   - maskingKey: 4 bytes; random when nil and `masked`.
    public static func frame(_ opcode: WebSocketOpcode, payload: some Collection<UInt8>, fin: Bool = true,
                             masked: Bool = false, maskingKey: [UInt8]? = nil) -> [UInt8] {
        let length = payload.count
        precondition(!opcode.isControl || (length <= 125 && fin), "control frames carry at most 125 bytes, unfragmented")
        var out: [UInt8] = []
        out.reserveCapacity(length + 14)
        out.append((fin ? 0x80 : 0) | opcode.rawValue)
        let maskBit: UInt8 = masked ? 0x80 : 0
        switch length {
        case 0...125:
            out.append(maskBit | UInt8(length))
        case 126...0xFFFF:
            out.append(maskBit | 126)
            out.append(UInt8(length >> 8)); out.append(UInt8(length & 0xFF))
        default:
            out.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(UInt64(length) >> UInt64(shift) & 0xFF)) }
        }
        guard masked else {
            out.append(contentsOf: payload)
            return out
        }
        let key = maskingKey ?? Crypto.randomBytes(4)
        precondition(key.count == 4, "a masking key is 4 bytes")
        out.append(contentsOf: key)
        var index = 0
        for byte in payload {
            out.append(byte ^ key[index & 3])
            index += 1
        }
        return out
    }

    /// A server text frame, encoded once to be queued to any number of connections.
    public static func text(_ text: String) -> SharedBytes { SharedBytes(frame(.text, payload: text.utf8)) }

    /// A server binary frame.
    public static func binary(_ bytes: some Collection<UInt8>) -> [UInt8] { frame(.binary, payload: bytes) }

    /// A close frame with a code and a reason, the reason cut to fit 125 bytes at a character
    /// boundary. Pass `masked: true` from a client.
    public static func close(code: UInt16, reason: String = "", masked: Bool = false) -> [UInt8] {
        var reasonBytes: [UInt8] = []
        for scalar in reason.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if reasonBytes.count + encoded.count > 123 { break }
            reasonBytes.append(contentsOf: encoded)
        }
        return frame(.close, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + reasonBytes, masked: masked)
    }

    /// A ping (payload at most 125 bytes).
    public static func ping(_ payload: [UInt8] = [], masked: Bool = false) -> [UInt8] {
        frame(.ping, payload: payload, masked: masked)
    }

    /// A pong echoing a ping's payload (at most 125 bytes).
    public static func pong(_ payload: [UInt8] = [], masked: Bool = false) -> [UInt8] {
        frame(.pong, payload: payload, masked: masked)
    }
}
