import Shared

/// The address a request came from, for rate limits and logs.
///
/// The socket peer, unless that peer is a trusted proxy (`CHAT_TRUSTED_PROXIES`): then the
/// last hop of `X-Forwarded-For`, the one our proxy appended. Earlier hops are whatever the
/// client wrote and are never believed.
struct ClientAddressResolver: Sendable {
    let trustedProxies: [CIDR]

    func address(of request: HTTPRequest) -> String {
        let peer = request.peer.host
        guard trustedProxies.contains(where: { $0.contains(peer) }),
              let forwarded = request.headers["x-forwarded-for"],
              let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
              !last.isEmpty else { return peer }
        return last
    }
}
