/// `host[:port]` with bracketed IPv6 (`[::1]:6379`), shared by the URL parsers.
struct HostPort: Sendable, Equatable {
    var host: String
    var port: Int

    static func parse(_ text: Substring, defaultPort: Int, value: String) throws(ConfigError) -> HostPort {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ConfigError(value: value, reason: "an IPv6 host needs a closing ]")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw ConfigError(value: value, reason: "unexpected text after ]") }
                portText = rest.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
        }
        guard !host.isEmpty else { throw ConfigError(value: value, reason: "the host is missing") }
        guard !host.contains(":") || text.hasPrefix("[") else {
            throw ConfigError(value: value, reason: "write an IPv6 host in brackets, e.g. [::1]")
        }
        var port = defaultPort
        if let portText {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else {
                throw ConfigError(value: value, reason: "the port must be a number in 1...65535, not \"\(portText)\"")
            }
            port = parsed
        }
        return HostPort(host: String(host), port: port)
    }
}
