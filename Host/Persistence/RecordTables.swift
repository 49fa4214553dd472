import Foundation
import GRDB
import HostCore
import Synchronization

/// A record table as a kind declared it, with who declared it (for messages and the registry).
public struct RecordTableDeclaration: Sendable, Hashable {
    public var table: RecordTableSpec
    public var pluginID: String
    public var kindID: String
    public init(table: RecordTableSpec, pluginID: String, kindID: String) {
        self.table = table
        self.pluginID = pluginID
        self.kindID = kindID
    }
}

/// Plugin record tables (`tsh.records/1`) in the host's database: created on first
/// declaration, registered in `record_tables` with their columns, upserted by key.
enum RecordTablesSQL {
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    static func create(_ table: RecordTableSpec) -> String {
        let columns = table.columns.map { column -> String in
            let type = switch column.type {
            case .int, .time: "INTEGER"
            case .double: "REAL"
            case .text: "TEXT"
            }
            return "\(quoted(column.name)) \(type)\(column.isNullable ? "" : " NOT NULL")"
        }
        let key = table.keyColumns.map { quoted($0.name) }.joined(separator: ", ")
        return "CREATE TABLE \(quoted(table.name)) (\(columns.joined(separator: ", ")), PRIMARY KEY (\(key)))"
    }

    static func upsert(_ table: RecordTableSpec) -> String {
        let names = table.columns.map { quoted($0.name) }
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
        let key = table.keyColumns.map { quoted($0.name) }.joined(separator: ", ")
        let others = table.columns.filter { !$0.isKey }.map { "\(quoted($0.name)) = excluded.\(quoted($0.name))" }
        let action = others.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + others.joined(separator: ", ")
        return "INSERT INTO \(quoted(table.name)) (\(names.joined(separator: ", "))) VALUES (\(placeholders)) ON CONFLICT (\(key)) \(action)"
    }
}

extension SQLiteJournal {
    /// Creates (or checks) the record tables of the session's kinds before the engine starts.
    /// A name that is one of the host's own tables, or a table that exists with other columns,
    /// is refused with the difference; nothing is created then.
    public func declareRecordTables(_ declarations: [RecordTableDeclaration], at time: Int64) throws(PersistenceError) {
        guard !declarations.isEmpty else { return }
        var byName: [String: RecordTableDeclaration] = [:]
        for declaration in declarations {
            if let earlier = byName[declaration.table.name] {
                guard earlier.table.hasSameShape(as: declaration.table) else {
                    throw PersistenceError(code: .writeFailed, path: path,
                                           message: "record table '\(declaration.table.name)' is declared by kind '\(earlier.kindID)' of \(earlier.pluginID) as (\(earlier.table.shapeDescription)) and by kind '\(declaration.kindID)' of \(declaration.pluginID) as (\(declaration.table.shapeDescription))",
                                           fix: "kinds that share a table must declare the same columns")
                }
                continue
            }
            byName[declaration.table.name] = declaration
        }
        do {
            try writer.pool.write { db in
                let registered = try Row.fetchAll(db, sql: "SELECT name, plugin_id, kind_id, columns FROM record_tables")
                var known: [String: (pluginID: String, kindID: String, columns: String)] = [:]
                for row in registered { known[row[0]] = (row[1], row[2], row[3]) }
                let existing = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"))
                for name in byName.keys.sorted() {
                    let declaration = byName[name]!
                    let columns = declaration.table.shapeDescription
                    if let registeredTable = known[name] {
                        guard registeredTable.columns == columns else {
                            throw PersistenceError(code: .writeFailed, path: path,
                                                   message: "record table '\(name)' exists (created by kind '\(registeredTable.kindID)' of \(registeredTable.pluginID)) with columns (\(registeredTable.columns)); kind '\(declaration.kindID)' of \(declaration.pluginID) declares (\(columns))",
                                                   fix: "use another data directory, or drop the table ('DROP TABLE \(name); DELETE FROM record_tables WHERE name = '\(name)';') to let it be recreated")
                        }
                        continue
                    }
                    guard !existing.contains(name), !name.hasPrefix("sqlite_") else {
                        throw PersistenceError(code: .writeFailed, path: path,
                                               message: "kind '\(declaration.kindID)' of \(declaration.pluginID) declares a record table '\(name)', which is one of the host's own tables",
                                               fix: "rename the plugin's table")
                    }
                    try db.execute(sql: RecordTablesSQL.create(declaration.table))
                    try db.execute(sql: "INSERT INTO record_tables (name, plugin_id, kind_id, columns, created_at) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [name, declaration.pluginID, declaration.kindID, columns, time])
                }
            }
        } catch let error as PersistenceError {
            throw error
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .writeFailed)
        }
        writer.recordUpsertSQL.withLock { sql in
            for (name, declaration) in byName { sql[name] = RecordTablesSQL.upsert(declaration.table) }
        }
    }

    public func recordUpserted(_ row: RecordRow) {
        writer.enqueue { _ in .record(row) }
    }

