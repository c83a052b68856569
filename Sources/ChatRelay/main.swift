import Foundation
import Shared

// ChatRelay: configuration → Redis → loops → /ws. See `RelayConfiguration.help`.

let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--help") || arguments.contains("-h") {
    print(RelayConfiguration.help, terminator: "")
    exit(0)
}
if let unknown = arguments.first {
    FileHandle.standardError.write(Data("ChatRelay: unknown argument \(unknown) (see --help)\n".utf8))
    exit(2)
}

let configuration: RelayConfiguration
do {
    configuration = try RelayConfiguration(environment: Environment())
} catch {
    FileHandle.standardError.write(Data("ChatRelay: \(error)\n".utf8))
    exit(2)
}

let logger = Logger(label: "relay", level: configuration.service.logLevel)
let limits = ResourceLimits.raiseOpenFilesToHardLimit()
logger.info("open files limit", ["before": .int(Int64(limits.old)), "after": .int(Int64(limits.new))])

let server: RelayServer
do {
    server = try RelayServer(configuration: configuration, logger: logger)
    try server.start()
} catch {
    logger.error("start-up failed", ["error": .string(String(describing: error))])
    LogSink.standardError.flush()
    FileHandle.standardError.write(Data("ChatRelay: \(error)\n".utf8))
    exit(1)
}

SignalWatcher.onTermination { signal in
    logger.info("termination signal", ["signal": .int(Int64(signal))])
    server.drain()
    LogSink.standardError.flush()
    exit(0)
}

while true { sleep(3_600) }
