import Foundation
import TestSupport

/// A real WebSocket client (Python `websockets`) watching the relay through nginx in the
/// background; its output lines are read from its log as they come.
struct SocketWatcher {
    let process: ManagedProcess

    /// Connects with `token` and watches for up to `seconds`.
    static func start(nginx: NginxFixture, token: String, seconds: Double = 20) throws -> SocketWatcher {
        let directory = try FixtureDirectories.make("socket")
        let script = Repository.path("Tests/EndToEndTests/Accounts/clients/watch_socket.py")
        let url = "ws://127.0.0.1:\(nginx.port)/ws"
        let process = ManagedProcess(name: "watch", executable: Repository.path(".venv/bin/python"),
                                     arguments: ["-u", script, url, token, String(seconds)],
                                     directory: directory, marker: script)
        try process.start()
        return SocketWatcher(process: process)
    }

    var lines: [String] {
        ((try? String(contentsOf: process.logURL, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits until a line satisfies `predicate`; returns it, or nil after `timeout` seconds.
    func waitForLine(timeout: Double = 10, _ predicate: (String) -> Bool) async throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = lines.first(where: predicate) { return line }
            try await Task.sleep(for: .milliseconds(50))
        }
        return lines.first(where: predicate)
    }
}
