import Shared

/// The relay's one Pub/Sub socket to Redis, on the subscriber driver's loop: non-blocking
/// connect, commands written with `RedisCommandEncoder`, replies read with hiredis's
/// `redisReader` (`RedisReplyParser`). Loop-confined.
final class RedisPubSubTransport: SubscriberTransport, ConnectionHandler {
    let url: RedisURL
    let loop: EventLoop
    private weak var driver: SubscriberDriver?
    private var connection: Connection?
    private var link: UInt64 = 0
    private var parser = RedisReplyParser()
    /// Replies to AUTH / SELECT sent before the driver's commands, swallowed here.
    private var setupReplies = 0

    init(url: RedisURL, loop: EventLoop) {
        self.url = url
        self.loop = loop
    }

    func open(link: UInt64, driver: SubscriberDriver) {
        self.driver = driver
        self.link = link
        parser = RedisReplyParser()
        setupReplies = 0
        do {
            connection = try Connection.connect(host: url.host, port: url.port, on: loop, handler: self)
        } catch {
            connection = nil
            // Reported from the next turn, like a failed non-blocking connect.
            loop.execute { [weak driver] in driver?.socketClosed(link: link) }
        }
    }

    func send(_ command: [String]) {
        connection?.write(RedisCommandEncoder.encode(command))
    }

    func close() {
        let old = connection
        connection = nil
        old?.close()
    }

    // MARK: ConnectionHandler

    func connectionOpened(_ connection: Connection) {
        guard connection === self.connection else { return }
        if let password = url.password {
            connection.write(RedisCommandEncoder.encode(["AUTH", password]))
            setupReplies += 1
        }
        if url.database != 0 {
            connection.write(RedisCommandEncoder.encode(["SELECT", String(url.database)]))
            setupReplies += 1
        }
        driver?.socketOpened(link: link)
    }

    func connection(_ connection: Connection, received bytes: UnsafeRawBufferPointer) {
        guard connection === self.connection else { return }
        let replies: [RedisReply]
        do {
            replies = try parser.feed(bytes)
        } catch {
            driver?.received(.unexpected("unreadable reply: \(error)"))
            return
        }
        for reply in replies {
            if setupReplies > 0 {
                setupReplies -= 1
                if case .error(let text) = reply { driver?.received(.error("setup failed: \(text)")) }
                continue
            }
            driver?.received(RedisReplies.subscriberReply(reply))
            if self.connection !== connection { return }  // the driver closed it
        }
    }

    func connectionClosed(_ connection: Connection) {
        guard connection === self.connection else { return }
        self.connection = nil
        driver?.socketClosed(link: link)
    }
}
