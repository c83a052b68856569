/// One HTTP/1.1 connection: feeds the parser, runs handlers (inline or on the worker pool),
/// holds deferred answers (`HTTPResponder`), writes answers in request order, and enforces the
/// header, idle and deferred-answer timeouts.
///
/// Loop-confined, like its `Connection`. Pipelined requests are answered one at a time: while
/// a request is being answered, later bytes wait in the parser (reading pauses past a cap), so
/// answers can never be reordered.
final class HTTPConnectionHandler: ConnectionHandler {
    private let context: HTTPServerContext
    private let connection: Connection
    private var parser: HTTPRequestParser
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var inFlight = false
    private var startedAt: UInt64 = 0
    private var peerClosed = false
    private var closing = false
    /// Inside `process()`: an inline answer must not recurse into it once per pipelined request.
    private var processing = false
    /// Reading paused until the client reads the answers already queued to it.
    private var waitingForReader = false

    /// A request whose handler deferred its answer, and which of them it is (a late answer to an
    /// earlier one, cancelled, must not answer this one).
    private struct Held {
        let request: HTTPRequest
        let placeholder: HTTPResponse
        let responder: HTTPResponder
        let number: UInt64
    }
    private var held: Held?
    private var heldNumber: UInt64 = 0

    // At most one wheel entry per connection (see HTTPConnectionDeadline).
    private var deadline = HTTPConnectionDeadline()
    private var timer: TimerHandle?

    init(connection: Connection, context: HTTPServerContext) {
        self.connection = connection
        self.context = context
        self.parser = HTTPRequestParser(limits: context.configuration.limits)
    }

    /// No request in progress or waiting: safe to close when draining.
    var isIdle: Bool { !inFlight && head == nil && parser.bufferedByteCount == 0 && parser.isAtRequestBoundary }

    func connectionOpened(_ connection: Connection) {
        context.track(self, connection: connection)
        arm(.header, seconds: context.configuration.headerTimeout)
    }

    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {
        guard !closing else { return }
        let wasIdle = !inFlight && head == nil && parser.isAtRequestBoundary && parser.bufferedByteCount == 0
        parser.feed(bytes)
        if inFlight {
            if parser.bufferedByteCount > context.configuration.maxPipelinedBytes { connection.pauseReading() }
            return
        }
        if wasIdle { arm(.header, seconds: context.configuration.headerTimeout) }
        process()
    }

    func connectionWritable(_ connection: Connection) {
        guard waitingForReader, !closing else { return }
        waitingForReader = false
        connection.resumeReading()
        process()
    }

    func connectionInputClosed(_ connection: Connection) {
        peerClosed = true
        // A held request is the client waiting; its EOF means it gave up (nginx's 499).
        if held != nil {
            abandonHeld()
            closeGracefully()
            return
        }
        // An answer still being computed is written first; then the connection closes.
        if !inFlight { closeGracefully() }
    }

    func connectionClosed(_ connection: Connection) {
        closing = true
        cancelTimer()
        context.untrack(self, connection: connection)
        abandonHeld()
    }

    /// Called by the server when it starts draining: idle connections close now, busy ones
    /// after their current answer.
    func drain() {
        if isIdle { closeGracefully() }
    }

    /// Writes what is queued, then closes. The connection stops counting as this server's at
    /// once: what is left (the lingering close) needs no more answers, so draining need not wait.
    private func closeGracefully() {
        closing = true
        cancelTimer()
        context.untrack(self, connection: connection)
        connection.closeAfterFlush()
    }

    func forceClose() { connection.close() }

    // MARK: Requests

