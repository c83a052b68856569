/// The Pub/Sub socket as the subscriber driver sees it, so the driver runs over a real
/// Redis socket in production and over a model in tests. Used on the driver's loop only.
protocol SubscriberTransport: AnyObject {
    /// Opens a new socket; the transport reports back through the driver with `link`.
    func open(link: UInt64, driver: SubscriberDriver)
    /// Writes one command on the open socket.
    func send(_ command: [String])
    /// Closes the current socket, if any (no report follows for it).
    func close()
}
