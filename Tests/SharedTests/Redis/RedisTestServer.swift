import Foundation
import Glibc
import TestSupport
@testable import Shared

/// A private Redis for one test: infra's `RedisFixture` (free loopback port, temporary folder,
/// leftovers of crashed runs cleaned), seen through the kit's own `RedisURL`.
final class RedisTestServer {
    private let fixture: RedisFixture

    var port: Int { fixture.port }
    var url: RedisURL { RedisURL(host: "127.0.0.1", port: fixture.port) }

    init() throws {
        fixture = try RedisFixture.start()
        // The fixture's URL string must parse as the services will parse CHAT_REDIS_URL.
        precondition((try? RedisURL(parsing: fixture.url)) == url)
    }

    /// SIGKILL: these tests keep nothing, so a clean shutdown would only cost time.
    func stop() { fixture.kill() }

    deinit { stop() }

    /// A port nothing listens on (for connection-refused tests).
    static func freePort() throws -> Int { FreePort.next() }
}
