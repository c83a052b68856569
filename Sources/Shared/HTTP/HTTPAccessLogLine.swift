/// Encodes the access-log line straight into the log sink's buffer, fields in a fixed order.
///
/// Same JSON as `Logger.info("request", [...])` writes (same keys, values and escaping):
/// `{"time","level","msg","label","requestId","bytes","durationMs","method","path","peer","route","status"}`,
/// then the logger's own metadata. The general path built a 7-entry dictionary, a `Logger` per
/// request, merged dictionaries and sorted keys for every line; this one only appends bytes.
struct HTTPAccessLogLine: Sendable {
    /// The keys this line writes itself; logger metadata under these names is overridden.
    static let fieldKeys: Set<String> = ["bytes", "durationMs", "method", "path", "peer", "route", "status"]

    private let label: String
    /// The logger's metadata as `,"key":value…`, encoded once.
    private let metadata: [UInt8]

    init(logger: Logger) {
        label = logger.label
        var fragment: [UInt8] = []
        for key in logger.metadata.keys.sorted() where !Self.fieldKeys.contains(key) {
            fragment.append(UInt8(ascii: ","))
            JSONWriter.appendString(LogLineEncoder.reservedKeys.contains(key) ? "field." + key : key, to: &fragment)
            fragment.append(UInt8(ascii: ":"))
            JSONWriter.appendValue(logger.metadata[key]!, to: &fragment)
        }
        metadata = fragment
    }

    /// Appends one line (with its newline).
    func append(to out: inout [UInt8], clock: inout LogClock, requestId: String, method: HTTPMethod, path: String,
                route: String, status: Int, durationMs: Double, bytes: Int, peer: SocketAddress) {
        JSONWriter.appendUTF8(#"{"time":"#, to: &out)
        clock.appendNow(to: &out)
        JSONWriter.appendUTF8(#","level":"info","msg":"request","label":"#, to: &out)
        JSONWriter.appendString(label, to: &out)
        JSONWriter.appendUTF8(#","requestId":"#, to: &out)
        JSONWriter.appendString(requestId, to: &out)
        JSONWriter.appendUTF8(#","bytes":"#, to: &out)
        JSONWriter.appendInt(Int64(bytes), to: &out)
        JSONWriter.appendUTF8(#","durationMs":"#, to: &out)
        JSONWriter.appendDouble(durationMs, to: &out)
        JSONWriter.appendUTF8(#","method":"#, to: &out)
        JSONWriter.appendString(method.rawValue, to: &out)
        JSONWriter.appendUTF8(#","path":"#, to: &out)
        JSONWriter.appendString(path, to: &out)
        JSONWriter.appendUTF8(#","peer":"#, to: &out)
        out.append(UInt8(ascii: "\""))
        peer.appendDescription(to: &out)
        out.append(UInt8(ascii: "\""))
        JSONWriter.appendUTF8(#","route":"#, to: &out)
        JSONWriter.appendString(route, to: &out)
        JSONWriter.appendUTF8(#","status":"#, to: &out)
        JSONWriter.appendInt(Int64(status), to: &out)
        out.append(contentsOf: metadata)
        JSONWriter.appendUTF8("}\n", to: &out)
    }
}

extension SocketAddress {
    /// Appends `description` (`host:port`) without building Strings for IPv4 peers. The
    /// characters are digits, dots, colons and brackets: nothing a JSON string must escape.
    func appendDescription(to out: inout [UInt8]) {
        guard case .v4(let address) = ip else {
            out.append(contentsOf: description.utf8)
            return
        }
        withUnsafeBytes(of: address) { octets in  // network byte order: a.b.c.d in memory order
            for (i, octet) in octets.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ".")) }
                JSONWriter.appendInt(Int64(octet), to: &out)
            }
        }
        out.append(UInt8(ascii: ":"))
        JSONWriter.appendInt(Int64(rawPort), to: &out)
    }
}
