/// One versioned schema step: statements run in order, each its own prepared statement.
///
/// MariaDB commits DDL implicitly, so a step is not atomic: keep one concern per step and
/// make each statement safe to run again by hand (the operator's fix after a failure).
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        precondition(version > 0, "migration versions start at 1")
        self.version = version
        self.name = name
        self.statements = statements
    }

    /// Every migration of the application, in order. Append; never edit a released one.
    public static let all: [Migration] = [
        Migration0001InitialSchema.migration,
    ]
}
