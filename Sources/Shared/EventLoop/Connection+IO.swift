import CLinux
import Glibc

extension Connection {
    /// Reads per readiness event at most this many buffers, so one busy peer cannot starve the loop.
    static let maxReadsPerEvent = 4

    /// An epoll event for this connection.
    func handleEvents(_ events: UInt32) {
        switch state {
        case .connecting:
            finishConnect()
        case .lingering:
            drainWhileLingering()
        case .open:
            if events & Epoll.writable != 0 && waitingForWritable {
                flushQueued()
                guard state == .open else { return }
            }
            if events & (Epoll.readable | Epoll.hangUp | Epoll.error) != 0 {
                if readingPaused || inputClosed {
                    // HUP/ERR are reported even when not asked for; level-triggered, they would
                    // repeat forever. A peer that fully hung up cannot take our writes either.
                    if events & (Epoll.hangUp | Epoll.error) != 0 { finishClose(errno: socketError()) }
                    return
                }
                readReady()
            }
        case .closed:
            return
        }
    }

    private func readReady() {
        let buffer = loop.readBuffer
        for _ in 0..<Connection.maxReadsPerEvent {
            guard state == .open, !readingPaused, !inputClosed else { return }
            let n: Int?
            do {
                n = try Sys.io("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            } catch {
                finishClose(errno: error.errno)
                return
            }
            guard let n else { return }          // would block
            if n == 0 {
                inputClosed = true
                updateInterest()
                handler.connectionInputClosed(self)
                return
            }
            handler.connection(self, received: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            if n < buffer.count { return }       // the socket is drained
        }
    }

    private func drainWhileLingering() {
        let buffer = loop.readBuffer
        for _ in 0..<Connection.maxReadsPerEvent {
            let n: Int?
            do {
                n = try Sys.io("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            } catch {
                finishClose()
                return
            }
            guard let n else { return }
            if n == 0 {
                finishClose()
                return
            }
        }
    }

    /// Writes what is queued with `writev` (64 buffers per call) until done or the socket is full.
    func flushQueued() {
        inFlushList = false
        guard state == .open else { return }
        while queueHead < queue.count {
            let batch = min(queue.count - queueHead, EventLoop.maxIOVecs)
            let requested: Int
            let written: Int?
            do {
                (requested, written) = try writeBatch(count: batch)
            } catch {
                finishClose(errno: error.errno)
                return
            }
            let n = written ?? 0
            if n > 0 { consume(n) }
            if n < requested {
                // The kernel buffer is full: wait for EPOLLOUT, which is polled only now.
                if !waitingForWritable {
                    waitingForWritable = true
                    updateInterest()
                }
                return
            }
        }
        // Drained.
        queue.removeAll(keepingCapacity: queue.capacity <= 8)
        queueHead = 0
        headOffset = 0
        if waitingForWritable {
            waitingForWritable = false
            updateInterest()
        }
        if closeRequested {
            shutDownAndLinger()
            return
        }
        if notifiesWritable { handler.connectionWritable(self) }
    }

    /// Fills the loop's iovec array from the queue and calls `writev` once.
    private func writeBatch(count: Int) throws(SystemError) -> (requested: Int, written: Int?) {
        var requested = 0
        var failure: SystemError?
        // Nesting `withUnsafeBytes` keeps every buffer's address valid during the call,
        // without copying; the depth is at most `maxIOVecs`.
        func fill(_ k: Int) -> Int? {
            if k == count {
                do {
                    return try Sys.io("writev") { Glibc.writev(fd, loop.iovecs, Int32(count)) }
                } catch {
                    failure = error
                    return nil
                }
            }
            return queue[queueHead + k].withUnsafeBytes { raw in
                let skip = k == 0 ? headOffset : 0
                loop.iovecs[k] = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + skip),
                                       iov_len: raw.count - skip)
                requested += raw.count - skip
                return fill(k + 1)
            }
        }
        let written = fill(0)
        if let failure { throw failure }
        return (requested, written)
    }

    /// Drops `n` written bytes from the front of the queue, releasing finished buffers at once.
    private func consume(_ n: Int) {
        queuedBytes -= n
        var remaining = n
        while remaining > 0 {
            let available = queue[queueHead].count - headOffset
            if remaining >= available {
                remaining -= available
                queue[queueHead] = []
                queueHead += 1
                headOffset = 0
            } else {
                headOffset += remaining
                remaining = 0
            }
        }
        if queueHead >= 64 && queueHead * 2 >= queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
    }

    func socketError() -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
        return code
    }
}
