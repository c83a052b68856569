import Foundation
import Shared

// ChatAPI [serve] | migrate | --help
let usage = ["ChatAPI [serve]   serve the REST API", "ChatAPI migrate   apply the schema migrations and exit",
             "ChatAPI --help    this text"]
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print(ServiceConfiguration.helpText(for: .api, usage: usage))
    exit(0)
}
let command = arguments.first ?? "serve"
guard ["serve", "migrate"].contains(command) else {
    FileHandle.standardError.write(Data("ChatAPI: unknown command '\(command)'\n\n\(ServiceConfiguration.helpText(for: .api, usage: usage))".utf8))
    exit(64)
}

let configuration: ServiceConfiguration
let keys: JWTKeySet
do {
    configuration = try ServiceConfiguration(service: .api)
    keys = try ChatAPIApp.jwtKeys(configuration)
} catch {
    FileHandle.standardError.write(Data("ChatAPI: \(error)\n".utf8))
    exit(78)
}
let logger = Logger(label: "chat-api", level: configuration.logLevel)

func migrate() -> Bool {
    guard let url = configuration.databaseMigrate else { return false }
    do {
        let applied = try Migrator(configuration: DatabaseConfiguration(url)).migrate()
        logger.info("migrations applied", ["versions": .string(applied.map(String.init).joined(separator: ","))])
        return true
    } catch {
        logger.error("migration failed", ["error": .string("\(error)")])
        return false
    }
}

if command == "migrate" {
    let ok = migrate()
    LogSink.standardError.flush()
    exit(ok ? 0 : 1)
}

// Serving applies pending migrations first (under the database lock, so instances may race).
guard migrate() else {
    LogSink.standardError.flush()
    exit(1)
}
let app: ChatAPIApp
do {
    app = try ChatAPIApp(configuration: configuration, keys: keys, logger: logger)
    try app.start()
} catch {
    logger.error("ChatAPI cannot start", ["error": .string("\(error)")])
    LogSink.standardError.flush()
    FileHandle.standardError.write(Data("ChatAPI: \(error)\n".utf8))
    exit(1)
}
let stopped = DispatchSemaphore(value: 0)
SignalWatcher.onTermination { _ in
    app.shutdown()
    stopped.signal()
}
stopped.wait()
LogSink.standardError.flush()
exit(0)