    /// The registered record tables (name, declaring plugin and kind, columns).
    public func recordTables() throws(PersistenceError) -> [(name: String, pluginID: String, kindID: String, columns: String)] {
        do {
            return try writer.pool.read { db in
                guard try db.tableExists("record_tables") else { return [] }
                return try Row.fetchAll(db, sql: "SELECT name, plugin_id, kind_id, columns FROM record_tables ORDER BY name").map { ($0[0], $0[1], $0[2], $0[3]) }
            }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .readFailed)
        }
    }
}

extension RecordTableSpec {
    /// Parses `shapeDescription` (as stored in `record_tables.columns`); nil when malformed.
    public static func parse(name: String, shape: String) -> RecordTableSpec? {
        var columns: [RecordColumnSpec] = []
        for part in shape.split(separator: ",") {
            let words = part.split(separator: " ").map(String.init)
            guard words.count >= 2, let type = [RecordColumnType.int, .double, .text, .time].first(where: { $0.description == words[1] }) else { return nil }
            columns.append(RecordColumnSpec(name: words[0], type: type, isKey: words.contains("key"), isNullable: words.contains("null")))
        }
        return columns.isEmpty ? nil : RecordTableSpec(name: name, columns: columns)
    }
}

extension SQLiteJournal {
    /// The registered record table of that name, with its columns; nil when no plugin declared it here.
    public func recordTable(named name: String) throws(PersistenceError) -> RecordTableSpec? {
        guard let entry = try recordTables().first(where: { $0.name == name }) else { return nil }
        guard let spec = RecordTableSpec.parse(name: name, shape: entry.columns) else {
            throw PersistenceError(code: .readFailed, path: path, message: "record table '\(name)' has an unreadable column list '\(entry.columns)'",
                                   fix: "the registry row was edited by hand; restore it or drop the table")
        }
        return spec
    }

    /// Calls `body` with each row of a record table, values in column order, streaming (memory
    /// does not grow with the table). `equal` filters columns by value; `range` keeps rows whose
    /// column is in [lower, upper); rows come ordered by `orderBy`.
    public func forEachRecord(_ table: RecordTableSpec, equal: [(column: String, value: RecordValue)] = [],
                              range: (column: String, lower: Int64?, upper: Int64?)? = nil, orderBy: [String],
                              _ body: ([RecordValue]) throws -> Void) throws {
        var conditions: [String] = []
        var arguments: [DatabaseValue] = []
        for (column, value) in equal {
            conditions.append("\(RecordTablesSQL.quoted(column)) = ?")
            arguments.append(Self.databaseValue(value))
        }
        if let range {
            if let lower = range.lower { conditions.append("\(RecordTablesSQL.quoted(range.column)) >= ?"); arguments.append(lower.databaseValue) }
            if let upper = range.upper { conditions.append("\(RecordTablesSQL.quoted(range.column)) < ?"); arguments.append(upper.databaseValue) }
        }
        let sql = "SELECT \(table.columns.map { RecordTablesSQL.quoted($0.name) }.joined(separator: ", ")) FROM \(RecordTablesSQL.quoted(table.name))"
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + (orderBy.isEmpty ? "" : " ORDER BY " + orderBy.map(RecordTablesSQL.quoted).joined(separator: ", "))
        try writer.pool.read { db in
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
            var values = [RecordValue](repeating: .null, count: table.columns.count)
            while let row = try cursor.next() {
                for (i, column) in table.columns.enumerated() {
                    let v = row[i] as DatabaseValue
                    if v.isNull {
                        values[i] = .null
                        continue
                    }
                    switch column.type {
                    case .int, .time: values[i] = .int(Int64.fromDatabaseValue(v) ?? 0)
                    case .double: values[i] = .double(Double.fromDatabaseValue(v) ?? 0)
                    case .text: values[i] = .text(String.fromDatabaseValue(v) ?? "")
                    }
                }
                try body(values)
            }
        }
    }

    /// Deletes the rows of a record table whose `column` is in [lower, upper) and whose
    /// `equalColumn` is one of `values` (a re-materialized range replaces its rows). Returns how many went.
    @discardableResult
    public func deleteRecords(_ table: String, column: String, lower: Int64, upper: Int64, equalColumn: String, values: [String]) throws(PersistenceError) -> Int {
        guard !values.isEmpty else { return 0 }
        do {
            return try writer.pool.write { db in
                let placeholders = Array(repeating: "?", count: values.count).joined(separator: ", ")
                try db.execute(sql: "DELETE FROM \(RecordTablesSQL.quoted(table)) WHERE \(RecordTablesSQL.quoted(column)) >= ? AND \(RecordTablesSQL.quoted(column)) < ? AND \(RecordTablesSQL.quoted(equalColumn)) IN (\(placeholders))",
                               arguments: StatementArguments([lower.databaseValue, upper.databaseValue] + values.map(\.databaseValue)))
                return db.changesCount
            }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .writeFailed)
        }
    }

    static func databaseValue(_ value: RecordValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .int(let v): v.databaseValue
        case .double(let v): v.databaseValue
        case .text(let v): v.databaseValue
        }
    }
}
