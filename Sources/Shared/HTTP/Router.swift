/// The routes, frozen: matches a request to its handler (or to a 404/405/OPTIONS answer) with
/// the middleware already wrapped around it. Immutable, so every loop and worker shares one.
public final class Router: Sendable {
    /// A matched request: where to run it and the complete responder (middleware, error mapping,
    /// `X-Request-Id` included). The responder never throws.
    public struct Route: Sendable {
        public let kind: HandlerKind
        public let template: String?
        public let respond: @Sendable (HTTPRequest) -> HTTPResponse
    }

    struct Node: Sendable {
        var literals: [String: Int] = [:]
        var parameter: (name: String, node: Int)?
        var handlers: [HTTPMethod: Int] = [:]
        var template: String?
    }

    struct Compiled: Sendable {
        let kind: HandlerKind
        let method: HTTPMethod
        let template: String
        let respond: @Sendable (HTTPRequest) -> HTTPResponse
    }

    /// Every registered method and template, in registration order (for `/actuator/mappings`).
    public var routes: [(method: HTTPMethod, template: String)] { compiled.map { ($0.method, $0.template) } }

    private let nodes: [Node]
    private let compiled: [Compiled]
    private let notFound: @Sendable (HTTPRequest) -> HTTPResponse

    init(entries: [RouterBuilder.Entry], middleware: [HTTPMiddleware], errorMapper: @escaping HTTPErrorMapper) {
        var nodes = [Node()]
        var compiled: [Compiled] = []
        for entry in entries {
            var current = 0
            for segment in entry.segments {
                switch segment {
                case .literal(let text):
                    if let next = nodes[current].literals[text] {
                        current = next
                    } else {
                        nodes.append(Node())
                        nodes[current].literals[text] = nodes.count - 1
                        current = nodes.count - 1
                    }
                case .parameter(let name):
                    if let existing = nodes[current].parameter {
                        // Two templates naming the same position differently would make one name lie.
                        precondition(existing.name == name, "route \(entry.template): parameter {\(name)} conflicts with {\(existing.name)}")
                        current = existing.node
                    } else {
                        nodes.append(Node())
                        nodes[current].parameter = (name, nodes.count - 1)
                        current = nodes.count - 1
                    }
                }
            }
            nodes[current].template = nodes[current].template ?? entry.template
            nodes[current].handlers[entry.method] = compiled.count
            compiled.append(Compiled(kind: entry.kind, method: entry.method, template: entry.template,
                                     respond: Router.wrap(entry.handler, in: middleware, mapping: errorMapper)))
        }
        self.nodes = nodes
        self.compiled = compiled
        // Paths made of literal segments only, by their full text (e.g. `/actuator/health`).
        var literalPaths: [String: Int] = [:]
        func walk(_ node: Int, _ path: String) {
            // Keyed exactly as `route` splits paths: "/a/b" is segments a, b (and "" is none).
            if !nodes[node].handlers.isEmpty { literalPaths[path] = node }
            for (segment, next) in nodes[node].literals { walk(next, path + "/" + segment) }
        }
        walk(0, "")
        self.literalPaths = literalPaths
        self.notFound = Router.wrap({ _ in throw Problem.notFound(detail: "no such route") }, in: middleware,
                                    mapping: errorMapper)
        self.middleware = middleware
        self.errorMapper = errorMapper
    }

    /// Terminal nodes reached by literal segments only. The depth-first search below tries
    /// literals first, so such a node is always its first candidate: when it has a handler for
    /// the method, the search would pick it, and this lookup finds it without splitting the path.
    private let literalPaths: [String: Int]
    private let middleware: [HTTPMiddleware]
    private let errorMapper: HTTPErrorMapper

