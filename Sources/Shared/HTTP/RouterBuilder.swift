/// A request handler; a thrown `Problem` becomes its problem+json answer, any other error a 500.
public typealias HTTPHandler = @Sendable (HTTPRequest) throws -> HTTPResponse

/// Wraps a handler: call `next` to continue, or answer (or throw) without it.
public typealias HTTPMiddleware = @Sendable (HTTPRequest, _ next: HTTPHandler) throws -> HTTPResponse

/// Where a handler runs.
public enum HandlerKind: Sendable, Equatable {
    /// Fast and non-blocking: runs on the connection's event loop.
    case inline
    /// May block (database, password hashing): runs on the `WorkerPool`.
    case blocking
}

/// Collects routes and middleware at start-up; `build()` freezes them into a `Router`.
public final class RouterBuilder {
    struct Entry {
        var method: HTTPMethod
        var template: String
        var segments: [TemplateSegment]
        var kind: HandlerKind
        var handler: HTTPHandler
    }

    enum TemplateSegment: Equatable {
        case literal(String)
        case parameter(String)
    }

    private(set) var entries: [Entry] = []
    private(set) var middleware: [HTTPMiddleware] = []

    public init() {}

    /// Adds a route. Templates are `/`-separated; a whole segment `{name}` captures a parameter.
    /// A malformed template or a duplicate method+template is a programming error and stops start-up.
    public func add(_ method: HTTPMethod, _ template: String, kind: HandlerKind = .blocking,
                    _ handler: @escaping HTTPHandler) {
        let segments: [TemplateSegment]
        do {
            segments = try Self.parse(template)
        } catch {
            preconditionFailure("route template \(template): \(error)")
        }
        precondition(!entries.contains { $0.method == method && $0.segments == segments },
                     "route \(method) \(template) is registered twice")
        entries.append(Entry(method: method, template: template, segments: segments, kind: kind, handler: handler))
    }

    public func get(_ template: String, kind: HandlerKind = .blocking, _ handler: @escaping HTTPHandler) {
        add(.get, template, kind: kind, handler)
    }
    public func post(_ template: String, kind: HandlerKind = .blocking, _ handler: @escaping HTTPHandler) {
        add(.post, template, kind: kind, handler)
    }
    public func put(_ template: String, kind: HandlerKind = .blocking, _ handler: @escaping HTTPHandler) {
        add(.put, template, kind: kind, handler)
    }
    public func patch(_ template: String, kind: HandlerKind = .blocking, _ handler: @escaping HTTPHandler) {
        add(.patch, template, kind: kind, handler)
    }
    public func delete(_ template: String, kind: HandlerKind = .blocking, _ handler: @escaping HTTPHandler) {
        add(.delete, template, kind: kind, handler)
    }

    /// Adds middleware around every route, including the 404/405 answers; the first added is outermost.
    public func use(_ middleware: @escaping HTTPMiddleware) { self.middleware.append(middleware) }

    public func build() -> Router { Router(entries: entries, middleware: middleware) }

    struct TemplateError: Error, CustomStringConvertible { var description: String }

    static func parse(_ template: String) throws -> [TemplateSegment] {
        guard template.hasPrefix("/") else { throw TemplateError(description: "must start with /") }
        var names = Set<String>()
        return try template.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                let name = String(part.dropFirst().dropLast())
                guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw TemplateError(description: "parameter name \(name) must be letters, digits or _")
                }
                guard names.insert(name).inserted else { throw TemplateError(description: "parameter \(name) repeats") }
                return .parameter(name)
            }
            guard !part.contains("{") && !part.contains("}") else {
                throw TemplateError(description: "a parameter must be a whole segment: \(part)")
            }
            return .literal(String(part))
        }
    }
}
