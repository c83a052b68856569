import Foundation
import Testing
@testable import Shared

@Suite struct HTTPAccessLogLineTests {
    private func object(_ bytes: [UInt8]) throws -> [String: Any] {
        #expect(bytes.last == 0x0A && bytes.filter { $0 == 0x0A }.count == 1, "one line, newline-terminated")
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes.dropLast())) as? [String: Any])
    }

    /// What the general logger writes for the same request: the fast line must match it.
    private func generalLine(logger: Logger, requestId: String, fields: [String: LogValue]) -> [UInt8] {
        LogLineEncoder.encode(level: .info, message: "request", label: logger.label, requestId: requestId,
                              metadata: logger.metadata, fields: fields)
    }

    @Test func writesTheSameObjectAsTheGeneralLoggerIncludingEscapesAndMetadata() throws {
        let logger = Logger(label: "chat.\"api\"", level: .info, sink: LogSink(target: .custom { _ in }))
            .with(["instance": "a1", "status": "overridden", "msg": "clash", "loop": 3])
        let peer = try SocketAddress.resolve(host: "192.168.10.254", port: 65001)
        let path = "/rooms/\"x\"\\y\n\u{01}é😀"
        var clock = LogClock()
        for (duration, bytes) in [(0.0, 0), (12.5, 17), (1234.0, 1 << 40), (0.001, 3)] {
            var out: [UInt8] = []
            HTTPAccessLogLine(logger: logger).append(
                to: &out, clock: &clock, requestId: "r-1\"", method: .post, path: path, route: "/rooms/{id}",
                status: 201, durationMs: duration, bytes: bytes, peer: peer)
            let fast = try object(out)
            let general = try object(generalLine(logger: logger, requestId: "r-1\"", fields: [
                "method": "POST", "path": .string(path), "route": "/rooms/{id}", "status": 201,
                "durationMs": .double(duration), "bytes": .int(bytes), "peer": "192.168.10.254:65001",
            ]))
            #expect(Set(fast.keys) == Set(general.keys))
            for key in general.keys where key != "time" {
                #expect("\(fast[key]!)" == "\(general[key]!)", "\(key)")
            }
            #expect(fast["path"] as? String == path)
            #expect(fast["status"] as? Int == 201)
            #expect(fast["field.msg"] as? String == "clash")
            #expect(fast["instance"] as? String == "a1")
            let time = try #require(fast["time"] as? String)
            #expect(time.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(time)")
            #expect(!String(decoding: out, as: UTF8.self).contains("\u{01}"))
        }
    }

    @Test func peersPrintAsTheirDescription() throws {
        for (host, port) in [("127.0.0.1", 1), ("0.0.0.0", 0), ("255.255.255.255", 65535), ("::1", 8080),
                             ("2001:db8::42", 443)] {
            let address = try SocketAddress.resolve(host: host, port: port)
            var out: [UInt8] = []
            address.appendDescription(to: &out)
            #expect(String(decoding: out, as: UTF8.self) == address.description)
        }
    }

    @Test func numbersAreWrittenAsSwiftPrintsThem() {
        for value: Int64 in [0, 7, -7, 10, 99, 100, 65535, Int64.max, Int64.min, -1_000_000] {
            var out: [UInt8] = []
            JSONWriter.appendInt(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
        for value in [0.0, -0.0, 1.0, -3.0, 0.5, 0.001, 12.345, 1e14, 999_999_999_999_999.0, 1e15, 1e16, -2e20,
                      123_456.0, Double.ulpOfOne, 4.0e-7] {
            var out: [UInt8] = []
            JSONWriter.appendDouble(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value), "\(value)")
        }
        var out: [UInt8] = []
        JSONWriter.appendDouble(.nan, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "\"nan\"")
    }
}
