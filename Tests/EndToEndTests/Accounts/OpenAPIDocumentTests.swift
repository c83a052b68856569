import Foundation
import Testing

/// `/openapi.json` stays true: every served route is documented, every documented one served.
@Suite struct OpenAPIDocumentTests {
    @Test func documentAndServedRoutesAreTheSame() async throws {
        let client = try await APIStack.shared().client
        let document = try await client.send("GET", "/openapi.json")
        #expect(document.status == 200)
        #expect(document.json["openapi"] as? String == "3.1.0")
        let paths = try #require(document.json["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, operations) in paths {
            for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
        }
        let mappings = try await client.send("GET", "/actuator/mappings")
        let items = try #require(mappings.json["items"] as? [[String: String]])
        let served = Set(items.map { "\($0["method"]!) \($0["path"]!)" })
        #expect(served.subtracting(documented).isEmpty, "served, not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented, not served: \(documented.subtracting(served).sorted())")

        // And the real path answers each one with its own route, not 404/405 (ids made up).
        for entry in documented.sorted() {
            let parts = entry.split(separator: " ", maxSplits: 1)
            let path = String(parts[1]).replacingOccurrences(of: #"\{[^}]+\}"#, with: "1", options: .regularExpression)
            let response = try await client.send(String(parts[0]), path)
            #expect(response.status != 405, "\(entry)")
            if response.status == 404 { #expect(response.json["detail"] as? String != "no such route", "\(entry)") }
        }
    }

    @Test func everyOperationDescribesItsErrorsAsProblemDetails() async throws {
        let client = try await APIStack.shared().client
        let document = try await client.send("GET", "/openapi.json")
        let paths = try #require(document.json["paths"] as? [String: [String: [String: Any]]])
        for (path, operations) in paths where path.hasPrefix("/api/") {
            for (method, operation) in operations {
                let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path)")
                #expect(responses["400"] != nil, "\(method) \(path)")
            }
        }
    }
}
