import Foundation
import Shared

/// ChatAPI wired from its configuration: database, Redis, features, HTTP server.
final class ChatAPIApp: Sendable {
    let configuration: ServiceConfiguration
    let logger: Logger
    let metrics = MetricsRegistry()
    let database: Database
    let redis: RedisPool
    let publisher: OutboxPublisher
    let group: EventLoopGroup
    let workers: WorkerPool
    let passwords: PasswordHashingPool
    let server: HTTPServer

    /// - Parameter keys: from `jwtKeys(_:)`, checked before anything else starts.
    init(configuration: ServiceConfiguration, keys: JWTKeySet, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        guard let primaryURL = configuration.databasePrimary else {
            throw ConfigError.missing("CHAT_DB_PRIMARY", "is required")
        }
        redis = RedisPool(url: configuration.redisURL, size: 32)
        var options = Database.Options()
        options.maxReplicaLag = configuration.maxReplicaLag
        options.pool = DatabasePool.Options(maxConnections: 32)
        database = Database(primary: DatabaseConfiguration(primaryURL),
                            replicas: configuration.databaseReplicas.map(DatabaseConfiguration.init),
                            writePositions: RedisWritePositionStore(redis: redis), options: options)
        let primaryConfiguration = DatabaseConfiguration(primaryURL)
        publisher = OutboxPublisher(openConnection: { try DatabaseConnection(configuration: primaryConfiguration) },
                                    redis: redis, retention: EventLogRetention(), logger: logger, metrics: metrics)
        group = EventLoopGroup(count: configuration.eventLoops)
        // Handlers block on MariaDB: enough threads to keep both pools busy, a bounded queue behind them.
        workers = WorkerPool(threads: 32, queueLimit: 1024, name: "api-worker")
        passwords = PasswordHashingPool(hasher: PasswordHasher(), threads: 1, queueLimit: 64)

        let context = APIContext(
            database: database, redis: redis,
            authenticator: Authenticator(keys: keys, redis: redis, database: database, logger: logger),
            rateLimiter: RateLimiter(redis: redis, logger: logger), rateLimits: try RateLimits(),
            clientAddress: ClientAddressResolver(trustedProxies: configuration.trustedProxies),
            passwords: passwords, tokens: AccessTokenIssuer(keys: keys),
            revocation: SessionRevocation(redis: redis, logger: logger), publisher: publisher, logger: logger)
        let router = Self.router(context, metrics: metrics, database: database)
        var http = HTTPServerConfiguration()
        http.maxBodyBytes = configuration.httpMaxBody
        server = HTTPServer(configuration: http, router: router, group: group, workers: workers,
                            logger: logger, metrics: metrics)
    }

    static func router(_ context: APIContext, metrics: MetricsRegistry, database: Database) -> Router {
        let builder = RouterBuilder()
        builder.mapErrors(ErrorMapping.mapper(logger: context.logger))
        UserRoutes.register(on: builder, context)
        TokenRoutes.register(on: builder, context)
        let exporter = DatabaseMetricsExporter(database: database, metrics: metrics)
        HealthRoutes.register(on: builder, context, metrics: metrics, beforeScrape: exporter.update,
                              info: ["service": "ChatAPI", "version": ChatAPIVersion.current])
        HealthRoutes.registerMappings(on: builder)
        return builder.build()
    }

    /// The signing and verifying keys; a secret under 32 bytes is refused naming its variable.
    static func jwtKeys(_ configuration: ServiceConfiguration) throws -> JWTKeySet {
        do {
            if let secret = configuration.jwtSecret { return try JWTKeySet(secret: secret) }
            return try JWTKeySet(keys: configuration.jwtKeys.map { ($0.kid, $0.secret) })
        } catch {
            let name = configuration.jwtSecret != nil ? "CHAT_JWT_SECRET" : "CHAT_JWT_KEYS"
            throw ConfigError(variable: name, value: "<redacted>", reason: "\(error)")
        }
    }

    /// Listens, starts the loops and the publisher; returns once serving.
    func start() throws {
        group.start()
        try server.start(host: configuration.host, port: configuration.port)
        publisher.start()
        logger.info("ChatAPI listening", ["host": .string(configuration.host), "port": .int(Int64(server.port))])
    }

    /// Graceful drain: stop accepting, finish in-flight requests, then stop everything.
    func shutdown() {
        logger.info("ChatAPI draining")
        server.drain(deadline: .seconds(10))
        publisher.stop()
        group.stop()
        database.shutdown()
        logger.info("ChatAPI stopped")
    }
}

enum ChatAPIVersion {
    static let current = "1.0.0"
}

extension DatabaseConfiguration {
    init(_ url: DatabaseURL) {
        self.init(host: url.host, port: url.port, user: url.user, password: url.password, database: url.database)
    }
}
