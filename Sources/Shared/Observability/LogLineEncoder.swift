/// Encodes one JSON log line: `{"time","level","msg","label","requestId"?, fields...}\n`.
enum LogLineEncoder {
    static let reservedKeys: Set<String> = ["time", "level", "msg", "label", "requestId"]

    static func encode(level: LogLevel, message: String, label: String, requestId: String?,
                       metadata: [String: LogValue], fields: [String: LogValue]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + message.utf8.count)
        out.append(contentsOf: #"{"time":"#.utf8)
        JSONWriter.appendTimestamp(to: &out)
        out.append(contentsOf: #","level":"#.utf8)
        JSONWriter.appendString(level.rawValue, to: &out)
        out.append(contentsOf: #","msg":"#.utf8)
        JSONWriter.appendString(message, to: &out)
        out.append(contentsOf: #","label":"#.utf8)
        JSONWriter.appendString(label, to: &out)
        if let requestId {
            out.append(contentsOf: #","requestId":"#.utf8)
            JSONWriter.appendString(requestId, to: &out)
        }
        // Call-site fields override the logger's metadata; sorted keys keep lines diffable.
        let merged: [String: LogValue]
        if metadata.isEmpty {
            merged = fields
        } else if fields.isEmpty {
            merged = metadata
        } else {
            merged = metadata.merging(fields) { _, new in new }
        }
        for key in merged.keys.sorted() {
            out.append(UInt8(ascii: ","))
            // A field must never produce a duplicate JSON key: prefix clashes with the fixed ones.
            JSONWriter.appendString(reservedKeys.contains(key) ? "field." + key : key, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.appendValue(merged[key]!, to: &out)
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }
}
