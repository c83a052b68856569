import Foundation
import TestSupport

/// One run of a Python client scenario (Tests/EndToEndTests/Relay/clients/*.py) with the
/// project's virtual environment (deploy/local/install-deps.sh makes it: websockets, redis).
///
/// The script gets a JSON configuration file; it reports `{"step": name}` lines, waits at
/// barriers until `release(name)`, and ends with `{"result": {...}}` (or `{"error": ...}`).
final class ClientScript: Sendable {
    let name: String
    let directory: URL
    private let process: ManagedProcess

    static var python: String { Repository.path(".venv/bin/python") }
    static func scriptPath(_ script: String) -> String {
        Repository.path("Tests/EndToEndTests/Relay/clients/\(script)")
    }

    /// Starts `script` with `configuration` (plus `control`, the barrier folder).
    static func start(_ script: String, configuration: [String: Any]) throws -> ClientScript {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ClientScriptError("\(python) is missing: run deploy/local/install-deps.sh (make deps)")
        }
        let directory = try FixtureDirectories.make("client-\(script.replacingOccurrences(of: ".py", with: ""))")
        let control = directory.appendingPathComponent("control")
        try FileManager.default.createDirectory(at: control, withIntermediateDirectories: true)
        var configuration = configuration
        configuration["control"] = control.path
        let configURL = directory.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: configuration, options: [.sortedKeys]).write(to: configURL)
        // No __pycache__ next to the scripts in the checkout.
        let environment = ProcessInfo.processInfo.environment.merging(["PYTHONDONTWRITEBYTECODE": "1"]) { _, new in new }
        let process = ManagedProcess(name: "client", executable: python,
                                     arguments: ["-u", scriptPath(script), configURL.path],
                                     directory: directory, marker: configURL.path, environment: environment)
        try process.start()
        return ClientScript(name: script, directory: directory, process: process)
    }

    /// Starts `script` and waits for its result.
    static func run(_ script: String, configuration: [String: Any], timeout: Double = 30) throws -> [String: Any] {
        try start(script, configuration: configuration).result(timeout: timeout)
    }

    private init(name: String, directory: URL, process: ManagedProcess) {
        self.name = name
        self.directory = directory
        self.process = process
    }

    /// The JSON lines the script printed (stderr shares the log; its lines are not JSON objects).
    private func reports() -> [[String: Any]] {
        let text = (try? String(contentsOf: process.logURL, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("{") else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    private func failure(_ what: String) -> ClientScriptError {
        ClientScriptError("\(name): \(what)\n\(process.logTail(lines: 30))")
    }

    /// Waits until the script reports `step`; returns that report.
    @discardableResult
    func waitForStep(_ step: String, timeout: Double = 20) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let all = reports()
            if let report = all.first(where: { $0["step"] as? String == step }) { return report }
            if let error = all.first(where: { $0["error"] != nil }) { throw failure("failed: \(error["error"] ?? "")") }
            if !process.isRunning { throw failure("exited before step \(step)") }
            if Date() > deadline { throw failure("no step \(step) after \(timeout) s") }
            usleep(20_000)
        }
    }

    /// Lets the script past `barrier`.
    func release(_ barrier: String) throws {
        let url = directory.appendingPathComponent("control").appendingPathComponent(barrier)
        try Data().write(to: url)
    }

    /// Waits for the script's end and returns its result object.
    func result(timeout: Double = 30) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let all = reports()
            if let result = all.last(where: { $0["result"] != nil })?["result"] as? [String: Any] {
                _ = process.waitForExit(timeout: 5)
                return result
            }
            if let error = all.first(where: { $0["error"] != nil }) {
                _ = process.waitForExit(timeout: 5)
                throw failure("failed: \(error["error"] ?? "")")
            }
            if !process.isRunning { throw failure("exited without a result") }
            if Date() > deadline {
                process.kill()
                throw failure("no result after \(timeout) s")
            }
            usleep(20_000)
        }
    }
}

struct ClientScriptError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
