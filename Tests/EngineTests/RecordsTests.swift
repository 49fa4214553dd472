import Foundation
import HostCore
import HostEngine
import HostPersistence
import HostTesting
import Logging
import StrategySDK
import Testing
@testable import HostPlugins

/// SDK 1.1 `tsh.records/1` (tables a kind declares, rows the host persists by key) and named
/// numeric signal fields.
struct RecordsTests {
    /// Instance ids are "<prefix>-writer" and "<prefix>-reader" (observations are shared by id across parallel tests).
    static func run(_ quotes: [(bid: String, ask: String)], journal: any EngineJournal, prefix: String = "rec") throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock(), journal: journal)
        try engine.addInstance(spec(9, id: "\(prefix)-writer", symbols: [btc]))
        try engine.addInstance(spec(10, id: "\(prefix)-reader", symbols: [btc]))
        try engine.start()
        for (i, q) in quotes.enumerated() {
            engine.process(.market(MarketScript(symbol: btc).quote(atMillis: Int64(i + 1), bid: q.bid, ask: q.ask)))
        }

    }

    @Test("the Swift SDK publishes a kind's tables and the manifest reader reads their columns, keys and nullability")
    func manifestCarriesTables() {
        var reader = ManifestReader()
        let contents = reader.read(testManifest.pointer.assumingMemoryBound(to: tsh_manifest.self))
        #expect(reader.problems.isEmpty, "\(reader.problems)")
        let kind = contents.kinds.first { $0.id == "record_writer" }
        #expect(kind?.recordTables.map(\.name) == ["test_quotes"])
        #expect(kind?.recordTables.first?.shapeDescription == "symbol text key, bid double key, ask double, note text null, count int, at time")
        #expect(contents.kinds.first { $0.id == "recorder" }?.recordTables.isEmpty == true)
    }

    @Test("upserted rows reach the journal with their values in column order")
    func rowsReachTheJournal() throws {
        let journal = RecordingJournal()
        try Self.run([("100", "101"), ("100.5", "101")], journal: journal)
        let rows = journal.recorded.records
        #expect(rows.count == 2)
        #expect(rows.first == RecordRow(table: "test_quotes", values: [.text("BTCUSDT"), .double(100), .double(101), .text("odd ✓"), .int(1), .int(1_000_000)]))
        #expect(rows.last?.values[3] == .null)
    }

    @Test("a row with null in a non-null column is refused with a message naming the table and column, and not persisted")
    func invalidRowRefused() throws {
        let journal = RecordingJournal()
        try Self.run([("13", "14")], journal: journal, prefix: "refused")
        #expect(journal.recorded.records.isEmpty)
        #expect(observe("refused-writer").all.contains { $0.contains("table 'test_quotes': column 'ask' is not nullable and got null") })
    }

    @Test("signals carry named fields to consumers and into the journal")
    func signalFieldsDelivered() throws {
        let journal = RecordingJournal()
        try Self.run([("100", "101")], journal: journal, prefix: "fields")
        #expect(observe("fields-reader").all.last == "rec.quote bid=100.0 ask=101.0 ask:101.0")
        #expect(journal.recorded.signals.first?.fields == [SignalField(name: "bid", value: 100), SignalField(name: "ask", value: 101)])
        #expect(SignalField.json(journal.recorded.signals.first!.fields) == #"{"bid":100,"ask":101}"#)
    }

    @Test("SDK 1.1: a book event carries the venue sequence number of its message (0 when the source has none)")
    func bookEventsCarryVenueSequence() throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        try engine.addInstance(spec(12, id: "book-seq", symbols: [btc]))
        try engine.start()
        let changes = [BookChange(side: .buy, price: Fixed8(parsing: "100")!, size: Fixed8(parsing: "1")!),
                       BookChange(side: .sell, price: Fixed8(parsing: "101")!, size: Fixed8(parsing: "2")!)]
        for event in BookUpdate(symbol: btc, tsEvent: 1, tsRecv: 2, isSnapshot: true, changes: changes, venueSequence: 42).events { engine.process(event) }
        for event in BookUpdate(symbol: btc, tsEvent: 3, tsRecv: 4, isSnapshot: false, changes: [changes[0]]).events { engine.process(event) }
        #expect(observe("book-seq").all == ["book seq 42 changes 2", "book seq 0 changes 1"])
    }

    static func tempJournal() throws -> (SQLiteJournal, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-records-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let journal = try SQLiteJournal(path: dir.appendingPathComponent("host.sqlite").path, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return (journal, dir)
    }

    static var quotesTable: RecordTableSpec { spec(9, id: "x", symbols: []).kind.recordTables[0] }

    @Test("SQLite: the host creates the declared table and an upsert with an existing key replaces the row")
    func sqliteUpsertReplacesByKey() throws {
        let (journal, dir) = try Self.tempJournal()
        defer { journal.close(); try? FileManager.default.removeItem(at: dir) }
        try journal.declareRecordTables([RecordTableDeclaration(table: Self.quotesTable, pluginID: "dev.test.engine", kindID: "record_writer")], at: 0)
        try Self.run([("100", "101"), ("100.5", "101"), ("100", "102")], journal: journal)
        try journal.flush()
        var rows: [[HostCore.RecordValue]] = []
        let table = try #require(try journal.recordTable(named: "test_quotes"))
        try journal.forEachRecord(table, orderBy: ["bid"]) { rows.append($0) }
        #expect(rows.count == 2)
        #expect(rows.first?[2] == .double(102) && rows.first?[4] == .int(3))
    }

    @Test("SQLite: a table that exists with other columns, or a host table's name, is refused with what differs")
    func sqliteRefusesConflictingTables() throws {
        let (journal, dir) = try Self.tempJournal()
        defer { journal.close(); try? FileManager.default.removeItem(at: dir) }
        try journal.declareRecordTables([RecordTableDeclaration(table: Self.quotesTable, pluginID: "dev.test.engine", kindID: "record_writer")], at: 0)
        var changed = Self.quotesTable
        changed.columns[2].isNullable = true
        #expect {
            try journal.declareRecordTables([RecordTableDeclaration(table: changed, pluginID: "dev.other", kindID: "other")], at: 0)
        } throws: { "\($0)".contains("exists (created by kind 'record_writer' of dev.test.engine) with columns (symbol text key, bid double key, ask double,") }
        var hostName = Self.quotesTable
        hostName.name = "orders"
        #expect {
            try journal.declareRecordTables([RecordTableDeclaration(table: hostName, pluginID: "dev.other", kindID: "other")], at: 0)
        } throws: { "\($0)".contains("which is one of the host's own tables") }
    }
}
