import Shared

/// Maps the errors of the layers below HTTP to problem answers, in one place.
///
/// A database that cannot take a write (down, or read-only during a failover) is 503 with
/// `Retry-After`: the transaction rolled back, so the client can simply retry.
enum ErrorMapping {
    static func mapper(logger: Logger) -> HTTPErrorMapper {
        { error, request in
            switch error {
            case let error as DatabaseError:
                switch error {
                case .unavailable, .readOnly:
                    return .serviceUnavailable(retryAfter: 2, detail: "The database is unavailable; nothing was changed.")
                case .duplicate:
                    return .conflict(detail: "That already exists.")
                default:
                    break
                }
            case let error as PasswordHashingPoolError:
                if case .busy = error {
                    return .serviceUnavailable(retryAfter: 1, detail: "Too many sign-ins at once; try again.")
                }
            case is RedisError:
                return .serviceUnavailable(retryAfter: 1, detail: "A dependency is unavailable; try again.")
            default:
                break
            }
            logger.withRequestId(request.requestId).error("unexpected error", ["error": .string("\(error)"),
                                                                               "path": .string(request.path)])
            return .internalError()
        }
    }
}