    private func process() {
        processing = true
        defer { processing = false }
        while !inFlight && !closing && !waitingForReader {
            let event: HTTPParserEvent?
            do {
                event = try parser.next()
            } catch {
                reject(error)
                return
            }
            guard let event else { break }
            switch event {
            case .head(let h):
                head = h
                body = []
                if case .length(let n) = h.framing { body.reserveCapacity(min(n, 64 * 1024)) }
                if h.expectsContinue { connection.write(HTTPResponseSerializer.continueResponse) }
                arm(.body, seconds: context.configuration.bodyTimeout)
            case .body(let piece):
                body += piece
                arm(.body, seconds: context.configuration.bodyTimeout)
            case .end:
                guard let h = head else { continue }
                dispatch(h)
            }
        }
        guard !inFlight && !closing && head == nil else { return }
        if parser.bufferedByteCount == 0 && parser.isAtRequestBoundary {
            parser.releaseBufferIfEmpty()
        } else if deadline.kind == .idle {
            arm(.header, seconds: context.configuration.headerTimeout)  // part of the next request is here
        }
    }

    private func dispatch(_ h: HTTPRequestHead) {
        var request = HTTPRequest(head: h, body: body, peer: connection.peer)
        body = []
        request.requestId = RequestID.resolve(h.headers)
        let route = context.router.route(&request)
        inFlight = true
        startedAt = connection.loop.now()
        switch route.kind {
        case .inline:
            finish(request, route.respond(request))
        case .blocking:
            let loop = connection.loop
            let me = LoopBound(self, loop: loop)
            let routed = request
            let accepted = context.workers.submit {
                let response = route.respond(routed)
                loop.execute { me.value.finish(routed, response) }
            }
            if !accepted {
                var busy = HTTPResponse.problem(.serviceUnavailable(retryAfter: context.configuration.busyRetryAfter,
                                                                    detail: "server busy"))
                busy.headers.set("X-Request-Id", request.requestId)
                finish(request, busy)
            }
        }
    }

    private func finish(_ request: HTTPRequest, _ response: HTTPResponse) {
        if let responder = response.responder {
            hold(request, placeholder: response, responder)
            return
        }
        guard let h = head else { return }
        head = nil
        inFlight = false
        report(request, response)
        guard !closing, connection.isOpen else { return }

        if response.status == 101, let upgrade = response.upgrade {
            connection.write(HTTPResponseSerializer.serialize(response, keepAlive: true, requestVersion: h.version))
            takeOver(with: upgrade)
            return
        }
        let keepAlive = h.keepAlive && !peerClosed && !context.isDraining
            && !response.headers.containsToken("close", in: "Connection")
        connection.write(HTTPResponseSerializer.serialize(response, isHead: h.method == .head, keepAlive: keepAlive,
                                                          requestVersion: h.version,
                                                          date: context.httpDate(onLoop: connection.loop.index)))
        guard keepAlive else {
            closeGracefully()
            return
        }
        arm(.idle, seconds: context.configuration.idleTimeout)
        if connection.queuedBytes > context.configuration.maxQueuedResponseBytes {
            // A pipelining client that does not read its answers must not grow our memory.
            waitingForReader = true
            connection.pauseReading()
            return
        }
        connection.resumeReading()
        if !processing { process() }  // pipelined requests already buffered
    }

    private func report(_ request: HTTPRequest, _ response: HTTPResponse) {
        context.observer?.requestCompleted(request, response: response, route: request.routeTemplate,
                                           durationSeconds: Double(connection.loop.now() &- startedAt) / 1000,
                                           loop: connection.loop.index)
    }

    // MARK: Deferred answers

    /// The handler deferred its answer: the request stays in flight, bounded by the connection's
    /// deadline (no timer of its own), until the responder's answer hops back to this loop.
    private func hold(_ request: HTTPRequest, placeholder: HTTPResponse, _ responder: HTTPResponder) {
        // The client left while a worker ran the handler: closed, or shut its sending side
        // before the answer was deferred (the same as leaving while held, below).
        guard !closing, connection.isOpen, !peerClosed else {
            responder.cancel()
            abandon(request, placeholder)
            if !closing { closeGracefully() }
            return
        }
        heldNumber &+= 1
        let number = heldNumber, loop = connection.loop, me = LoopBound(self, loop: loop)
        switch responder.hold(deliver: { answer in loop.execute { me.value.deferredAnswered(number, answer) } }) {
        case .answered(let answer):
            finish(request, placeholder.completingDeferred(with: answer))
        case .reused:
            finish(request, placeholder.completingDeferred(
                with: .problem(Problem(status: 500, detail: "a deferred answer was handed to two requests"))))
        case .held:
            held = Held(request: request, placeholder: placeholder, responder: responder, number: number)
            arm(.deferred, seconds: responder.timeout)
        }
    }

