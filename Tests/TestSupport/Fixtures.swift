import Foundation
import Synchronization

/// MariaDB (primary + replica) and Redis, started once per test process and shared by all
/// tests in it; torn down when the process exits. Tests that break servers on purpose
/// (kill the replica, restart Redis) start their own with `Fixtures.isolated()` instead.
public final class Stack: Sendable {
    public let directory: URL
    public let mariadb: MariaDBFixture
    public let redis: RedisFixture
    /// Seconds from nothing to ready.
    public let startSeconds: Double
    /// A JWT secret for services under test (32+ bytes).
    public let jwtSecret = "test-secret-test-secret-test-secret-0123456789"

    init(directory: URL, mariadb: MariaDBFixture, redis: RedisFixture, startSeconds: Double) {
        self.directory = directory
        self.mariadb = mariadb
        self.redis = redis
        self.startSeconds = startSeconds
    }

    /// The CHAT_* variables of CONTRACT.md "Running" pointing at this stack; add the port
    /// (CHAT_API_PORT / CHAT_RELAY_PORT) yourself.
    public var environment: [String: String] {
        [
            "CHAT_HOST": "127.0.0.1",
            "CHAT_DB_PRIMARY": mariadb.primaryURL,
            "CHAT_DB_REPLICAS": mariadb.replicaURL,
            "CHAT_DB_MIGRATE": mariadb.migrateURL,
            "CHAT_REDIS_URL": redis.url,
            "CHAT_JWT_SECRET": jwtSecret,
            "CHAT_LOG_LEVEL": "debug",
        ]
    }

    public func stop() {
        mariadb.stop()
        redis.stop()
    }
}

public enum Fixtures {
    // Started off the cooperative pool: start-up blocks on child processes for a second or two.
    private static let sharedStack: Task<Stack, any Error> = Task {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try isolated(label: "shared") })
            }
        }
    }

    /// The process-wide stack, started on first use (MariaDB and Redis in parallel).
    public static func shared() async throws -> Stack {
        try await sharedStack.value
    }

    /// A stack of its own, for tests that stop, kill or lag its servers. Call `stop()` after,
    /// or leave it to the process exit.
    public static func isolated(label: String = "stack") throws -> Stack {
        let started = Date()
        let directory = try FixtureDirectories.make(label)
        let redisResult = ResultBox<RedisFixture>()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            redisResult.set(Result { try RedisFixture.start(in: directory) })
        }
        let mariadb = try MariaDBFixture.start(in: directory)
        group.wait()
        let redis = try redisResult.get()
        let stack = Stack(directory: directory, mariadb: mariadb, redis: redis,
                          startSeconds: Date().timeIntervalSince(started))
        print("[TestSupport] stack \(label) ready in \(String(format: "%.2f", stack.startSeconds)) s at \(directory.path)")
        return stack
    }
}

/// A result handed from a background queue to the waiting thread.
final class ResultBox<Value: Sendable>: Sendable {
    private let value = Mutex<Result<Value, any Error>?>(nil)
    func set(_ result: Result<Value, any Error>) { value.withLock { $0 = result } }
    func get() throws -> Value {
        guard let result = value.withLock({ $0 }) else { throw FixtureError("background start-up never finished") }
        return try result.get()
    }
}
