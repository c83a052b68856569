import Foundation

/// Runs a short command to completion (the `mariadb` client, `redis-cli`, render.sh), output
/// through temporary files so a chatty command can never block on a full pipe.
public enum Command {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `executable` (a path, or a name looked up in PATH) and returns its output.
    public static func run(_ executable: String, _ arguments: [String], input: String? = nil,
                           environment: [String: String]? = nil) throws -> Output {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("chat-command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: resolve(executable))
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        if let input {
            let inURL = scratch.appendingPathComponent("in")
            try Data(input.utf8).write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try SignalMask.withEmptyMask { try process.run() }
        let status = ChildStatus.wait(process.processIdentifier) ?? {
            process.waitUntilExit()   // already reaped: Process has the status
            return process.terminationStatus
        }()
        ChildStatus.reap(process.processIdentifier)
        return Output(status: status,
                      stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// Like `run`, but a non-zero exit throws with the command's stderr.
    @discardableResult
    public static func check(_ executable: String, _ arguments: [String], input: String? = nil,
                             environment: [String: String]? = nil) throws -> String {
        let output = try run(executable, arguments, input: input, environment: environment)
        guard output.status == 0 else {
            throw FixtureError("\(executable) \(arguments.joined(separator: " ")) exited \(output.status): \(output.stderr)\(output.stdout)")
        }
        return output.stdout
    }

    /// Finds a program in PATH (plus /usr/sbin, where Debian keeps mariadbd and nginx).
    public static func resolve(_ name: String) -> String {
        if name.contains("/") { return name }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return name
    }
}
