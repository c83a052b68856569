import Foundation
import Glibc
import Synchronization
import Testing
@testable import Shared

/// A server on a free port with a few routes, for network tests.
final class TestHTTPServer {
    let group: EventLoopGroup
    let workers: WorkerPool
    let server: HTTPServer
    var port: Int { server.port }
    var base: String { "http://127.0.0.1:\(port)" }

    init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), threads: Int = 2, queueLimit: Int = 64,
         observer: (any HTTPServerObserver)? = nil, extra: (RouterBuilder) -> Void = { _ in }) throws {
        let routes = RouterBuilder()
        routes.get("/hello", kind: .inline) { _ in .jsonText("{\"hello\":\"world\"}") }
        routes.get("/items/{id}", kind: .inline) { r in .jsonText("{\"id\":\"\(r.pathParameter("id")!)\"}") }
        routes.post("/echo") { r in HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"], body: r.body) }
        routes.get("/slow") { r in
            usleep(UInt32(r.query["ms"].flatMap(Int.init) ?? 200) * 1000)
            return .jsonText("{\"slow\":true}")
        }
        extra(routes)
        group = EventLoopGroup(count: 2)
        group.start()
        workers = WorkerPool(threads: threads, queueLimit: queueLimit)
        server = HTTPServer(configuration: configuration, router: routes.build(), group: group, workers: workers,
                            observer: observer)
        try server.start(host: "127.0.0.1", port: 0)
    }

    func stop() {
        server.drain(deadline: .seconds(2))
        group.stop()
        workers.shutdown()
    }
}

@Suite(.serialized) struct HTTPServerTests {
    @Test func curlReusesOneConnectionForSeveralURLs() throws {
        let s = try TestHTTPServer()
        defer { s.stop() }
        let r = try runHTTPCurl(["-v", "--http1.1", "\(s.base)/hello", "\(s.base)/items/7", "\(s.base)/hello"])
        #expect(r.status == 0)
        #expect(r.out == "{\"hello\":\"world\"}{\"id\":\"7\"}{\"hello\":\"world\"}")
        #expect(r.err.contains("Re-using existing connection") || r.err.contains("Reusing existing connection"))
        #expect(r.err.contains("< X-Request-Id: "))
        #expect(r.err.contains("< Date: "))
    }

