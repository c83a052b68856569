import Foundation
import TestSupport

/// MariaDB primary + replica, Redis, two ChatAPI instances and nginx in front: the real path.
final class APIStack: Sendable {
    let infrastructure: Stack
    let apis: [ServiceProcess]
    let relays: [ServiceProcess]
    let nginx: NginxFixture
    var client: APIClient { APIClient(baseURL: nginx.baseURL) }

    /// Starts two ChatAPI instances (and `relays` ChatRelay instances) on `stack`, nginx over them;
    /// `apiEnvironment` is laid over the ChatAPI instances' variables last.
    static func start(on stack: Stack, label: String, relays relayCount: Int = 0,
                      apiEnvironment: [String: String] = [:]) throws -> APIStack {
        let executable = ServiceProcess.executable("ChatAPI")
        var apis: [ServiceProcess] = []
        for index in 0..<2 {
            let port = FreePort.next()
            var environment = stack.environment
            environment["CHAT_API_PORT"] = String(port)
            environment["CHAT_EVENT_LOOPS"] = "1"
            environment["CHAT_LOG_LEVEL"] = "info"
            // Every test client is 127.0.0.1: the per-address budgets would be shared by all tests.
            environment["CHAT_RATE_LOGIN_PER_ADDRESS"] = "100000"
            environment["CHAT_RATE_SIGNUP_PER_ADDRESS"] = "100000"
            environment.merge(apiEnvironment) { _, override in override }
            apis.append(try ServiceProcess.start(executable: executable, environment: environment, port: port,
                                                 name: "\(label)-api\(index)"))
        }
        var relays: [ServiceProcess] = []
        for index in 0..<relayCount {
            let port = FreePort.next()
            var environment = stack.environment
            environment["CHAT_RELAY_PORT"] = String(port)
            environment["CHAT_EVENT_LOOPS"] = "1"
            environment["CHAT_LOG_LEVEL"] = "info"
            relays.append(try ServiceProcess.start(executable: ServiceProcess.executable("ChatRelay"),
                                                   environment: environment, port: port, name: "\(label)-relay\(index)"))
        }
        // Without relays nginx still needs an upstream for /ws, which then stays unused.
        let relayPorts = relays.isEmpty ? [FreePort.next()] : relays.map(\.port)
        let nginx = try NginxFixture.start(apiPorts: apis.map(\.port), relayPorts: relayPorts)
        return APIStack(infrastructure: stack, apis: apis, relays: relays, nginx: nginx)
    }

    private init(infrastructure: Stack, apis: [ServiceProcess], relays: [ServiceProcess], nginx: NginxFixture) {
        self.infrastructure = infrastructure
        self.apis = apis
        self.relays = relays
        self.nginx = nginx
    }

    func stop() {
        nginx.stop()
        for service in apis + relays { service.stop() }
    }

    /// The shared stack for tests that break nothing.
    static func shared() async throws -> APIStack { try await sharedStack.value }
    private static let sharedStack = Task<APIStack, any Error> {
        try start(on: try await Fixtures.shared(), label: "shared", relays: 1)
    }
}
