/// Writes a response head and body as HTTP/1.1 bytes.
///
/// Straight into one byte array sized up front: building the head as a String and converting
/// it was a visible share of a small response's cost.
public enum HTTPResponseSerializer {
    /// The bytes of `response`.
    /// - Parameters:
    ///   - isHead: the request was HEAD: the body is omitted but `Content-Length` still says its size.
    ///   - keepAlive: whether the connection stays open; `Connection: close` is sent otherwise.
    ///   - requestVersion: an HTTP/1.0 client kept alive needs `Connection: keep-alive`.
    public static func serialize(_ response: HTTPResponse, isHead: Bool = false, keepAlive: Bool,
                                 requestVersion: HTTPVersion = .http1_1, date: String = HTTPDate.now()) -> [UInt8] {
        let noBody = HTTPStatus.forbidsBody(response.status)
        let sendBody = !isHead && !noBody
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + response.headers.count * 48 + (sendBody ? response.body.count : 0))
        bytes.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(response.status, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: HTTPStatus.reasonPhrase(response.status).utf8)
        bytes.append(contentsOf: crlf)
        var sawContentType = false
        for (name, value) in response.headers {
            switch skipOrNote(name) {
            case .skip: continue  // the serializer owns framing and connection headers; a handler's copy would lie
            case .contentType: sawContentType = true
            case .keep: break
            }
            bytes.append(contentsOf: name.utf8)
            bytes.append(UInt8(ascii: ":"))
            bytes.append(UInt8(ascii: " "))
            appendSanitized(value, to: &bytes)
            bytes.append(contentsOf: crlf)
        }
        bytes.append(contentsOf: "Date: ".utf8)
        bytes.append(contentsOf: date.utf8)
        bytes.append(contentsOf: crlf)
        if response.status == 101 {
            bytes.append(contentsOf: "Connection: Upgrade\r\n".utf8)
        } else {
            if !noBody {
                bytes.append(contentsOf: "Content-Length: ".utf8)
                appendDecimal(response.body.count, to: &bytes)
                bytes.append(contentsOf: crlf)
                if !sawContentType && !response.body.isEmpty {
                    bytes.append(contentsOf: "Content-Type: application/octet-stream\r\n".utf8)
                }
            }
            if !keepAlive {
                bytes.append(contentsOf: "Connection: close\r\n".utf8)
            } else if requestVersion == .http1_0 {
                bytes.append(contentsOf: "Connection: keep-alive\r\n".utf8)
            }
        }
        bytes.append(contentsOf: crlf)
        if sendBody { bytes.append(contentsOf: response.body) }
        return bytes
    }

    /// `100 Continue`, sent when a client waits for it before its body.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private static let crlf: [UInt8] = [0x0D, 0x0A]

    private enum HeaderRole { case keep, skip, contentType }

    /// Compares only names of the right length, so most headers cost one length check each.
    private static func skipOrNote(_ name: String) -> HeaderRole {
        switch name.utf8.count {
        case 4: return HTTPHeaders.namesEqual(name, "Date") ? .skip : .keep
        case 10: return HTTPHeaders.namesEqual(name, "Connection") ? .skip : .keep
        case 12: return HTTPHeaders.namesEqual(name, "Content-Type") ? .contentType : .keep
        case 14: return HTTPHeaders.namesEqual(name, "Content-Length") ? .skip : .keep
        case 17: return HTTPHeaders.namesEqual(name, "Transfer-Encoding") ? .skip : .keep
        default: return .keep
        }
    }

    private static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        JSONWriter.appendInt(Int64(value), to: &bytes)
    }

    /// A header value cannot carry CR or LF: that would let a value inject headers. Each
    /// `\r`, `\n` or `\r\n` becomes one space (a CRLF pair is one Character).
    private static func appendSanitized(_ value: String, to bytes: inout [UInt8]) {
        let utf8 = value.utf8
        guard utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) else {
            bytes.append(contentsOf: utf8)
            return
        }
        var previousCR = false
        for byte in utf8 {
            if byte == 0x0A && previousCR {
                previousCR = false
                continue
            }
            previousCR = byte == 0x0D
            bytes.append(byte == 0x0D || byte == 0x0A ? 0x20 : byte)
        }
    }
}
