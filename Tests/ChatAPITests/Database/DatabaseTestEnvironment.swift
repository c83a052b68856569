import Foundation
import Synchronization
import TestSupport
@testable import ChatAPI

/// A MariaDB primary + replica for the non-destructive database suites, started once per
/// test process; each test takes a fresh database on it so tests never see each other's rows.
enum DatabaseTestEnvironment {
    private static let servers: Task<MariaDBFixture, any Error> = Task { try startFixture() }

    /// Servers of their own, for suites that stop, kill or hold them back.
    static func startFixture() throws -> MariaDBFixture { try MariaDBFixture.start() }

    private static let counter = Atomic<Int>(0)

    static func fixture() async throws -> MariaDBFixture { try await servers.value }

    struct Schema {
        let primary: DatabaseConfiguration
        let replica: DatabaseConfiguration
        let migrate: DatabaseConfiguration
    }

    /// A new empty database with the fixture's grants; `migrated` applies Migration.all.
    static func freshDatabase(_ label: String, on fixture: MariaDBFixture? = nil, migrated: Bool = true) async throws -> Schema {
        let fixture = if let fixture { fixture } else { try await self.fixture() }
        let n = counter.add(1, ordering: .relaxed).newValue
        let name = "t_\(label)_\(n)_\(UInt32.random(in: 0...UInt32.max))"
        let urls = try fixture.createDatabase(name)
        let schema = Schema(primary: try DatabaseConfiguration(url: urls.primary),
                            replica: try DatabaseConfiguration(url: urls.replica),
                            migrate: try DatabaseConfiguration(url: urls.migrate))
        if migrated { try Migrator(configuration: schema.migrate).migrate() }
        return schema
    }
}
