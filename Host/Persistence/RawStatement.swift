import Foundation
import GRDB
import GRDBSQLite
import HostCore

/// Binds and steps a GRDB-prepared statement through the SQLite C API.
///
/// The writer inserts hundreds of thousands of rows per second; GRDB's `StatementArguments`
/// box every value in an existential and copy the array per row, which cost more than
/// SQLite itself (measured with perf). Statements still come from `db.cachedStatement` and
/// run inside GRDB's transaction; only argument binding and stepping bypass it.
///
/// - Important: Use on the writer's connection, inside `pool.write`, one row at a time:
///   bind every parameter from 1, then `step()`.
struct RawStatement {
    private let handle: OpaquePointer
    private let statement: Statement
    private var index: Int32 = 1
    private let arena: TextArena?
    /// The first bind that SQLite refused (result code, parameter index): `step()` throws it
    /// instead of running the row with a parameter left NULL.
    private var bindFailure: (code: Int32, index: Int32)?

    /// Notes a bind's result code and moves to the next parameter.
    @inline(__always)
    private mutating func bound(_ code: Int32) {
        if code != SQLITE_OK && bindFailure == nil { bindFailure = (code, index) }
        index += 1
    }

    /// A NUL byte: binding a nil pointer would store NULL instead of the empty string.
    nonisolated(unsafe) private static let emptyText: UnsafePointer<CChar> = {
        let byte = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        byte.pointee = 0
        return UnsafePointer(byte)
    }()

    /// SQLite copies text before `bind` returns.
    private static let transient = unsafeBitCast(Int(-1), to: sqlite3_destructor_type.self)

    /// - Parameter arena: where text is copied for binding without SQLite's own copy (one
    ///   allocation per text value otherwise); reused row after row.
    init(_ statement: Statement, arena: TextArena? = nil) {
        self.statement = statement
        self.handle = statement.sqliteStatement
        self.arena = arena
    }

    /// Binds UTF-8 bytes: copied into the arena (bound SQLITE_STATIC) when there is room, else
    /// copied by SQLite.
    private mutating func bindText(_ bytes: UnsafeBufferPointer<UInt8>) {
        if let arena, let copy = arena.copy(bytes) {
            bound(sqlite3_bind_text(handle, index, copy, Int32(bytes.count), nil))
        } else {
            let i = index
            let code = bytes.withMemoryRebound(to: CChar.self) { chars in
                sqlite3_bind_text(handle, i, chars.baseAddress ?? Self.emptyText, Int32(chars.count), Self.transient)
            }
            bound(code)
        }
    }

    mutating func bind(_ value: Int64) {
        bound(sqlite3_bind_int64(handle, index, value))
    }

    mutating func bind(_ value: Int64?) {
        if let value { bind(value) } else { bindNull() }
    }

    mutating func bind(_ value: Bool) { bind(Int64(value ? 1 : 0)) }

    mutating func bind(_ value: Double) {
        bound(sqlite3_bind_double(handle, index, value))
    }

    mutating func bindNull() {
        bound(sqlite3_bind_null(handle, index))
    }

    mutating func bind(_ value: String) {
        var text = value
        text.withUTF8 { bindText($0) }
    }

    /// Binds book levels as a `BookLevelsBlob`, encoded straight into the arena.
    mutating func bindLevels(_ levels: [(price: Fixed8, size: Fixed8)]) {
        if let arena, let blob = arena.writeLevels(levels) {
            bound(sqlite3_bind_blob(handle, index, blob.pointer, Int32(blob.count), nil))
        } else {
            bind(Data(BookLevelsBlob.encode(levels)))
        }
    }

    mutating func bind(_ value: String?) {
        if let value { bind(value) } else { bindNull() }
    }

    /// An exact decimal as text (the same string `Decimal.description` gives), formatted
    /// into a stack buffer without allocating.
    mutating func bind(_ value: Decimal) {
        var this = self
        let done: Bool = DecimalText.withText(value) { bytes in this.bindText(bytes) }
        if done { self = this } else { bind(DecimalText.string(value)) }
    }

    mutating func bind(_ value: Decimal?) {
        if let value { bind(value) } else { bindNull() }
    }

    mutating func bind(_ value: Data) {
        let i = index
        let code = value.withUnsafeBytes { raw in
            sqlite3_bind_blob(handle, i, raw.baseAddress, Int32(raw.count), Self.transient)
        }
        bound(code)
    }

    /// Runs the statement once, then resets it (and the arena) for the next row. A refused
    /// bind, or a parameter left unbound, fails the row instead of storing NULL in its place.
    mutating func step() throws {
        let parameters = sqlite3_bind_parameter_count(handle)
        if bindFailure != nil || index - 1 != parameters {
            let detail = bindFailure.map { "parameter \($0.index) was refused: \(String(cString: sqlite3_errstr($0.code)))" }
                ?? "\(index - 1) values bound to \(parameters) parameters"
            let code = bindFailure?.code ?? SQLITE_RANGE
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            arena?.reset()
            index = 1
            bindFailure = nil
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "binding failed: \(detail)", sql: statement.sql)
        }
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        arena?.reset()
        index = 1
        guard code == SQLITE_DONE || code == SQLITE_ROW else {
            let message = sqlite3_errmsg(sqlite3_db_handle(handle)).map { String(cString: $0) }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }
}

/// Reusable memory for one row's bound text. Bound SQLITE_STATIC: valid until the row's
/// parameters are bound again, which happens before the statement runs again.
final class TextArena {
    private let base: UnsafeMutablePointer<CChar>
    private let capacity: Int
    private var used = 0

    init(capacity: Int = 1 << 16) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// A copy of `bytes` (NUL-terminated), or nil when the row's text no longer fits.
    func copy(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar>? {
        guard used + bytes.count + 1 <= capacity else { return nil }
        let start = base + used
        if let source = bytes.baseAddress {
            UnsafeMutableRawPointer(start).copyMemory(from: source, byteCount: bytes.count)
        }
        start[bytes.count] = 0
        used += bytes.count + 1
        return UnsafePointer(start)
    }

    func reset() { used = 0 }

    /// Encodes levels as a `BookLevelsBlob` in place; nil when they do not fit.
    func writeLevels(_ levels: [(price: Fixed8, size: Fixed8)]) -> (pointer: UnsafeRawPointer, count: Int)? {
        let count = levels.count * 16
        guard used + count <= capacity else { return nil }
        let start = UnsafeMutableRawPointer(base + used)
        for (i, level) in levels.enumerated() {
            start.storeBytes(of: level.price.raw.littleEndian, toByteOffset: i * 16, as: Int64.self)
            start.storeBytes(of: level.size.raw.littleEndian, toByteOffset: i * 16 + 8, as: Int64.self)
        }
        used += count
        return (UnsafeRawPointer(start), count)
    }
}
