// Request line, field lines, framing decisions and chunk-size lines: the parts of the parser
// that interpret a complete line.
extension HTTPRequestParser {
    mutating func parseRequestLine(_ line: Range<Int>) throws(HTTPParseError) {
        guard let sp1 = buffer[line].firstIndex(of: HTTPSyntax.space) else { throw .bad("malformed request line") }
        let methodBytes = line.lowerBound..<sp1
        guard !methodBytes.isEmpty, methodBytes.count <= 32, methodBytes.allSatisfy({ HTTPSyntax.isToken[Int(buffer[$0])] })
        else { throw .bad("invalid method") }
        let rest = (sp1 + 1)..<line.upperBound
        guard let sp2 = buffer[rest].firstIndex(of: HTTPSyntax.space) else { throw .bad("malformed request line") }
        let targetBytes = rest.lowerBound..<sp2
        if targetBytes.count > limits.maxURIBytes { throw .uriTooLong }
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ HTTPSyntax.isTargetChar[Int(buffer[$0])] })
        else { throw .bad("invalid request target") }
        version = try parseVersion((sp2 + 1)..<line.upperBound)
        method = HTTPMethod(String(decoding: buffer[methodBytes], as: UTF8.self))
        target = String(decoding: buffer[targetBytes], as: UTF8.self)
        // origin-form, or `*` for OPTIONS, or absolute-form (RFC 9112 §3.2 says servers accept it).
        let first = buffer[targetBytes.lowerBound]
        if first == UInt8(ascii: "/") { return }
        if target == "*", method == .options { return }
        if target.hasPrefix("http://") || target.hasPrefix("https://") { return }
        throw .bad("unsupported request target form")
    }

    private func parseVersion(_ range: Range<Int>) throws(HTTPParseError) -> HTTPVersion {
        let v = buffer[range]
        guard v.count == 8, v.starts(with: "HTTP/".utf8), v[range.lowerBound + 6] == UInt8(ascii: "."),
              case let major = v[range.lowerBound + 5], case let minor = v[range.lowerBound + 7],
              (0x30...0x39).contains(major), (0x30...0x39).contains(minor)
        else { throw .bad("malformed HTTP version") }
        guard major == UInt8(ascii: "1") else { throw HTTPParseError(505, "HTTP version not supported") }
        // Minor versions are compatible (RFC 9110 §2.5): 1.2 is answered as 1.1.
        return minor == UInt8(ascii: "0") ? .http1_0 : .http1_1
    }

    mutating func parseField(_ line: Range<Int>, existing: Int) throws(HTTPParseError) -> (name: String, value: String) {
        headerBytes += line.count + 2
        if headerBytes > limits.maxHeaderBytes { throw .headerTooLarge }
        let first = buffer[line.lowerBound]
        if first == HTTPSyntax.space || first == HTTPSyntax.tab { throw .bad("obsolete line folding") }
        guard let colon = buffer[line].firstIndex(of: HTTPSyntax.colon) else { throw .bad("header field without colon") }
        let nameBytes = line.lowerBound..<colon
        guard !nameBytes.isEmpty else { throw .bad("empty header field name") }
        for i in nameBytes where !HTTPSyntax.isToken[Int(buffer[i])] {
            let c = buffer[i]
            throw .bad(c == HTTPSyntax.space || c == HTTPSyntax.tab
                ? "whitespace before colon in header field" : "invalid character in header field name")
        }
        var start = colon + 1, end = line.upperBound
        while start < end, buffer[start] == HTTPSyntax.space || buffer[start] == HTTPSyntax.tab { start += 1 }
        while end > start, buffer[end - 1] == HTTPSyntax.space || buffer[end - 1] == HTTPSyntax.tab { end -= 1 }
        for i in start..<end where !HTTPSyntax.isFieldValue[Int(buffer[i])] {
            throw .bad("control character in header field value")
        }
        if existing >= limits.maxHeaderCount { throw .tooManyHeaders }
        return (String(decoding: buffer[nameBytes], as: UTF8.self), String(decoding: buffer[start..<end], as: UTF8.self))
    }

    /// Decides framing, keep-alive and expectations once the header block is complete.
    mutating func finishHead() throws(HTTPParseError) -> HTTPRequestHead {
        let hosts = headers.values(for: "Host")
        if hosts.count > 1 || (version == .http1_1 && hosts.isEmpty) { throw .bad("exactly one Host header is required") }

        let transferEncodings = headers.values(for: "Transfer-Encoding")
        let contentLengths = headers.values(for: "Content-Length")
        let framing: HTTPRequestHead.Framing
        if !transferEncodings.isEmpty {
            if !contentLengths.isEmpty { throw .bad("both Content-Length and Transfer-Encoding") }
            if version == .http1_0 { throw .bad("Transfer-Encoding in an HTTP/1.0 request") }
            guard transferEncodings.count == 1, HTTPHeaders.namesEqual(transferEncodings[0], "chunked")
            else { throw .bad("unsupported Transfer-Encoding (only chunked is accepted)") }
            framing = .chunked
        } else if !contentLengths.isEmpty {
            let length = try Self.contentLength(contentLengths)
            if length > limits.maxBodyBytes { throw .bodyTooLarge }
            framing = length == 0 ? .none : .length(length)
        } else {
            framing = .none
        }

        let close = headers.containsToken("close", in: "Connection")
        let keepAlive = version == .http1_1 ? !close : (!close && headers.containsToken("keep-alive", in: "Connection"))

        var expectsContinue = false
        if let expect = headers["Expect"], version == .http1_1 {
            // RFC 9110 §10.1.1: any other expectation may be answered 417; HTTP/1.0 ignores it.
            guard HTTPHeaders.namesEqual(expect, "100-continue") else { throw HTTPParseError(417, "unsupported expectation") }
            expectsContinue = framing != .none
        }

        switch framing {
        case .none: state = .endPending
        case .length(let n): state = .body(remaining: n)
        case .chunked: state = .chunkSize
        }
        return HTTPRequestHead(method: method, target: target, version: version, headers: headers,
                               framing: framing, keepAlive: keepAlive, expectsContinue: expectsContinue)
    }

    /// One length from every Content-Length value; identical repeats are allowed (RFC 9110 §8.6),
    /// anything else (differing, signed, non-digits, overflow) is a framing error.
    static func contentLength(_ values: [String]) throws(HTTPParseError) -> Int {
        var result: Int?
        for value in values {
            for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                let digits = part.trimmingOWS()
                guard !digits.isEmpty, digits.utf8.count <= 18, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                      let n = Int(digits)
                else { throw .bad("invalid Content-Length") }
                if let result, result != n { throw .bad("conflicting Content-Length values") }
                result = n
            }
        }
        guard let result else { throw .bad("invalid Content-Length") }
        return result
    }

    /// `chunk-size [ chunk-ext ]` (RFC 9112 §7.1); extensions are checked and ignored.
    func parseChunkSize(_ line: Range<Int>) throws(HTTPParseError) -> Int {
        var i = line.lowerBound
        let end = line.upperBound
        var size = 0
        while i < end, let digit = HTTPSyntax.hexValue(buffer[i]) {
            // 15 hex digits stay below Int.max; a longer size is an attack or a bug.
            guard i - line.lowerBound < 15 else { throw .bad("chunk size too large") }
            size = size * 16 + digit
            i += 1
        }
        guard i > line.lowerBound else { throw .bad("invalid chunk size") }
        while i < end {
            skipWhitespace(&i, end)
            guard i < end, buffer[i] == UInt8(ascii: ";") else { throw .bad("invalid chunk extension") }
            i += 1
            skipWhitespace(&i, end)
            guard try scanToken(&i, end) else { throw .bad("invalid chunk extension") }
            skipWhitespace(&i, end)
            if i < end, buffer[i] == UInt8(ascii: "=") {
                i += 1
                skipWhitespace(&i, end)
                if i < end, buffer[i] == UInt8(ascii: "\"") {
                    try scanQuotedString(&i, end)
                } else if try !scanToken(&i, end) {
                    throw .bad("invalid chunk extension")
                }
            }
        }
        return size
    }

    private func skipWhitespace(_ i: inout Int, _ end: Int) {
        while i < end, buffer[i] == HTTPSyntax.space || buffer[i] == HTTPSyntax.tab { i += 1 }
    }

    private func scanToken(_ i: inout Int, _ end: Int) throws(HTTPParseError) -> Bool {
        let start = i
        while i < end, HTTPSyntax.isToken[Int(buffer[i])] { i += 1 }
        return i > start
    }

    private func scanQuotedString(_ i: inout Int, _ end: Int) throws(HTTPParseError) {
        i += 1  // opening quote
        while i < end {
            let c = buffer[i]
            if c == UInt8(ascii: "\"") { i += 1; return }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard i < end, HTTPSyntax.isFieldValue[Int(buffer[i])] else { throw .bad("invalid chunk extension") }
            } else if !HTTPSyntax.isFieldValue[Int(c)] {
                throw .bad("invalid chunk extension")
            }
            i += 1
        }
        throw .bad("unterminated quoted string in chunk extension")
    }
}
