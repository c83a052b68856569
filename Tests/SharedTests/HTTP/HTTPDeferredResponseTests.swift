import CLinux  // SHUT_WR (Glibc alone does not export it to a clean build)
import Foundation
import Glibc
import Synchronization
import Testing
@testable import Shared

/// Deferred answers over a real socket: a handler returns `.deferred(responder)` and some
/// other thread completes it later (or never, or after the client left).
@Suite(.serialized) struct HTTPDeferredResponseTests {
    /// The responders the `/later` route handed out, in request order.
    final class HeldResponders: Sendable {
        private let list = Mutex<[HTTPResponder]>([])
        func add(_ responder: HTTPResponder) { list.withLock { $0.append(responder) } }
        /// Waits until `count` requests were deferred.
        func wait(for count: Int, timeout: Double = 5) -> [HTTPResponder] {
            let end = Date().addingTimeInterval(timeout)
            while list.withLock({ $0.count }) < count && Date() < end { usleep(2_000) }
            return list.withLock { $0 }
        }
    }

    /// A server whose `/later?timeout=` (a worker handler) defers and `/now` (inline) answers
    /// before it even returns.
    static func server(threads: Int = 2, observer: RecordingObserver? = nil) throws -> (TestHTTPServer, HeldResponders) {
        let held = HeldResponders()
        let server = try TestHTTPServer(threads: threads, observer: observer) { routes in
            routes.get("/later") { request in
                let responder = HTTPResponder(timeout: request.query["timeout"].flatMap(Double.init) ?? 10)
                held.add(responder)
                return .deferred(responder)
            }
            // Defers only after the client has had time to leave (the worker is slow to return).
            routes.get("/deferred-late") { _ in
                let responder = HTTPResponder(timeout: 10)
                held.add(responder)
                usleep(300_000)
                return .deferred(responder)
            }
            routes.get("/now", kind: .inline) { _ in
                let responder = HTTPResponder(timeout: 10)
                responder.complete(.text("early"))
                return .deferred(responder)
            }
        }
        return (server, held)
    }

    /// Completes `responder` from a thread of its own, as an event loop or a pub/sub thread would.
    static func complete(_ responder: HTTPResponder, _ text: String, after microseconds: UInt32 = 0) {
        Thread {
            usleep(microseconds)
            responder.complete(.text(text))
        }.start()
    }

    /// Whether anything arrives on `client` within `milliseconds`.
    static func somethingArrives(_ client: RawHTTPClient, within milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }

    static func waitUntil(timeout: Double = 3, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while !condition() && Date() < end { usleep(5_000) }
        return condition()
    }

