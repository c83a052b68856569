import Foundation

/// The YAML subset docker/docker-compose.yml is written in, parsed without dependencies:
/// block mappings and block lists by indentation, `#` comments, plain / single / double
/// quoted scalars, flow lists of scalars (`["a", "b"]`) and `{}`. Anything else is an error,
/// so the compose file cannot quietly grow past what this test understands.
indirect enum YAMLValue: Equatable {
    case scalar(String)
    case list([YAMLValue])
    case map([(String, YAMLValue)])

    static func == (a: YAMLValue, b: YAMLValue) -> Bool {
        switch (a, b) {
        case let (.scalar(x), .scalar(y)): return x == y
        case let (.list(x), .list(y)): return x == y
        case let (.map(x), .map(y)): return x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
        default: return false
        }
    }

    subscript(key: String) -> YAMLValue? {
        if case .map(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }
    var string: String? { if case .scalar(let s) = self { return s }; return nil }
    var items: [YAMLValue] { if case .list(let l) = self { return l }; return [] }
    var keys: [String] { if case .map(let p) = self { return p.map(\.0) }; return [] }
}

struct YAMLSubsetError: Error, CustomStringConvertible {
    let description: String
}

struct YAMLSubsetParser {
    private struct Line { let number: Int; let indent: Int; let text: String }
    private var lines: [Line] = []
    private var position = 0

    static func parse(_ text: String) throws -> YAMLValue {
        var parser = YAMLSubsetParser()
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = stripComment(String(raw))
            guard !content.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            if content.contains("\t") { throw YAMLSubsetError(description: "line \(index + 1): tab") }
            let indent = content.prefix { $0 == " " }.count
            parser.lines.append(Line(number: index + 1, indent: indent,
                                     text: String(content.dropFirst(indent)).trimmingCharacters(in: .whitespaces)))
        }
        guard let first = parser.lines.first else { return .map([]) }
        let value = try parser.block(indent: first.indent)
        if parser.position < parser.lines.count {
            throw YAMLSubsetError(description: "line \(parser.lines[parser.position].number): unexpected indentation")
        }
        return value
    }

    private static func stripComment(_ line: String) -> String {
        var quote: Character? = nil
        var previous: Character = " "
        for (offset, c) in line.enumerated() {
            if let q = quote { if c == q { quote = nil } }
            else if c == "\"" || c == "'" { quote = c }
            else if c == "#" && previous == " " { return String(line.prefix(offset)) }
            previous = c
        }
        return line
    }

    private mutating func block(indent: Int) throws -> YAMLValue {
        let line = lines[position]
        return line.text.hasPrefix("- ") || line.text == "-" ? try list(indent: indent) : try map(indent: indent)
    }

    private mutating func map(indent: Int) throws -> YAMLValue {
        var pairs: [(String, YAMLValue)] = []
        while position < lines.count, lines[position].indent == indent {
            let line = lines[position]
            guard let colon = Self.keyColon(line.text) else {
                throw YAMLSubsetError(description: "line \(line.number): expected 'key: value'")
            }
            let key = try Self.scalar(String(line.text[..<colon]), line: line.number)
            let rest = String(line.text[line.text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            position += 1
            if pairs.contains(where: { $0.0 == key }) { throw YAMLSubsetError(description: "line \(line.number): duplicate key \(key)") }
            pairs.append((key, try value(rest, parentIndent: indent, line: line.number)))
        }
        return .map(pairs)
    }

    private mutating func list(indent: Int) throws -> YAMLValue {
        var items: [YAMLValue] = []
        while position < lines.count, lines[position].indent == indent, lines[position].text.hasPrefix("-") {
            let line = lines[position]
            let rest = String(line.text.dropFirst()).trimmingCharacters(in: .whitespaces)
            if Self.keyColon(rest) != nil && !rest.hasPrefix("\"") {
                // "- key: value" starts a mapping whose keys sit two columns in.
                lines[position] = Line(number: line.number, indent: indent + 2, text: rest)
                items.append(try map(indent: indent + 2))
            } else {
                position += 1
                items.append(try value(rest, parentIndent: indent, line: line.number))
            }
        }
        return .list(items)
    }

    private mutating func value(_ text: String, parentIndent: Int, line: Int) throws -> YAMLValue {
        if text.isEmpty {
            guard position < lines.count, lines[position].indent > parentIndent else { return .scalar("") }
            return try block(indent: lines[position].indent)
        }
        if text == "{}" { return .map([]) }
        if text == "[]" { return .list([]) }
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else { throw YAMLSubsetError(description: "line \(line): unclosed flow list") }
            return .list(try Self.flowItems(String(text.dropFirst().dropLast()), line: line).map { .scalar($0) })
        }
        if text.hasPrefix("{") || text.hasPrefix("&") || text.hasPrefix("*") || text.hasPrefix("|") || text.hasPrefix(">") {
            throw YAMLSubsetError(description: "line \(line): '\(text.prefix(1))' is outside the supported subset")
        }
        return .scalar(try Self.scalar(text, line: line))
    }

    /// The colon ending a key: outside quotes and followed by a space or the end.
    private static func keyColon(_ text: String) -> String.Index? {
        var quote: Character? = nil
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if let q = quote { if c == q { quote = nil } }
            else if c == "\"" || c == "'" { quote = c }
            else if c == ":" {
                let next = text.index(after: index)
                if next == text.endIndex || text[next] == " " { return index }
            }
            index = text.index(after: index)
        }
        return nil
    }

    private static func scalar(_ raw: String, line: Int) throws -> String {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("\"") || text.hasPrefix("'") {
            guard text.count >= 2, text.last == text.first else {
                throw YAMLSubsetError(description: "line \(line): unclosed quote")
            }
            return String(text.dropFirst().dropLast())
        }
        return text
    }

    private static func flowItems(_ inner: String, line: Int) throws -> [String] {
        var items: [String] = [], current = "", quote: Character? = nil
        for c in inner {
            if let q = quote { current.append(c); if c == q { quote = nil } }
            else if c == "\"" || c == "'" { quote = c; current.append(c) }
            else if c == "," { items.append(try scalar(current, line: line)); current = "" }
            else { current.append(c) }
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { items.append(try scalar(current, line: line)) }
        return items
    }
}
