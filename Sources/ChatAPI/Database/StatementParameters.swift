import CMariaDB

/// The MYSQL_BIND array and buffers for one execution's parameters. Connector/C reads the
/// buffers during mysql_stmt_execute, so they live exactly as long as this object.
final class StatementParameters {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let count: Int
    private var allocations: [UnsafeMutableRawPointer] = []

    init(_ values: [SQLValue]) {
        count = values.count
        binds = .allocate(capacity: max(count, 1))
        binds.initialize(repeating: MYSQL_BIND(), count: max(count, 1))
        allocations.reserveCapacity(count * 2)
        for (i, value) in values.enumerated() {
            bind(value, into: &binds[i])
        }
    }

    deinit {
        for pointer in allocations { pointer.deallocate() }
        binds.deinitialize(count: max(count, 1))
        binds.deallocate()
    }

    private func store<T>(_ value: T) -> UnsafeMutableRawPointer {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.stride, alignment: MemoryLayout<T>.alignment)
        pointer.storeBytes(of: value, as: T.self)
        allocations.append(pointer)
        return pointer
    }

    private func storeBytes(_ bytes: some Collection<UInt8>, into bind: inout MYSQL_BIND) {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        allocations.append(pointer)
        _ = UnsafeMutableRawBufferPointer(start: pointer, count: bytes.count).initializeMemory(as: UInt8.self, from: bytes)
        bind.buffer = pointer
        bind.buffer_length = UInt(bytes.count)
        let length = store(UInt(bytes.count))
        bind.length = length.assumingMemoryBound(to: UInt.self)
    }

    private func bind(_ value: SQLValue, into bind: inout MYSQL_BIND) {
        switch value {
        case .int(let v):
            bind.buffer_type = MYSQL_TYPE_LONGLONG
            bind.buffer = store(v)
        case .bool(let v):
            bind.buffer_type = MYSQL_TYPE_TINY
            bind.buffer = store(Int8(v ? 1 : 0))
        case .double(let v):
            bind.buffer_type = MYSQL_TYPE_DOUBLE
            bind.buffer = store(v)
        case .date(let v):
            bind.buffer_type = MYSQL_TYPE_DATETIME
            bind.buffer = store(MySQLTime.make(v))
        case .string(let v):
            bind.buffer_type = MYSQL_TYPE_STRING
            storeBytes(v.utf8, into: &bind)
        case .bytes(let v):
            bind.buffer_type = MYSQL_TYPE_BLOB
            storeBytes(v, into: &bind)
        case .null:
            bind.buffer_type = MYSQL_TYPE_NULL
        }
    }
}