    private func deferredAnswered(_ number: UInt64, _ answer: HTTPResponse) {
        guard let held, held.number == number else { return }  // cancelled meanwhile
        self.held = nil
        finish(held.request, held.placeholder.completingDeferred(with: answer))
    }

    /// The bound passed: 503, unless the answer is already on its way to this loop.
    private func heldExpired() {
        guard let held, held.responder.cancel() else { return }
        self.held = nil
        let late = Problem.serviceUnavailable(retryAfter: context.configuration.busyRetryAfter,
                                              detail: "the answer was not ready in time")
        finish(held.request, held.placeholder.completingDeferred(with: .problem(late)))
    }

    /// The client went away while its answer was deferred: the owner learns of it through the
    /// responder, the log and metrics through status 499 (nginx's "client closed request").
    private func abandonHeld() {
        guard let held else { return }
        self.held = nil
        held.responder.cancel()
        abandon(held.request, held.placeholder)
    }

    private func abandon(_ request: HTTPRequest, _ placeholder: HTTPResponse) {
        head = nil
        inFlight = false
        report(request, placeholder.completingDeferred(with: HTTPResponse(status: 499)))
    }

    private func takeOver(with upgrade: @Sendable (Connection) -> ConnectionHandler) {
        closing = true
        cancelTimer()
        context.untrack(self, connection: connection)
        let next = upgrade(connection)
        connection.handler = next
        next.connectionOpened(connection)
        // Bytes the client sent right after its handshake belong to the new protocol.
        let leftover = parser.takeBufferedBytes()
        if !leftover.isEmpty { leftover.withUnsafeBytes { next.connection(connection, received: $0) } }
    }

    private func reject(_ error: HTTPParseError) {
        context.observer?.requestRejected(error, peer: connection.peer)
        var response = HTTPResponse.problem(Problem(status: error.status, detail: error.reason))
        response.headers.set("X-Request-Id", RequestID.generate())
        let version = head?.version ?? .http1_1
        head = nil
        connection.write(HTTPResponseSerializer.serialize(response, keepAlive: false, requestVersion: version))
        closeGracefully()
    }

    // MARK: Timeouts

    private func arm(_ kind: HTTPConnectionDeadline.Kind, seconds: Double) {
        if case .schedule(let ms) = deadline.arm(kind, seconds: seconds, now: connection.loop.now()) {
            timer?.cancel()
            schedule(afterMilliseconds: ms)
        }
    }

    private func schedule(afterMilliseconds ms: UInt64) {
        timer = connection.loop.schedule(after: Double(ms) / 1000) { [weak self] in self?.timerFired() }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        deadline.entryCancelled()
    }

    private func timerFired() {
        timer = nil
        let firing = deadline.fired(now: connection.loop.now())
        guard !closing, connection.isOpen else { return }
        if inFlight && held == nil {
            deadline.entryCancelled()  // a handler is running; finishing arms the idle timeout
            return
        }
        switch firing {
        case .reschedule(let ms):
            schedule(afterMilliseconds: ms)
        case .expired(.deferred):
            heldExpired()
        case .expired(.idle):
            connection.close()
        case .expired:
            if parser.bufferedByteCount == 0 && head == nil && parser.isAtRequestBoundary {
                connection.close()  // connected but never sent anything: nothing to answer
            } else {
                reject(HTTPParseError(408, "request not received in time"))
            }
        }
    }
}