    /// Finds the route for `request`, filling its `pathParameters` and `routeTemplate`.
    public func route(_ request: inout HTTPRequest) -> Route {
        if let node = literalPaths[request.path] {
            let handlers = nodes[node].handlers
            if let index = handlers[request.method] ?? (request.method == .head ? handlers[.get] : nil) {
                request.pathParameters = [:]
                request.routeTemplate = compiled[index].template
                return Route(kind: compiled[index].kind, template: compiled[index].template, respond: compiled[index].respond)
            }
        }
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var parameters: [String: String] = [:]
        var candidates: [(node: Int, parameters: [String: String])] = []
        collect(node: 0, segments: segments[...], parameters: &parameters, into: &candidates)
        guard !candidates.isEmpty else {
            request.routeTemplate = nil
            return Route(kind: .inline, template: nil, respond: notFound)
        }
        let method = request.method
        for (node, params) in candidates {
            let handlers = nodes[node].handlers
            if let index = handlers[method] ?? (method == .head ? handlers[.get] : nil) {
                request.pathParameters = params
                request.routeTemplate = compiled[index].template
                return Route(kind: compiled[index].kind, template: compiled[index].template, respond: compiled[index].respond)
            }
        }
        // The path exists but not for this method: answer OPTIONS, or 405 with Allow.
        let first = candidates[0]
        var allowed = Set(candidates.flatMap { nodes[$0.node].handlers.keys })
        if allowed.contains(.get) { allowed.insert(.head) }
        allowed.insert(.options)
        let allow = allowed.map(\.rawValue).sorted().map(HTTPMethod.init(rawValue:))
        request.pathParameters = first.parameters
        request.routeTemplate = nodes[first.node].template
        let template = nodes[first.node].template
        if method == .options {
            let respond = Router.wrap({ _ in
                HTTPResponse(status: 204, headers: ["Allow": allow.map(\.rawValue).joined(separator: ", ")])
            }, in: middleware, mapping: errorMapper)
            return Route(kind: .inline, template: template, respond: respond)
        }
        return Route(kind: .inline, template: template,
                     respond: Router.wrap({ _ in throw Problem.methodNotAllowed(allow: allow) }, in: middleware, mapping: errorMapper))
    }

    /// Routes and runs `request` on the calling thread (tests, or a server that already chose a thread).
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        var request = request
        if request.requestId.isEmpty { request.requestId = RequestID.resolve(request.headers) }
        return route(&request).respond(request)
    }

    /// Terminal nodes matching `segments`, literal matches before parameters (so `/rooms/me`
    /// beats `/rooms/{roomId}`), backtracking when a literal branch dead-ends.
    private func collect(node: Int, segments: ArraySlice<Substring>, parameters: inout [String: String],
                         into candidates: inout [(node: Int, parameters: [String: String])]) {
        guard let segment = segments.first else {
            if !nodes[node].handlers.isEmpty { candidates.append((node, parameters)) }
            return
        }
        let rest = segments.dropFirst()
        if let next = nodes[node].literals[String(segment)] {
            collect(node: next, segments: rest, parameters: &parameters, into: &candidates)
        }
        if let (name, next) = nodes[node].parameter, !segment.isEmpty,
           let value = PercentDecoding.decode(segment) {
            let saved = parameters[name]
            parameters[name] = value
            collect(node: next, segments: rest, parameters: &parameters, into: &candidates)
            parameters[name] = saved
        }
    }

    /// Composes middleware around `handler`, mapping thrown errors to problem answers at every
    /// layer and stamping `X-Request-Id`.
    static func wrap(_ handler: @escaping HTTPHandler, in middleware: [HTTPMiddleware],
                     mapping mapper: @escaping HTTPErrorMapper) -> @Sendable (HTTPRequest) -> HTTPResponse {
        var current: HTTPHandler = { request in answer(request, handler, mapper) }
        for layer in middleware.reversed() {
            let next = current
            current = { request in answer(request, { try layer($0, next) }, mapper) }
        }
        let chain = current
        return { request in
            var response = answer(request, chain, mapper)
            response.headers.set("X-Request-Id", request.requestId)
            return response
        }
    }

    private static func answer(_ request: HTTPRequest, _ handler: HTTPHandler,
                               _ mapper: HTTPErrorMapper) -> HTTPResponse {
        do {
            return try handler(request)
        } catch {
            var problem = (error as? Problem) ?? mapper(error, request)
            if problem.instance == nil { problem.instance = request.path }
            return .problem(problem)
        }
    }
}
