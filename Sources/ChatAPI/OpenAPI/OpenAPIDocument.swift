import Foundation

/// The OpenAPI 3.1 document served at `/openapi.json`.
///
/// Written by hand, apart from the router, so the test that compares the two catches a route
/// added without its documentation (or documentation for a route that is not served).
enum OpenAPIDocument {
    static let json: String = {
        let data = try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }()

    private static var problemResponse: [String: Any] { [
        "description": "Problem details (RFC 9457)",
        "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]],
    ] }

    private static func body(_ schema: String) -> [String: Any] {
        ["required": true, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(schema)"]]]]
    }

    private static func ok(_ description: String, _ schema: String? = nil) -> [String: Any] {
        guard let schema else { return ["description": description] }
        return ["description": description,
                "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(schema)"]]]]
    }

    private static func operation(_ id: String, _ summary: String, auth: Bool = true, body schema: String? = nil,
                                  responses: [String: [String: Any]]) -> [String: Any] {
        var all = responses
        for status in ["400", "401", "404", "409", "413", "415", "429", "503"] where all[status] == nil {
            if !auth && status == "401" && id != "logIn" && id != "refreshTokens" { continue }
            all[status] = problemResponse
        }
        var op: [String: Any] = ["operationId": id, "summary": summary, "responses": all]
        if let schema { op["requestBody"] = body(schema) }
        op["security"] = auth ? [["bearer": [String]()]] : [[String: [String]]]()
        return op
    }

    private static var string: [String: Any] { ["type": "string"] }
    private static var id: [String: Any] { ["type": "integer", "minimum": 1, "maximum": 9_007_199_254_740_991] }
    private static var time: [String: Any] { ["type": "string", "format": "date-time"] }

    private static var schemas: [String: Any] { [
        "Problem": [
            "type": "object",
            "properties": [
                "type": string, "title": string, "status": ["type": "integer"], "detail": string, "instance": string,
                "errors": ["type": "array", "items": ["type": "object", "properties": ["field": string, "message": string],
                                                      "required": ["field", "message"]]],
            ],
            "required": ["type", "title", "status"],
        ],
        "User": [
            "type": "object",
            "properties": ["id": id, "username": string, "displayName": string, "createdAt": time],
            "required": ["id", "username", "displayName", "createdAt"],
        ],
        "SignUp": [
            "type": "object",
            "properties": [
                "username": ["type": "string", "minLength": 3, "maxLength": 32, "pattern": "^[a-z0-9_.]+$"],
                "password": ["type": "string", "minLength": 8, "maxLength": 128],
                "displayName": ["type": "string", "minLength": 1, "maxLength": 64],
            ],
            "required": ["username", "password", "displayName"],
        ],
        "DeleteAccount": [
            "type": "object", "properties": ["password": ["type": "string", "minLength": 1, "maxLength": 128]],
            "required": ["password"],
        ],
        "Credentials": [
            "type": "object",
            "properties": ["username": ["type": "string", "minLength": 1, "maxLength": 32],
                           "password": ["type": "string", "minLength": 1, "maxLength": 128]],
            "required": ["username", "password"],
        ],
        "RefreshToken": [
            "type": "object", "properties": ["refreshToken": ["type": "string", "minLength": 1, "maxLength": 256]],
            "required": ["refreshToken"],
        ],
        "Tokens": [
            "type": "object",
            "properties": ["accessToken": string, "refreshToken": string, "tokenType": ["const": "Bearer"],
                           "expiresIn": ["type": "integer"]],
            "required": ["accessToken", "refreshToken", "tokenType", "expiresIn"],
        ],
        "Health": [
            "type": "object",
            "properties": ["status": ["enum": ["UP", "DOWN"]], "components": ["type": "object"]],
            "required": ["status"],
        ],
    ] }

    /// Paths as the router writes them; `{name}` parameters are declared per path.
    static var paths: [String: [String: Any]] { [
        "/api/v1/users": [
            "post": operation("signUp", "Sign up", auth: false, body: "SignUp", responses: ["201": ok("The new user", "User")]),
        ],
        "/api/v1/users/me": [
            "get": operation("getMe", "The caller's user", responses: ["200": ok("The user", "User")]),
            "delete": operation("deleteMe", "Delete the caller's account (soft delete)", body: "DeleteAccount",
                                responses: ["204": ok("Deleted"), "403": problemResponse]),
        ],
        "/api/v1/tokens": [
            "post": operation("logIn", "Log in: issue an access and a refresh token", auth: false, body: "Credentials",
                              responses: ["200": ok("Tokens", "Tokens")]),
            "delete": operation("logOut", "Log out: revoke the refresh token's session", body: "RefreshToken",
                                responses: ["204": ok("Revoked")]),
        ],
        "/api/v1/tokens/refresh": [
            "post": operation("refreshTokens", "Rotate a refresh token", auth: false, body: "RefreshToken",
                              responses: ["200": ok("New tokens", "Tokens")]),
        ],
        "/openapi.json": [
            "get": operation("openAPI", "This document", auth: false, responses: ["200": ok("OpenAPI 3.1")]),
        ],
        "/actuator/health": [
            "get": operation("health", "Health with components", auth: false,
                             responses: ["200": ok("UP", "Health"), "503": ok("DOWN", "Health")]),
        ],
        "/actuator/health/liveness": [
            "get": operation("liveness", "Liveness", auth: false, responses: ["200": ok("UP", "Health")]),
        ],
        "/actuator/health/readiness": [
            "get": operation("readiness", "Readiness", auth: false,
                             responses: ["200": ok("UP", "Health"), "503": ok("DOWN", "Health")]),
        ],
        "/actuator/info": [
            "get": operation("info", "Build and runtime information", auth: false, responses: ["200": ok("Info")]),
        ],
        "/actuator/mappings": [
            "get": operation("mappings", "Every route this instance serves", auth: false, responses: ["200": ok("Routes")]),
        ],
        "/actuator/prometheus": [
            "get": operation("prometheus", "Metrics in the Prometheus text format", auth: false,
                             responses: ["200": ["description": "Metrics", "content": ["text/plain": ["schema": string]]]]),
        ],
    ] }

    private static var document: [String: Any] { [
        "openapi": "3.1.0",
        "info": ["title": "Chat API", "version": "1.0.0",
                 "description": "REST API of the chat server. Errors are RFC 9457 problem details."],
        "servers": [["url": "/"]],
        "paths": paths,
        "components": [
            "schemas": schemas,
            "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]],
        ],
    ] }
}
