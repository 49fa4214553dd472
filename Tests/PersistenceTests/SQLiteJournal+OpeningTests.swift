import Foundation
import HostCore
import Testing
@testable import HostPersistence

struct SQLiteJournalOpeningTests {
    @Test("Migrating an empty file creates every table and records the schema version")
    func migratesEmptyFile() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            defer { journal.close() }
            let tables = Set(try journal.strings("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0 })
            #expect(tables.isSuperset(of: ["sessions", "plugin_state", "orders", "order_events", "signals", "fills", "positions",
                                           "daily_stats", "alerts", "risk_state", "book_snapshots", "input_events", "schema_version"]))
            #expect(try journal.schemaVersion() == 4)
            #expect(try journal.strings("SELECT identifier FROM grdb_migrations") == ["v1_initial", "v2_trading", "v3_data_files", "v4_records"])
            #expect(try journal.strings("PRAGMA journal_mode") == ["wal"])
        }
    }

    @Test("Reopening an existing database keeps its rows and applies no migration twice")
    func reopeningIsIdempotent() throws {
        try withTemporaryDatabase { path in
            let first = try openJournal(path)
            try first.beginSession(session("s1"))
            first.close()
            let second = try openJournal(path)
            defer { second.close() }
            #expect(try second.sessions().map(\.info.id) == ["s1"])
            #expect(try second.strings("SELECT identifier FROM grdb_migrations") == ["v1_initial", "v2_trading", "v3_data_files", "v4_records"])
            #expect(try second.schemaVersion() == 4)
        }
    }

    @Test("A database migrated by a newer host is refused with newerSchema")
    func refusesNewerSchema() throws {
        try withTemporaryDatabase { path in
            let newer = try openJournal(path, extraMigrations: [(id: "v9_future", sql: "CREATE TABLE future (x INTEGER)")])
            newer.close()
            let error = try #require(throws: PersistenceError.self) { try openJournal(path) }
            #expect(error.code == .newerSchema)
            #expect(error.description.contains("v9_future"))
            #expect(error.fix.contains("upgrade the host"))
        }
    }

    @Test("A text file named .sqlite is refused with notADatabase naming the path")
    func refusesTextFile() throws {
        try withTemporaryDatabase { path in
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(String(repeating: "not a database, just some notes\n", count: 100).utf8).write(to: URL(fileURLWithPath: path))
            let error = try #require(throws: PersistenceError.self) { try openJournal(path) }
            #expect(error.code == .notADatabase)
            #expect(error.path == path)
            #expect(error.description.contains(path))
            #expect(!error.fix.isEmpty)
        }
    }

    @Test("A database path below a regular file is refused with cannotOpen")
    func refusesUncreatableDirectory() throws {
        try withTemporaryDatabase { path in
            let blocker = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: (blocker as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("a file where a directory should be".utf8).write(to: URL(fileURLWithPath: blocker))
            let error = try #require(throws: PersistenceError.self) { try openJournal(path) }
            #expect(error.code == .cannotOpen)
        }
    }

    @Test("A session manifest round-trips, including a seed above Int64.max and the plugin list")
    func sessionRoundTrips() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            defer { journal.close() }
            try journal.beginSession(session("s1"))
            journal.endSession(exitStatus: "ok", endedAt: 2_000)
            try journal.flush()
            let stored = try #require(try journal.sessions().first)
            #expect(stored.info == session("s1"))
            #expect(stored.endedAt == 2_000)
            #expect(stored.exitStatus == "ok")
        }
    }

    @Test("Beginning a session whose id already exists fails with writeFailed")
    func duplicateSessionIsRefused() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            defer { journal.close() }
            try journal.beginSession(session("s1"))
            let error = try #require(throws: PersistenceError.self) { try journal.beginSession(session("s1")) }
            #expect(error.code == .writeFailed)
        }
    }
}
