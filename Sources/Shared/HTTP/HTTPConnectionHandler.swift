/// One HTTP/1.1 connection: feeds the parser, runs handlers (inline or on the worker pool),
/// writes answers in request order, and enforces the header and idle timeouts.
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
        // An answer still being computed is written first; then the connection closes.
        if !inFlight { closeGracefully() }
    }

    func connectionClosed(_ connection: Connection) {
        closing = true
        cancelTimer()
        context.untrack(self, connection: connection)
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
        guard let h = head else { return }
        head = nil
        inFlight = false
        context.observer?.requestCompleted(request, response: response, route: request.routeTemplate,
                                           durationSeconds: Double(connection.loop.now() &- startedAt) / 1000,
                                           loop: connection.loop.index)
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
        if inFlight {
            deadline.entryCancelled()  // a handler is running; finishing arms the idle timeout
            return
        }
        switch firing {
        case .reschedule(let ms):
            schedule(afterMilliseconds: ms)
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