    @Test func deferredAnswersCompletedFromOtherThreadsArriveWhileTheOnlyWorkerStaysFree() throws {
        let (s, held) = try Self.server(threads: 1)
        defer { s.stop() }
        let clients = try (0..<3).map { _ in try RawHTTPClient(port: s.port) }
        for (i, client) in clients.enumerated() {
            client.send("GET /later HTTP/1.1\r\nHost: x\r\nX-Request-Id: held-\(i)\r\n\r\n")
            #expect(held.wait(for: i + 1).count == i + 1)
        }
        // Three requests are held, yet the single worker answers someone else at once.
        let other = try RawHTTPClient(port: s.port)
        other.send("GET /slow?ms=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(other.readResponses(1).first?.body == "{\"slow\":true}")
        #expect(!Self.somethingArrives(clients[0], within: 50))
        for (i, responder) in held.wait(for: 3).enumerated() { Self.complete(responder, "answer \(i)") }
        for (i, client) in clients.enumerated() {
            let answer = client.readResponses(1).first
            #expect(answer?.status == 200)
            #expect(answer?.body == "answer \(i)")
            #expect(answer?.headers["x-request-id"] == "held-\(i)")
            #expect(answer?.headers["content-type"] == "text/plain; charset=utf-8")
        }
    }

    @Test func aPipelinedRequestBehindADeferredOneWaitsAndTheAnswersStayInOrder() throws {
        let (s, held) = try Self.server()
        defer { s.stop() }
        let client = try RawHTTPClient(port: s.port)
        client.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /now HTTP/1.1\r\nHost: x\r\n\r\n")
        guard let responder = held.wait(for: 1).first else {
            Issue.record("the request was not deferred")
            return
        }
        #expect(!Self.somethingArrives(client, within: 200))  // /hello is ready, but must not overtake
        Self.complete(responder, "first")
        #expect(client.readResponses(3).map(\.body) == ["first", "{\"hello\":\"world\"}", "early"])
    }

    @Test func aClientLeavingWhileItsAnswerIsDeferredCancelsItAndALaterAnswerIsANoOp() throws {
        let observer = RecordingObserver()
        let (s, held) = try Self.server(observer: observer)
        defer { s.stop() }
        let cancels = Atomic<Int>(0)
        do {
            let client = try RawHTTPClient(port: s.port)
            client.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
            let responder = held.wait(for: 1).first
            responder?.onCancel { cancels.add(1, ordering: .relaxed) }
        }  // the client's socket closes here
        guard let responder = held.wait(for: 1).first else {
            Issue.record("the request was not deferred")
            return
        }
        #expect(Self.waitUntil { responder.isCancelled })
        #expect(cancels.load(ordering: .relaxed) == 1)
        #expect(!responder.complete(.text("too late")))
        #expect(Self.waitUntil { s.server.openConnections == 0 })
        #expect(observer.entries.withLock { $0.map(\.status) } == [499])
        // The server is fine: the next client is answered.
        let next = try RawHTTPClient(port: s.port)
        next.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(next.readResponses(1).first?.status == 200)
    }

    @Test func aClientThatLeftBeforeTheHandlerDeferredIsCancelledToo() throws {
        let observer = RecordingObserver()
        let (s, held) = try Self.server(observer: observer)
        defer { s.stop() }
        let client = try RawHTTPClient(port: s.port)
        client.send("GET /deferred-late HTTP/1.1\r\nHost: x\r\n\r\n")
        guard let responder = held.wait(for: 1).first else {
            Issue.record("the handler did not run")
            return
        }
        shutdown(client.fd, Int32(SHUT_WR))   // gone while the worker still runs the handler
        #expect(Self.waitUntil { responder.isCancelled })
        #expect(!responder.complete(.text("too late")))
        #expect(client.readToEnd().text.isEmpty)   // no answer, the connection closes
        #expect(Self.waitUntil { s.server.openConnections == 0 })
        #expect(observer.entries.withLock { $0.map(\.status) } == [499])
    }

    @Test func anAnswerNeverGivenIsAnswered503AtItsBoundAndTheConnectionStaysUsable() throws {
        let (s, held) = try Self.server()
        defer { s.stop() }
        let client = try RawHTTPClient(port: s.port)
        let started = Date()
        client.send("GET /later?timeout=0.3 HTTP/1.1\r\nHost: x\r\n\r\n")
        let answer = client.readResponses(1).first
        let waited = Date().timeIntervalSince(started)
        #expect(answer?.status == 503)
        #expect(answer?.headers["content-type"] == "application/problem+json")
        #expect(answer?.headers["retry-after"] == "1")
        #expect(answer?.body.contains("not ready in time") == true)
        #expect(answer?.headers["x-request-id"]?.isEmpty == false)
        #expect(waited > 0.25 && waited < 3, "answered after \(waited) s")
        let responder = held.wait(for: 1).first
        #expect(responder?.isCancelled == true)
        #expect(responder?.complete(.text("too late")) == false)
        client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.readResponses(1).first?.body == "{\"hello\":\"world\"}")
    }

    @Test func aDeferredAnswerHonoursConnectionCloseAndIsLoggedWithItsWholeDuration() throws {
        let observer = RecordingObserver()
        let (s, held) = try Self.server(observer: observer)
        defer { s.stop() }
        let client = try RawHTTPClient(port: s.port)
        client.send("GET /later HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        guard let responder = held.wait(for: 1).first else {
            Issue.record("the request was not deferred")
            return
        }
        Self.complete(responder, "bye", after: 250_000)
        let (text, closed) = client.readToEnd()
        #expect(closed)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n") && text.contains("Connection: close\r\n") && text.hasSuffix("bye"))
        #expect(Self.waitUntil { observer.entries.withLock { $0.count } == 1 })
        #expect(observer.entries.withLock { $0.first?.route } == "/later")
        #expect(observer.entries.withLock { $0.first?.status } == 200)
        let duration = observer.durations.withLock { $0.first } ?? 0
        #expect(duration >= 0.2 && duration < 3, "duration \(duration) s")
    }

    @Test func drainingCancelsWhatIsStillHeldAtTheDeadline() throws {
        let (s, held) = try Self.server()
        let client = try RawHTTPClient(port: s.port)
        client.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
        let responder = held.wait(for: 1).first
        #expect(!s.server.drain(deadline: .milliseconds(200)))
        #expect(client.readToEnd() == ("", true))
        #expect(Self.waitUntil { responder?.isCancelled == true })
        s.group.stop()
        s.workers.shutdown()
    }

    @Test func anAnswerGivenBeforeDrainingEndsSaysConnectionClose() throws {
        let (s, held) = try Self.server()
        let client = try RawHTTPClient(port: s.port)
        client.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
        if let responder = held.wait(for: 1).first { Self.complete(responder, "last", after: 150_000) }
        #expect(s.server.drain(deadline: .seconds(3)))
        let (text, closed) = client.readToEnd()
        #expect(closed && text.contains("Connection: close\r\n") && text.hasSuffix("last"))
        s.group.stop()
        s.workers.shutdown()
    }
}
