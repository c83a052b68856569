import Shared

/// Maps the errors of the layers below HTTP to problem answers, in one place.
///
/// A database that cannot take a write (down, or read-only during a failover) is 503 with
/// `Retry-After`: the transaction rolled back, so the client can simply retry.
enum ErrorMapping {
    static let middleware: HTTPMiddleware = { request, next in
        do {
            return try next(request)
        } catch let problem as Problem {
            throw problem
        } catch let error as DatabaseError {
            switch error {
            case .unavailable, .readOnly:
                throw Problem.serviceUnavailable(retryAfter: 2, detail: "The database is unavailable; nothing was changed.")
            case .duplicate:
                throw Problem.conflict(detail: "That already exists.")
            default:
                throw error
            }
        } catch let error as PasswordHashingPoolError {
            switch error {
            case .busy: throw Problem.serviceUnavailable(retryAfter: 1, detail: "Too many sign-ins at once; try again.")
            default: throw error
            }
        } catch let error as RedisError {
            _ = error
            throw Problem.serviceUnavailable(retryAfter: 1, detail: "A dependency is unavailable; try again.")
        }
    }
}