    @Test func curlUploadsAChunkedBodyAndGetsItBack() throws {
        let s = try TestHTTPServer()
        defer { s.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("chunked-\(getpid()).bin")
        let payload = (0..<200_000).map { _ in UInt8.random(in: 0x20...0x7E) }
        try Data(payload).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try runHTTPCurl(["--http1.1", "-H", "Transfer-Encoding: chunked", "--data-binary", "@\(file.path)", "\(s.base)/echo"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == String(decoding: payload, as: UTF8.self))
    }

    @Test func answers100ContinueBeforeTheBody() throws {
        let s = try TestHTTPServer()
        defer { s.stop() }
        let r = try runHTTPCurl(["-v", "--http1.1", "-H", "Expect: 100-continue", "--data-binary", "hello", "\(s.base)/echo"])
        #expect(r.out == "hello")
        #expect(r.err.contains("< HTTP/1.1 100 Continue"))
        let raw = try RawHTTPClient(port: s.port)
        raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        var buffer = [UInt8](repeating: 0, count: 100)
        let n = recv(raw.fd, &buffer, 100, 0)
        #expect(String(decoding: buffer[0..<max(0, n)], as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
        raw.send("ok")
        #expect(raw.readResponses(1).first?.body == "ok")
    }

    @Test func headAnswersCarryTheLengthButNoBody() throws {
        let s = try TestHTTPServer()
        defer { s.stop() }
        let raw = try RawHTTPClient(port: s.port)
        raw.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let (text, closed) = raw.readToEnd()
        #expect(closed)
        let parts = text.components(separatedBy: "\r\n\r\n")
        #expect(parts.count == 3 && parts[1].hasPrefix("HTTP/1.1 200 OK") && parts[2] == "{\"hello\":\"world\"}")
        #expect(parts[0].contains("Content-Length: 17"))
    }

    @Test func answersPipelinedRequestsInOrder() throws {
        let s = try TestHTTPServer()
        defer { s.stop() }
        let raw = try RawHTTPClient(port: s.port)
        raw.send("GET /slow?ms=150 HTTP/1.1\r\nHost: x\r\n\r\nGET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /items/4 HTTP/1.1\r\nHost: x\r\n\r\n")
        let responses = raw.readResponses(4)
        #expect(responses.map(\.body) == ["{\"slow\":true}", "{\"id\":\"2\"}", "abc", "{\"id\":\"4\"}"])
    }

    @Test func aClientThatReadsLateStillGetsEveryPipelinedAnswerInOrder() throws {
        var config = HTTPServerConfiguration()
        config.maxQueuedResponseBytes = 16 * 1024
        config.maxPipelinedBytes = 4 * 1024
        let s = try TestHTTPServer(configuration: config) { routes in
            routes.get("/big/{n}", kind: .inline) { r in .text(r.pathParameter("n")! + String(repeating: "x", count: 10_000)) }
        }
        defer { s.stop() }
        let raw = try RawHTTPClient(port: s.port)
        let requests = (0..<300).map { "GET /big/\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
        let sender = Thread { raw.send(requests) }
        sender.start()
        usleep(300_000)  // let the server hit both caps before anything is read
        let responses = raw.readResponses(300)
        #expect(responses.count == 300)
        #expect(responses.enumerated().allSatisfy { $0.element.body.hasPrefix("\($0.offset)x") })
    }

    @Test func http10ClosesUnlessAskedToKeepAlive() throws {
        let s = try TestHTTPServer()
        defer { s.stop() }
        let raw = try RawHTTPClient(port: s.port)
        raw.send("GET /hello HTTP/1.0\r\n\r\n")
        let (text, closed) = raw.readToEnd()
        #expect(closed && text.contains("Connection: close"))
        let kept = try RawHTTPClient(port: s.port)
        kept.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let first = kept.readResponses(1)
        #expect(first.first?.headers["connection"] == "keep-alive")
        kept.send("GET /items/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(kept.readResponses(1).first?.body == "{\"id\":\"1\"}")
    }

    @Test(arguments: HTTPRequestSmugglingTests.shapes.map(\.0) + ["413", "414", "431"])
    func answersMalformedInputAndClosesWhileServingOthers(shape name: String) throws {
        let s = try TestHTTPServer()
        defer { s.stop() }
        let big = [
            "413": "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n",
            "414": "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
            "431": "GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-A: " + String(repeating: "b", count: 1000) + "\r\n", count: 17) + "\r\n",
        ]
        let input = try #require(big[name] ?? HTTPRequestSmugglingTests.shapes.first { $0.0 == name }?.1)
        let expected = Int(name) ?? 400
        let bystander = try RawHTTPClient(port: s.port)
        let raw = try RawHTTPClient(port: s.port)
        raw.send(input)
        let (text, closed) = raw.readToEnd()
        #expect(text.hasPrefix("HTTP/1.1 \(expected) "), "\(name): \(text.prefix(80))")
        #expect(text.contains("Connection: close") && text.contains("application/problem+json"))
        #expect(closed, "\(name): connection left open")
        bystander.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(bystander.readResponses(1).first?.status == 200)
        #expect(try runHTTPCurl(["\(s.base)/items/9"]).out == "{\"id\":\"9\"}")
    }

    @Test func reportsEachAnswerWithItsRouteTemplateAndEachRejection() throws {
        let observer = RecordingObserver()
        let s = try TestHTTPServer(observer: observer)
        defer { s.stop() }
        let raw = try RawHTTPClient(port: s.port)
        raw.send("GET /items/5 HTTP/1.1\r\nHost: x\r\nX-Request-Id: trace-1\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /slow?ms=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        let answers = raw.readResponses(3)
        #expect(answers.first?.headers["x-request-id"] == "trace-1")
        let bad = try RawHTTPClient(port: s.port)
        bad.send("GET / HTTP/1.1\r\nHost : x\r\n\r\n")
        _ = bad.readToEnd()
        let entries = observer.entries.withLock { $0 }
        #expect(entries.map(\.route) == ["/items/{id}", nil, "/slow"])
        #expect(entries.map(\.status) == [200, 404, 200])
        #expect(entries.first?.requestId == "trace-1")
        #expect(entries.map(\.requestId) == answers.map { $0.headers["x-request-id"] ?? "" })
        #expect(observer.rejected.withLock { $0 } == [400])
        #expect(observer.connections.load(ordering: .relaxed) == 1)  // `raw` is still open
    }

    @Test func answers404And405AsProblemJSON() throws {
        let s = try TestHTTPServer()
        defer { s.stop() }
        let missing = try runHTTPCurl(["-i", "\(s.base)/nope"])
        #expect(missing.out.hasPrefix("HTTP/1.1 404 Not Found"))
        #expect(missing.out.contains("Content-Type: application/problem+json"))
        let wrong = try runHTTPCurl(["-i", "-X", "DELETE", "\(s.base)/hello"])
        #expect(wrong.out.hasPrefix("HTTP/1.1 405"))
        #expect(wrong.out.contains("Allow: GET, HEAD, OPTIONS"))
    }

    @Test func closesAConnectionThatSendsNoHeadInTime() throws {
        var config = HTTPServerConfiguration()
        config.headerTimeout = 0.3
        let s = try TestHTTPServer(configuration: config)
        defer { s.stop() }
        let raw = try RawHTTPClient(port: s.port)
        raw.send("GET /hello HTTP/1.1\r\nHost:")
        let start = Date()
        let (text, closed) = raw.readToEnd()
        #expect(closed && text.hasPrefix("HTTP/1.1 408"))
        #expect(Date().timeIntervalSince(start) < 2)
        let silent = try RawHTTPClient(port: s.port)
        #expect(silent.readToEnd() == ("", true))
    }

    @Test func aHeadTricklingInSlowlyIsCutOffAtTheHeaderTimeout() throws {
        var config = HTTPServerConfiguration()
        config.headerTimeout = 0.5
        let s = try TestHTTPServer(configuration: config)
        defer { s.stop() }
        let raw = try RawHTTPClient(port: s.port)
        let start = Date()
        let trickle = Thread {
            for byte in "GET /hello HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8 {
                raw.send([byte])
                usleep(50_000)
            }
        }
        trickle.start()
        let (text, closed) = raw.readToEnd()
        let waited = Date().timeIntervalSince(start)
        #expect(closed && text.hasPrefix("HTTP/1.1 408"))
        #expect(waited > 0.4 && waited < 1.5, "progress must not extend the header timeout (\(waited) s)")
    }

    @Test func closesIdleKeepAliveConnections() throws {
        var config = HTTPServerConfiguration()
        config.idleTimeout = 0.3
        let s = try TestHTTPServer(configuration: config)
        defer { s.stop() }
        let raw = try RawHTTPClient(port: s.port)
        raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(raw.readResponses(1).first?.status == 200)
        let start = Date()
        let (rest, closed) = raw.readToEnd()
        #expect(closed && rest.isEmpty)
        let waited = Date().timeIntervalSince(start)
        #expect(waited > 0.2 && waited < 2)
    }

    @Test func answers503WithRetryAfterWhenTheWorkerPoolIsFull() throws {
        let s = try TestHTTPServer(threads: 1, queueLimit: 1)
        defer { s.stop() }
        let clients = try (0..<4).map { _ in try RawHTTPClient(port: s.port) }
        clients[0].send("GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(100_000)  // the only worker is now busy: one more fits in the queue, two do not
        for c in clients.dropFirst() { c.send("GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n"); usleep(20_000) }
        let statuses = clients.map { $0.readResponses(1).first }
        #expect(statuses.filter { $0?.status == 200 }.count == 2)
        let busy = statuses.filter { $0?.status == 503 }
        #expect(busy.count == 2)
        #expect(busy.allSatisfy { $0?.headers["retry-after"] == "1" })
    }

    /// The slow request is in flight once a worker runs it (a fixed sleep raced a busy machine).
    static func waitUntilBusy(_ workers: WorkerPool) -> Bool {
        for _ in 0..<400 where workers.busyCount == 0 { usleep(5_000) }
        return workers.busyCount > 0
    }

    @Test func drainFinishesInFlightRequestsAndClosesIdleOnes() throws {
        let s = try TestHTTPServer()
        let idle = try RawHTTPClient(port: s.port)
        idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(idle.readResponses(1).count == 1)
        let busy = try RawHTTPClient(port: s.port)
        busy.send("GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(Self.waitUntilBusy(s.workers))
        let started = Date()
        let clean = s.server.drain(deadline: .seconds(3))
        #expect(clean)
        #expect(Date().timeIntervalSince(started) < 2)
        let (answer, closed) = busy.readToEnd()
        #expect(closed && answer.contains("{\"slow\":true}") && answer.contains("Connection: close"))
        #expect(idle.readToEnd().closed)
        #expect(throws: (any Error).self) { _ = try RawHTTPClient(port: s.port).readResponses(1) }
        s.group.stop()
        s.workers.shutdown()
    }

    @Test func drainClosesWhatIsStillBusyAtTheDeadline() throws {
        let s = try TestHTTPServer()
        let busy = try RawHTTPClient(port: s.port)
        busy.send("GET /slow?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(Self.waitUntilBusy(s.workers))
        let started = Date()
        #expect(!s.server.drain(deadline: .milliseconds(200)))
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(busy.readToEnd() == ("", true))
        s.group.stop()
        s.workers.shutdown()
    }

    @Test func refusesBodiesOverTheCapFromCurl() throws {
        var config = HTTPServerConfiguration()
        config.maxBodyBytes = 1000
        let s = try TestHTTPServer(configuration: config)
        defer { s.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(getpid()).bin")
        try Data(repeating: 0x61, count: 5000).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let declared = try runHTTPCurl(["-i", "--http1.1", "-H", "Expect: 100-continue", "--data-binary", "@\(file.path)", "\(s.base)/echo"])
        #expect(declared.out.hasPrefix("HTTP/1.1 413"), "\(declared.out.prefix(60))")
        #expect(!declared.out.contains("100 Continue"))
        let chunked = try runHTTPCurl(["-i", "--http1.1", "-H", "Transfer-Encoding: chunked", "--data-binary", "@\(file.path)", "\(s.base)/echo"])
        #expect(chunked.out.hasPrefix("HTTP/1.1 413"), "\(chunked.out.prefix(60))")
        #expect(try runHTTPCurl(["--data-binary", "small", "\(s.base)/echo"]).out == "small")
    }

    @Test func startingOnATakenPortThrowsAnErrorNamingIt() throws {
        let s = try TestHTTPServer()
        defer { s.stop() }
        let second = HTTPServer(router: RouterBuilder().build(), group: s.group, workers: s.workers)
        #expect { try second.start(host: "127.0.0.1", port: s.port) } throws: { error in
            "\(error)".contains("127.0.0.1:\(s.port)")
        }
    }

    @Test func upgradeHandsTheConnectionToTheNewHandler() throws {
        let s = try TestHTTPServer { routes in
            routes.get("/ws", kind: .inline) { _ in
                var response = HTTPResponse(status: 101, headers: ["Upgrade": "echo"])
                response.upgrade = { _ in UpgradeEchoHandler() }
                return response
            }
        }
        defer { s.stop() }
        let raw = try RawHTTPClient(port: s.port)
        raw.send("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        var buffer = [UInt8](repeating: 0, count: 1000)
        let n = recv(raw.fd, &buffer, 1000, 0)
        let head = String(decoding: buffer[0..<max(0, n)], as: UTF8.self)
        #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n") && head.contains("Connection: Upgrade"))
        raw.send("ping")
        let m = recv(raw.fd, &buffer, 1000, 0)
        #expect(String(decoding: buffer[0..<max(0, m)], as: UTF8.self) == "echo:ping")
    }
}

/// Records what the server reports, as an access log and metrics would see it.
final class RecordingObserver: HTTPServerObserver {
    struct Entry: Equatable { var method: String; var path: String; var route: String?; var status: Int; var requestId: String }
    let entries = Mutex<[Entry]>([])
    let rejected = Mutex<[Int]>([])
    let connections = Atomic<Int>(0)
    /// Each entry's duration, in the same order.
    let durations = Mutex<[Double]>([])
    func requestCompleted(_ request: HTTPRequest, response: HTTPResponse, route: String?, durationSeconds: Double) {
        entries.withLock { $0.append(Entry(method: request.method.rawValue, path: request.path, route: route,
                                           status: response.status, requestId: request.requestId)) }
        durations.withLock { $0.append(durationSeconds) }
    }
    func requestRejected(_ error: HTTPParseError, peer: SocketAddress) { rejected.withLock { $0.append(error.status) } }
    func connectionsChanged(by delta: Int) { connections.add(delta, ordering: .relaxed) }
}

/// Echoes what it receives, to check that an upgrade really replaced the HTTP handler.
final class UpgradeEchoHandler: ConnectionHandler {
    func connectionOpened(_ connection: Connection) {}
    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {
        connection.write(Array("echo:".utf8) + Array(bytes))
    }
    func connectionClosed(_ connection: Connection) {}
}
