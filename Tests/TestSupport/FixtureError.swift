import Foundation

/// Why a fixture could not do what a test asked; the message names the server and the log to read.
public struct FixtureError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
