import Testing
import Shared
@testable import ChatAPI

@Suite struct ClientAddressResolverTests {
    private let resolver = ClientAddressResolver(trustedProxies: CIDR.loopback + [try! CIDR(parsing: "10.0.0.0/8")])

    private func request(from peer: String, forwardedFor: String?) throws -> HTTPRequest {
        var headers = HTTPHeaders()
        if let forwardedFor { headers.add("X-Forwarded-For", forwardedFor) }
        return HTTPRequest(method: .post, target: "/api/v1/tokens", headers: headers,
                           peer: try SocketAddress.resolve(host: peer, port: 40000))
    }

    @Test func aTrustedProxysLastHopIsTheClientAndEarlierHopsAreIgnored() throws {
        #expect(resolver.address(of: try request(from: "127.0.0.1", forwardedFor: "203.0.113.9")) == "203.0.113.9")
        // The client wrote the first hop itself; only what our proxy appended counts.
        #expect(resolver.address(of: try request(from: "10.1.2.3", forwardedFor: "1.1.1.1, 198.51.100.7")) == "198.51.100.7")
    }

    @Test func anUntrustedPeerIsTheClientWhateverItForwards() throws {
        #expect(resolver.address(of: try request(from: "192.0.2.44", forwardedFor: "127.0.0.1")) == "192.0.2.44")
        #expect(resolver.address(of: try request(from: "127.0.0.1", forwardedFor: nil)) == "127.0.0.1")
        #expect(resolver.address(of: try request(from: "127.0.0.1", forwardedFor: " , ")) == "127.0.0.1")
    }
}
