import Foundation
import TestSupport

/// ChatAPI's publishing, reused: the Lua script of Sources/ChatAPI/Events/PublishScript.swift,
/// read from the source so the tests publish with exactly the script ChatAPI runs (log entry,
/// PUBLISH with the entry id, the membership set and revoked-sid side effects, the marker).
enum RelayEvents {
    static let publishScript: String = {
        let path = Repository.path("Sources/ChatAPI/Events/PublishScript.swift")
        guard let source = try? String(contentsOfFile: path, encoding: .utf8) else {
            fatalError("cannot read \(path)")
        }
        do { return try extractSource(from: source) } catch { fatalError("\(path): \(error)") }
    }()

    struct ExtractError: Error, CustomStringConvertible { let description: String }

    /// The body of `static let source = """ ... """`, without the literal's indentation (the
    /// closing delimiter's, as Swift strips it).
    static func extractSource(from swift: String) throws -> String {
        let lines = swift.split(separator: "\n", omittingEmptySubsequences: false)
        guard let open = lines.firstIndex(where: { $0.contains("static let source = \"\"\"") }),
              let close = lines[(open + 1)...].firstIndex(where: {
                  $0.trimmingCharacters(in: .whitespaces) == "\"\"\""
              }) else {
            throw ExtractError(description: "no `static let source = \"\"\"` literal")
        }
        let indent = lines[close].prefix { $0 == " " }.count
        let body = lines[(open + 1)..<close].map { line in String(line.dropFirst(min(indent, line.prefix { $0 == " " }.count))) }
        let script = body.joined(separator: "\n")
        guard script.contains("XADD"), script.contains("PUBLISH") else {
            throw ExtractError(description: "the literal is not the publish script")
        }
        return script
    }
}
