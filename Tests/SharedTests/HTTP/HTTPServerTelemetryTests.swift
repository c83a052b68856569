import Foundation
import Synchronization
import Testing
@testable import Shared

@Suite(.serialized) struct HTTPServerTelemetryTests {
    @Test func countsRequestsByRouteTemplateAndLogsOneLineEach() throws {
        let lines = Mutex<[UInt8]>([])
        let sink = LogSink(target: .custom { bytes in lines.withLock { $0 += bytes } })
        let metrics = MetricsRegistry()
        let telemetry = HTTPServerTelemetry(logger: Logger(label: "http", level: .info, sink: sink), metrics: metrics)
        let s = try TestHTTPServer(observer: telemetry)
        let raw = try RawHTTPClient(port: s.port)
        raw.send("GET /items/1?token=secret HTTP/1.1\r\nHost: x\r\nX-Request-Id: r-1\r\n\r\nGET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /random/path HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(raw.readResponses(3).count == 3)
        let bad = try RawHTTPClient(port: s.port)
        bad.send("GET / HTTP/1.1\r\nHost: x\n\r\n")
        _ = bad.readToEnd()
        s.stop()
        sink.flush()
        let text = metrics.prometheusText()
        #expect(text.contains("http_requests_total{method=\"GET\",route=\"/items/{id}\",status=\"200\"} 2"))
        #expect(text.contains("http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"))
        #expect(text.contains("http_requests_rejected_total{status=\"400\"} 1"))
        #expect(text.contains("http_request_duration_seconds_count{method=\"GET\",route=\"/items/{id}\",status=\"200\"} 2"))
        #expect(text.contains("http_open_connections 0"))
        let log = String(decoding: lines.withLock { $0 }, as: UTF8.self).split(separator: "\n")
        let requests = log.filter { $0.contains("\"msg\":\"request\"") }
        #expect(requests.count == 3)
        #expect(requests.first?.contains("\"requestId\":\"r-1\"") == true)
        #expect(requests.first?.contains("\"path\":\"/items/1\"") == true)
        #expect(!log.contains { $0.contains("secret") }, "the query (and its tokens) must never be logged")
    }

    @Test func everyLoopCountsIntoTheSameSeriesAndLogsTheSameLine() throws {
        let lines = Mutex<[UInt8]>([])
        let sink = LogSink(target: .custom { bytes in lines.withLock { $0 += bytes } })
        let metrics = MetricsRegistry()
        let telemetry = HTTPServerTelemetry(logger: Logger(label: "http", level: .info, sink: sink), metrics: metrics)
        var request = HTTPRequest(method: .get, target: "/a/1?q=secret",
                                  peer: try SocketAddress.resolve(host: "10.0.0.1", port: 4000))
        request.requestId = "rid"
        let ok = HTTPResponse.jsonText("{}")
        // Loops 0 and 1 have their own caches, 500 is past them, nil is the lock-protected path.
        for loop in [0, 1, 0, 500, 1] {
            telemetry.requestCompleted(request, response: ok, route: "/a/{id}", durationSeconds: 0.002, loop: loop)
        }
        telemetry.requestCompleted(request, response: ok, route: "/a/{id}", durationSeconds: 0.002)
        telemetry.requestCompleted(request, response: HTTPResponse.jsonText("{}", status: 404), route: nil,
                                   durationSeconds: 0, loop: 0)
        sink.flush()
        let text = metrics.prometheusText()
        #expect(text.contains("http_requests_total{method=\"GET\",route=\"/a/{id}\",status=\"200\"} 6"), "\(text)")
        #expect(text.contains("http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"))
        let log = String(decoding: lines.withLock { $0 }, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(log.count == 7)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(log[0].utf8)) as? [String: Any])
        #expect(first["peer"] as? String == "10.0.0.1:4000")
        #expect(first["durationMs"] as? Double == 2)
        #expect(first["route"] as? String == "/a/{id}")
        #expect(first["path"] as? String == "/a/1")
        #expect(!log.contains { $0.contains("secret") })
        #expect(first["requestId"] as? String == "rid")
        let last = try #require(try JSONSerialization.jsonObject(with: Data(log[6].utf8)) as? [String: Any])
        #expect(last["route"] as? String == "unmatched")
        #expect(last["status"] as? Int == 404)
    }
}
