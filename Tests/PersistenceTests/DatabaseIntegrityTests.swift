import Foundation
import GRDB
import GRDBSQLite
import HostCore
@testable import HostPersistence
import Testing

/// The host writes only into databases of its own, readers never write, and a session whose
/// host was killed does not stay open forever.
struct DatabaseIntegrityTests {
    static func makeForeign(_ path: String, _ sql: String) throws -> Data {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    @Test("another program's database is refused untouched")
    func foreignDatabaseUntouched() throws {
        try withTemporaryDatabase { path in
            let before = try Self.makeForeign(path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine')")
            let error = try #require(throws: HostPersistence.PersistenceError.self) { try openJournal(path) }
            #expect(error.code == .foreignDatabase)
            #expect(error.description.contains("another program"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    @Test("a foreign database whose table names clash with the host's is refused untouched")
    func clashingForeignDatabaseUntouched() throws {
        try withTemporaryDatabase { path in
            let before = try Self.makeForeign(path, "CREATE TABLE orders (id INTEGER PRIMARY KEY); CREATE TABLE fills (x TEXT)")
            let error = try #require(throws: HostPersistence.PersistenceError.self) { try openJournal(path) }
            #expect(error.code == .foreignDatabase)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    @Test("a database with another application id is refused untouched")
    func otherApplicationIDUntouched() throws {
        try withTemporaryDatabase { path in
            let before = try Self.makeForeign(path, "PRAGMA application_id = 1234; CREATE TABLE things (x)")
            let error = try #require(throws: HostPersistence.PersistenceError.self) { try openJournal(path) }
            #expect(error.code == .foreignDatabase)
            #expect(error.description.contains("1234"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    @Test("a new database carries the host's application id")
    func newDatabaseIsMarked() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            defer { journal.close() }
            #expect(try journal.strings("PRAGMA application_id") == ["\(Schema.applicationID)"])
        }
    }

    @Test("a reader refuses an older host's database instead of migrating it, leaving it byte for byte")
    func readerNeverMigrates() throws {
        try withTemporaryDatabase { path in
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let old = try DatabasePool(path: path)
            try Schema.migrator().migrate(old, upTo: "v2_trading")
            try old.close()
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let error = try #require(throws: HostPersistence.PersistenceError.self) {
                try SQLiteJournal.openExisting(path: path, logger: SQLiteJournal.silentLogger())
            }
            #expect(error.code == .olderSchema)
            #expect(error.fix.contains("host run"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    @Test("a reader reads a current database without writing a byte to it")
    func readerDoesNotWrite() throws {
        try withTemporaryDatabase { path in
            let writer = try openJournal(path)
            try writer.beginSession(session("s1"))
            writer.endSession(exitStatus: "ok", endedAt: 2_000)
            writer.close()
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let reader = try SQLiteJournal.openExisting(path: path, logger: SQLiteJournal.silentLogger())
            #expect(try reader.sessions().map(\.info.id) == ["s1"])
            reader.close()
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    @Test("a session whose host was killed is marked as ended abnormally at the next start, once")
    func abandonedSessionsAreClosed() throws {
        try withTemporaryDatabase { path in
            let killed = try openJournal(path)
            try killed.beginSession(session("killed", startedAt: 1_000))
            killed.orderUpdated(fill(1, time: 5_000), instanceID: "a", mode: .paper)
            try killed.flush()
            killed.close()  // no endSession: as after SIGKILL

            let next = try openJournal(path)
            defer { next.close() }
            #expect(try next.closeAbandonedSessions() == ["killed"])
            let row = try #require(try next.sessions().first)
            #expect(row.exitStatus?.hasPrefix("abnormal") == true)
            #expect(row.endedAt == 5_000)
            #expect(try next.closeAbandonedSessions().isEmpty)
        }
    }

    @Test("a row with a parameter left unbound fails instead of storing NULL")
    func unboundParameterFails() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            defer { journal.close() }
            #expect(throws: DatabaseError.self) {
                try journal.writer.pool.write { db in
                    let statement = try db.makeStatement(sql: "INSERT INTO alerts (session_id, ts, type, level, details) VALUES (?, ?, ?, ?, ?)")
                    var row = RawStatement(statement)
                    row.bind("s"); row.bind(Int64(1)); row.bind("t"); row.bind("info")
                    try row.step()
                }
            }
            #expect(try journal.strings("SELECT COUNT(*) FROM alerts") == ["0"])
        }
    }

    @Test("a value SQLite refuses to bind fails the row instead of storing NULL")
    func refusedBindFails() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            defer { journal.close() }
            let error = try #require(throws: DatabaseError.self) {
                try journal.writer.pool.write { db in
                    sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_LENGTH, 16)
                    defer { sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_LENGTH, 1_000_000_000) }
                    let statement = try db.makeStatement(sql: "INSERT INTO alerts (session_id, ts, type, level, details) VALUES (?, ?, ?, ?, ?)")
                    var row = RawStatement(statement)
                    row.bind("s"); row.bind(Int64(1)); row.bind("t"); row.bind("info")
                    row.bind(String(repeating: "x", count: 64))
                    try row.step()
                }
            }
            #expect(error.message?.contains("parameter 5") == true)
            #expect(try journal.strings("SELECT COUNT(*) FROM alerts") == ["0"])
        }
    }
}
