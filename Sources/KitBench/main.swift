import Foundation
import Glibc
import Shared
import Synchronization

// The server kit alone behind a trivial JSON route, with the standard telemetry (access log on,
// as in the services), so deploy/local/bench-kit.sh can hold it against nginx `return 200`.
//
//   KitBench [--port N] [--host H] [--loops N] [--log FILE|-] [--no-access-log]
//
// Routes: GET /hello → {"hello":"world"} (inline, on the loop);
//         GET /connections → {"open":N} (inline; lets the idle-memory probe check its count).
// Prints one line `ready port=N pid=P loops=L` on stdout once listening; SIGTERM/SIGINT drain.

struct Options {
    var host = "127.0.0.1"
    var port = 8080
    var loops: Int?
    var logPath = "-"
    var accessLog = true

    static let usage = """
        usage: KitBench [--port N] [--host H] [--loops N] [--log FILE|-] [--no-access-log]
          --port N         port to listen on (0 picks a free one; default 8080)
          --host H         address to listen on (default 127.0.0.1)
          --loops N        event loops (default CHAT_EVENT_LOOPS, else one per core)
          --log FILE       JSON-line log and access log destination ("-" = stdout, default)
          --no-access-log  turn the per-request access log off (metrics stay)
        """

    static func parse(_ args: [String], environment: [String: String]) throws(OptionError) -> Options {
        var o = Options()
        var i = 0
        func value(_ name: String) throws(OptionError) -> String {
            i += 1
            guard i < args.count else { throw OptionError("\(name) needs a value") }
            return args[i]
        }
        func positive(_ name: String, _ text: String, allowZero: Bool = false) throws(OptionError) -> Int {
            guard let n = Int(text), n > 0 || (allowZero && n == 0) else {
                throw OptionError("\(name) must be a \(allowZero ? "non-negative" : "positive") integer, got \"\(text)\"")
            }
            return n
        }
        if let env = environment["CHAT_EVENT_LOOPS"], !env.isEmpty {
            o.loops = try positive("CHAT_EVENT_LOOPS", env)
        }
        while i < args.count {
            switch args[i] {
            case "--port":
                o.port = try positive("--port", try value("--port"), allowZero: true)
                guard o.port <= 65535 else { throw OptionError("--port must be at most 65535, got \(o.port)") }
            case "--host": o.host = try value("--host")
            case "--loops": o.loops = try positive("--loops", try value("--loops"))
            case "--log": o.logPath = try value("--log")
            case "--no-access-log": o.accessLog = false
            case "--help", "-h":
                print(usage)
                exit(0)
            default: throw OptionError("unknown argument \"\(args[i])\"")
            }
            i += 1
        }
        return o
    }
}

struct OptionError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("KitBench: \(message)\n".utf8))
    exit(2)
}

let options: Options
do {
    options = try Options.parse(Array(CommandLine.arguments.dropFirst()),
                                environment: ProcessInfo.processInfo.environment)
} catch {
    fail("\(error)\n\(Options.usage)")
}

// 10,000 idle connections need more than the usual 1,024 descriptors.
ResourceLimits.raiseOpenFilesToHardLimit()

let logFD: Int32
if options.logPath == "-" {
    logFD = STDOUT_FILENO
} else {
    logFD = open(options.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    if logFD < 0 { fail("cannot open log file \(options.logPath): \(String(cString: strerror(errno)))") }
}
let sink = LogSink(target: .fileDescriptor(logFD))
let logger = Logger(label: "kitbench", level: .info, sink: sink)
let metrics = MetricsRegistry()

let loopCount = options.loops ?? EventLoopGroup.coreCount
let group = EventLoopGroup(count: loopCount)
// No route blocks; the pool exists because the server requires one.
let workers = WorkerPool(threads: 1, queueLimit: 16)

// The /connections handler needs the server, which is created after the router.
let serverRef = Mutex<HTTPServer?>(nil)

let routes = RouterBuilder()
routes.get("/hello", kind: .inline) { _ in .jsonText(#"{"hello":"world"}"#) }
routes.get("/connections", kind: .inline) { _ in .jsonText(#"{"open":\#(serverRef.withLock { $0?.openConnections ?? 0 })}"#) }

let server = HTTPServer(router: routes.build(), group: group, workers: workers, logger: logger,
                        metrics: metrics, accessLog: options.accessLog)
serverRef.withLock { $0 = server }
group.start()
do {
    try server.start(host: options.host, port: options.port)
} catch {
    fail("\(error)")
}

let done = DispatchSemaphore(value: 0)
SignalWatcher.onTermination { _ in done.signal() }
// The ready line goes to stderr when the log is on stdout, so a reader never has to
// pick it out of access-log lines.
let ready = "ready port=\(server.port) pid=\(getpid()) loops=\(loopCount)\n"
if logFD == STDOUT_FILENO {
    FileHandle.standardError.write(Data(ready.utf8))
} else {
    FileHandle.standardOutput.write(Data(ready.utf8))
}
done.wait()
server.drain(deadline: .seconds(2))
group.stop()
workers.shutdown()
sink.close()
