import CLinux
import Glibc

/// epoll event bits (values fixed by the kernel ABI).
enum Epoll {
    static let readable = UInt32(EPOLLIN.rawValue)
    static let writable = UInt32(EPOLLOUT.rawValue)
    static let error = UInt32(EPOLLERR.rawValue)
    static let hangUp = UInt32(EPOLLHUP.rawValue)
    static let readHangUp = UInt32(EPOLLRDHUP.rawValue)
}

/// What an fd in the registry belongs to.
enum Registrant {
    case connection(Connection)
    case listener(Listener)
}

/// The registry is indexed by fd; the generation tags the epoll registration so an event
/// reported for an fd that was closed (and maybe reused) earlier in the same batch is dropped.
struct RegistryEntry {
    var registrant: Registrant?
    var generation: UInt32 = 0
}

extension EventLoop {
    /// Adds `fd` to epoll (level-triggered) and returns its generation. Loop thread only.
    func register(fd: Int32, _ registrant: Registrant, events: UInt32) throws(SystemError) -> UInt32 {
        assert(inEventLoop)
        let generation = takeGeneration()
        let slot = Int(fd)
        if slot >= registry.count {
            registry.append(contentsOf: repeatElement(RegistryEntry(), count: max(slot + 1 - registry.count, registry.count / 2)))
        }
        _ = try Sys.call("epoll_ctl(ADD)") { clinux_epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, events, Self.tag(fd, generation)) }
        registry[slot] = RegistryEntry(registrant: registrant, generation: generation)
        return generation
    }

    /// Changes the events `fd` is polled for.
    func modify(fd: Int32, generation: UInt32, events: UInt32) {
        assert(inEventLoop)
        // Fails only for an fd no longer registered, which callers guard against.
        _ = clinux_epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, events, Self.tag(fd, generation))
    }

    /// Forgets `fd` (the caller closes it, which also removes it from epoll).
    func unregister(fd: Int32, generation: UInt32) {
        let slot = Int(fd)
        guard slot < registry.count, registry[slot].generation == generation else { return }
        registry[slot] = RegistryEntry()
    }

    func dispatch(fd: Int32, generation: UInt32, events: UInt32) {
        let slot = Int(fd)
        guard slot >= 0, slot < registry.count, registry[slot].generation == generation,
              let registrant = registry[slot].registrant else {
            return  // stale: closed earlier in this batch, or fd reused by a newer registration
        }
        switch registrant {
        case .connection(let connection): connection.handleEvents(events)
        case .listener(let listener): listener.acceptReady()
        }
    }

    private func takeGeneration() -> UInt32 {
        // Generation 0 is reserved for the wake-up eventfd.
        if nextGenerationValue == 0 { nextGenerationValue = 1 }
        let g = nextGenerationValue
        nextGenerationValue &+= 1
        return g
    }

    private static func tag(_ fd: Int32, _ generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
    }
}
