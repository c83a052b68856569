import Glibc

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `::1/128`); a bare address means a single host.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// Network address bytes (4 or 16), host bits cleared.
    public let network: [UInt8]
    public let prefixLength: Int

    public var isIPv4: Bool { network.count == 4 }

    /// Parses `address/prefix`; host bits in the address are cleared (`10.1.2.3/8` is `10.0.0.0/8`).
    public init(parsing text: String) throws(ConfigError) {
        let trimmed = text.trimmingWhitespace
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let bytes = CIDR.addressBytes(String(parts[0])) else {
            throw ConfigError(value: text, reason: "expected an IPv4 or IPv6 network such as 10.0.0.0/8 or ::1/128")
        }
        let maxPrefix = bytes.count * 8
        var prefix = maxPrefix
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...maxPrefix).contains(parsed) else {
                throw ConfigError(value: text, reason: "the prefix length must be a number in 0...\(maxPrefix)")
            }
            prefix = parsed
        }
        self.prefixLength = prefix
        self.network = CIDR.mask(bytes, prefix: prefix)
    }

    /// Whether `address` (textual IPv4 or IPv6, optionally bracketed or with a zone) is in this network.
    /// IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) match IPv4 networks.
    public func contains(_ address: String) -> Bool {
        guard let bytes = CIDR.addressBytes(address) else { return false }
        return contains(addressBytes: bytes)
    }

    public func contains(addressBytes: [UInt8]) -> Bool {
        var bytes = addressBytes
        if bytes.count == 16, network.count == 4, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            bytes = Array(bytes[12...])
        }
        guard bytes.count == network.count else { return false }
        return CIDR.mask(bytes, prefix: prefixLength) == network
    }

    public var description: String {
        "\(CIDR.format(network))/\(prefixLength)"
    }

    /// Loopback, the default of `CHAT_TRUSTED_PROXIES`.
    public static let loopback: [CIDR] = [try! CIDR(parsing: "127.0.0.0/8"), try! CIDR(parsing: "::1/128")]

    /// Parses a comma-separated list; empty items are ignored.
    public static func parseList(_ text: String) throws(ConfigError) -> [CIDR] {
        var result: [CIDR] = []
        for item in text.split(separator: ",") where !String(item).trimmingWhitespace.isEmpty {
            result.append(try CIDR(parsing: String(item)))
        }
        return result
    }

    static func addressBytes(_ text: String) -> [UInt8]? {
        var address = text.trimmingWhitespace
        if address.hasPrefix("["), address.hasSuffix("]") { address = String(address.dropFirst().dropLast()) }
        if let zone = address.firstIndex(of: "%") { address = String(address[..<zone]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    private static func mask(_ bytes: [UInt8], prefix: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = min(max(prefix - index * 8, 0), 8)
            return bits == 0 ? 0 : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }

    private static func format(_ bytes: [UInt8]) -> String {
        var storage = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &storage, socklen_t(storage.count)) != nil }
        guard ok, let end = storage.firstIndex(of: 0) else { return "?" }
        return String(decoding: storage[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Array where Element == CIDR {
    /// Whether any network of the list holds `address`.
    public func containsAddress(_ address: String) -> Bool {
        guard let bytes = CIDR.addressBytes(address) else { return false }
        return contains { $0.contains(addressBytes: bytes) }
    }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start...end])
    }
}
