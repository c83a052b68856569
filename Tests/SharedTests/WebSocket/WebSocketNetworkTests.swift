import Foundation
import Testing
@testable import Shared

/// Against a real server on the event loop: the `websockets` Python client, then raw bytes
/// for violations no real client sends.
@Suite(.serialized) struct WebSocketNetworkTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    /// Python with `websockets`: $WSAUTH_PYTHON, /tmp/wsauth-venv, or the repository's .venv.
    static func python() -> String? {
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates: [String?] = [ProcessInfo.processInfo.environment["WSAUTH_PYTHON"], "/tmp/wsauth-venv/bin/python",
                          root.appendingPathComponent(".venv/bin/python").path, "/work/main/.venv/bin/python"]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) && hasWebsockets($0) }
    }

    static func hasWebsockets(_ python: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import websockets.sync.client"]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test func pythonWebsocketsClientTalksToTheServer() throws {
        guard let python = Self.python() else {
            Issue.record("needs Python with `websockets`: python3 -m venv /tmp/wsauth-venv && /tmp/wsauth-venv/bin/pip install websockets (or set WSAUTH_PYTHON)")
            return
        }
        let server = try WebSocketEchoServer()
        defer { server.stop() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("wsauth-client-\(getpid()).py")
        try websocketsClientScript.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        process.arguments = [script.path, "ws://127.0.0.1:\(server.port)/ws"]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(errorText)")
        let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(errorText)")
        #expect(result["echo"] as? String == "hello")
        #expect(result["unicode"] as? String == "κόσμε 𝄞")
        #expect(result["big"] as? Int == 60000)
        #expect(result["binary"] as? [Int] == [0, 1, 255])
        #expect(result["fragmented"] as? String == "fragmented text")
        #expect(result["pong"] != nil)
        #expect(result["serverClose"] as? [AnyHashable] == [4001, "bye"])
        #expect(result["tooBig"] as? Int == 1009)
        #expect(result["clientClose"] as? [AnyHashable] == [1000, ""])  // the code is echoed, not the reason
    }

    @Test func handshakeAnswersWithTheAcceptKey() throws {
        let server = try WebSocketEchoServer()
        defer { server.stop() }
        let client = try RawWebSocketClient(port: server.port)
        let head = client.handshake()
        #expect(head.hasPrefix("HTTP/1.1 101"))
        #expect(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
        client.send(clientFrame(.ping, Array("are you there".utf8)))
        #expect(client.nextEvent() == .pong)
    }

    @Test func wrongVersionIsRefusedWith426() throws {
        let server = try WebSocketEchoServer()
        defer { server.stop() }
        let client = try RawWebSocketClient(port: server.port)
        let head = client.handshake(version: "8")
        #expect(head.hasPrefix("HTTP/1.1 426"))
        #expect(head.contains("Sec-WebSocket-Version: 13"))
    }

    @Test(arguments: [
        ("unmasked frame", [0x81, 0x02, 0x68, 0x69], 1002),
        ("reserved bits", rawClientFrame(firstByte: 0xC1, [0x41]), 1002),
        ("reserved opcode", rawClientFrame(firstByte: 0x83, []), 1002),
        ("continuation first", clientFrame(.continuation, [0x41]), 1002),
        ("long ping", [0x89, 0xFE, 0x00, 0x7E, 0, 0, 0, 0] + [UInt8](repeating: 0x61, count: 126), 1002),
        ("bad close code", clientFrame(.close, [0x03, 0xED]), 1002),
        ("bad UTF-8", clientFrame(.text, [0x41, 0xED, 0xA0, 0x80]), 1007),
        ("bad UTF-8 across fragments", clientFrame(.text, [0xE2, 0x82], fin: false) + clientFrame(.continuation, [0x41]), 1007),
        ("too big", [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0], 1009),
    ] as [(String, [UInt8], UInt16)])
    func protocolViolationsGetTheirCloseCodeAndTheServerKeepsServing(name: String, bytes: [UInt8], code: UInt16) throws {
        let server = try WebSocketEchoServer()
        defer { server.stop() }
        let bad = try RawWebSocketClient(port: server.port)
        #expect(bad.handshake().hasPrefix("HTTP/1.1 101"))
        bad.send(bytes)
        guard case .close(let received, _)? = bad.nextEvent() else { Issue.record("\(name): no close frame"); return }
        #expect(received == code, "\(name)")
        #expect(bad.readsEOF(), "\(name): TCP not closed")

        let good = try RawWebSocketClient(port: server.port)
        #expect(good.handshake().hasPrefix("HTTP/1.1 101"))
        good.send(clientFrame(.text, Array("still here".utf8)))
        #expect(good.nextEvent() == .text("still here"))
    }

    @Test func framesInTheHandshakePacketAreDecodedAndCloseIsEchoed() throws {
        let server = try WebSocketEchoServer()
        defer { server.stop() }
        let client = try RawWebSocketClient(port: server.port)
        // The frames travel in the same write as the request: they reach the server as
        // bytes left over after the headers.
        let extra = clientFrame(.text, Array("early".utf8)) + clientFrame(.close, [0x03, 0xE8] + Array("ok".utf8))
        #expect(client.handshake(extra: extra).hasPrefix("HTTP/1.1 101"))
        #expect(client.nextEvent() == .text("early"))
        #expect(client.nextEvent() == .close(code: 1000, reason: ""))
        #expect(client.readsEOF())
    }

    @Test func silentPeerIsPingedThenDropped() throws {
        var configuration = WebSocketConnection.Configuration()
        configuration.pingInterval = 0.2
        configuration.idleTimeout = 0.5
        let server = try WebSocketEchoServer(configuration: configuration)
        defer { server.stop() }
        let client = try RawWebSocketClient(port: server.port)
        _ = client.handshake()
        let started = Date()
        #expect(client.nextEvent() == .ping([]))
        #expect(client.readsEOF())
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.2 && elapsed < 3, "dropped after \(elapsed) s")
    }

    @Test func heartbeatPingsQuietPeersAndDropsSilentOnesOnTime() {
        let configuration = WebSocketConnection.Configuration()
        #expect(WebSocketConnection.heartbeatAction(silentFor: 10, configuration: configuration) == (.wait, 15))
        #expect(WebSocketConnection.heartbeatAction(silentFor: 25, configuration: configuration) == (.ping, 25))
        #expect(WebSocketConnection.heartbeatAction(silentFor: 50, configuration: configuration) == (.ping, 10))
        #expect(WebSocketConnection.heartbeatAction(silentFor: 60, configuration: configuration).action == .drop)
    }
}
