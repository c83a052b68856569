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
        JSONWriter.appendUTF8("HTTP/1.1 ", to: &bytes)
        appendDecimal(response.status, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        JSONWriter.appendUTF8(HTTPStatus.reasonPhrase(response.status), to: &bytes)
        appendCRLF(to: &bytes)
        var sawContentType = false
        for (name, value) in response.headers {
            switch skipOrNote(name) {
            case .skip: continue  // the serializer owns framing and connection headers; a handler's copy would lie
            case .contentType: sawContentType = true
            case .keep: break
            }
            JSONWriter.appendUTF8(name, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            bytes.append(UInt8(ascii: " "))
            appendSanitized(value, to: &bytes)
            appendCRLF(to: &bytes)
        }
        JSONWriter.appendUTF8("Date: ", to: &bytes)
        JSONWriter.appendUTF8(date, to: &bytes)
        appendCRLF(to: &bytes)
        if response.status == 101 {
            JSONWriter.appendUTF8("Connection: Upgrade\r\n", to: &bytes)
        } else {
            if !noBody {
                JSONWriter.appendUTF8("Content-Length: ", to: &bytes)
                appendDecimal(response.body.count, to: &bytes)
                appendCRLF(to: &bytes)
                if !sawContentType && !response.body.isEmpty {
                    JSONWriter.appendUTF8("Content-Type: application/octet-stream\r\n", to: &bytes)
                }
            }
            if !keepAlive {
                JSONWriter.appendUTF8("Connection: close\r\n", to: &bytes)
            } else if requestVersion == .http1_0 {
                JSONWriter.appendUTF8("Connection: keep-alive\r\n", to: &bytes)
            }
        }
        appendCRLF(to: &bytes)
        if sendBody { bytes.append(contentsOf: response.body) }
        return bytes
    }

    /// `100 Continue`, sent when a client waits for it before its body.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    @inline(__always) private static func appendCRLF(to bytes: inout [UInt8]) {
        bytes.append(0x0D)
        bytes.append(0x0A)
    }

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
        let clean: Bool? = utf8.withContiguousStorageIfAvailable { raw in
            guard !raw.contains(where: { $0 == 0x0D || $0 == 0x0A }) else { return false }
            bytes.append(contentsOf: raw)
            return true
        }
        if clean == true { return }
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
