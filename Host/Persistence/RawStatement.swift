import Foundation
import GRDB
import GRDBSQLite

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

    /// A NUL byte: binding a nil pointer would store NULL instead of the empty string.
    nonisolated(unsafe) private static let emptyText: UnsafePointer<CChar> = {
        let byte = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        byte.pointee = 0
        return UnsafePointer(byte)
    }()

    /// SQLite copies text before `bind` returns.
    private static let transient = unsafeBitCast(Int(-1), to: sqlite3_destructor_type.self)

    init(_ statement: Statement) {
        self.statement = statement
        self.handle = statement.sqliteStatement
    }

    mutating func bind(_ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
        index += 1
    }

    mutating func bind(_ value: Int64?) {
        if let value { bind(value) } else { bindNull() }
    }

    mutating func bind(_ value: Bool) { bind(Int64(value ? 1 : 0)) }

    mutating func bind(_ value: Double) {
        sqlite3_bind_double(handle, index, value)
        index += 1
    }

    mutating func bindNull() {
        sqlite3_bind_null(handle, index)
        index += 1
    }

    mutating func bind(_ value: String) {
        var text = value
        let i = index
        text.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) { chars in
                sqlite3_bind_text(handle, i, chars.baseAddress ?? Self.emptyText, Int32(chars.count), Self.transient)
            }
        }
        index += 1
    }

    mutating func bind(_ value: String?) {
        if let value { bind(value) } else { bindNull() }
    }

    /// An exact decimal as text (the same string `Decimal.description` gives), formatted
    /// into a stack buffer without allocating.
    mutating func bind(_ value: Decimal) {
        let i = index
        let done: Bool = DecimalText.withText(value) { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) { chars in
                sqlite3_bind_text(handle, i, chars.baseAddress ?? Self.emptyText, Int32(chars.count), Self.transient)
            }
        }
        if done { index += 1 } else { bind(DecimalText.string(value)) }
    }

    mutating func bind(_ value: Decimal?) {
        if let value { bind(value) } else { bindNull() }
    }

    mutating func bind(_ value: Data) {
        let i = index
        value.withUnsafeBytes { raw in
            _ = sqlite3_bind_blob(handle, i, raw.baseAddress, Int32(raw.count), Self.transient)
        }
        index += 1
    }

    /// Runs the statement once, then resets it for the next row.
    mutating func step() throws {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        index = 1
        guard code == SQLITE_DONE || code == SQLITE_ROW else {
            let message = sqlite3_errmsg(sqlite3_db_handle(handle)).map { String(cString: $0) }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }
}
