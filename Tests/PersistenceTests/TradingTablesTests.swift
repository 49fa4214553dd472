import Foundation
import GRDB
import HostCore
import Testing
@testable import HostPersistence

/// Schema v2: fills with reasons, positions, daily figures, alerts, trading states, book snapshots.
struct TradingTablesTests {
    static let day1: Int64 = 1_763_683_200_000_000_000  // 2025-11-21T00:00:00Z

    static func record(_ id: UInt64, side: Side, price: String, size: String, fee: String, reason: String, realized: String,
                       after: String, time: Int64, instance: String = "ls", mode: TradingMode = .paper) -> FillRecord {
        FillRecord(clientOrderID: ClientOrderID(id), instanceID: instance, mode: mode, symbol: SymbolID(0), side: side,
                   price: decimal(price), size: decimal(size), fee: decimal(fee), liquidity: .taker, reason: reason,
                   realizedPnL: decimal(realized),
                   position: PositionSnapshot(quantity: decimal(after), averagePrice: decimal(price), realizedPnL: decimal(realized), fees: decimal(fee)),
                   timestamp: time)
    }

    static func names() -> SymbolTable {
        var table = SymbolTable()
        table.register(Instrument(symbol: "BTC-15M-UP", venue: "polymarket", baseAsset: "BTC-15M-UP", quoteAsset: "USDC",
                                  tickSize: decimal("0.01"), lotSize: decimal("0.01")))
        return table
    }

    @Test("a booked fill is stored with its reason, dry-run flag, realized PnL and the position after it")
    func fillRow() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            journal.setSymbols(Self.names())
            try journal.beginSession(session())
            journal.fillBooked(Self.record(1, side: .buy, price: "0.93", size: "10.75", fee: "0.0049", reason: "entry", realized: "0",
                                           after: "10.75", time: Self.day1))
            try journal.flush()
            let row = try #require(try journal.read { db in
                try Row.fetchOne(db, sql: "SELECT symbol, side, price, size, fee, reason, dry_run, realized_pnl, position_after, session_id FROM fills")
            })
            #expect(row[0] as String == "BTC-15M-UP")
            #expect(row[1] as String == "buy")
            #expect(row[2] as String == "0.93")
            #expect(row[3] as String == "10.75")
            #expect(row[4] as String == "0.0049")
            #expect(row[5] as String == "entry")
            #expect(row[6] as Bool == true)
            #expect(row[7] as String == "0")
            #expect(row[8] as String == "10.75")
            #expect(row[9] as String == "s1")
            journal.close()
        }
    }

    @Test("the positions table holds the latest position of each account and symbol")
    func positionsUpsert() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            journal.setSymbols(Self.names())
            try journal.beginSession(session())
            journal.fillBooked(Self.record(1, side: .buy, price: "0.93", size: "10", fee: "0", reason: "entry", realized: "0", after: "10", time: Self.day1))
            journal.fillBooked(Self.record(2, side: .sell, price: "1", size: "10", fee: "0", reason: "settlement", realized: "0.7", after: "0", time: Self.day1 + 1))
            try journal.flush()
            let rows = try journal.read { db in try Row.fetchAll(db, sql: "SELECT symbol, quantity FROM positions") }
            #expect(rows.count == 1)
            #expect(rows.first?[1] as String? == "0")
            journal.close()
        }
    }

    @Test("daily stats add a UTC day's fills exactly and count a closing fill as a win or a loss net of its fee")
    func dailyStats() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            journal.setSymbols(Self.names())
            try journal.beginSession(session())
            journal.fillBooked(Self.record(1, side: .buy, price: "0.9", size: "10", fee: "0.01", reason: "entry", realized: "0", after: "10", time: Self.day1 + 5))
            journal.fillBooked(Self.record(2, side: .sell, price: "1", size: "10", fee: "0", reason: "settlement", realized: "1", after: "0", time: Self.day1 + 6))
            journal.fillBooked(Self.record(3, side: .buy, price: "0.95", size: "10", fee: "0.02", reason: "entry", realized: "0", after: "10", time: Self.day1 + 7))
            journal.fillBooked(Self.record(4, side: .sell, price: "0.7", size: "10", fee: "0.03", reason: "stop_loss", realized: "-2.5", after: "0", time: Self.day1 + 8))
            // The next UTC day gets its own row.
            journal.fillBooked(Self.record(5, side: .buy, price: "0.9", size: "1", fee: "0", reason: "entry", realized: "0", after: "1", time: Self.day1 + 86_400_000_000_000))
            try journal.flush()
            let rows = try journal.read { db in
                try Row.fetchAll(db, sql: "SELECT day, trades, wins, losses, realized_pnl, fees, volume FROM daily_stats ORDER BY day")
            }
            #expect(rows.count == 2)
            #expect(rows[0][0] as String == "2025-11-21")
            #expect(rows[0][1] as Int == 4)
            #expect(rows[0][2] as Int == 1)
            #expect(rows[0][3] as Int == 1)
            #expect(rows[0][4] as String == "-1.5")
            #expect(rows[0][5] as String == "0.06")
            #expect(rows[0][6] as String == "35.5")
            #expect(rows[1][0] as String == "2025-11-22")
            journal.close()
        }
    }

    @Test("loadFills returns an account's committed and still-queued fills, oldest first, and no other account's")
    func loadFillsOverlay() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            journal.setSymbols(Self.names())
            try journal.beginSession(session())
            journal.fillBooked(Self.record(1, side: .buy, price: "0.9", size: "10", fee: "0", reason: "entry", realized: "0", after: "10", time: 1))
            journal.fillBooked(Self.record(9, side: .buy, price: "0.5", size: "3", fee: "0", reason: "entry", realized: "0", after: "3", time: 1, instance: "other"))
            try journal.flush()
            try journal.writer.holdingWrites {
                journal.fillBooked(Self.record(2, side: .sell, price: "0.95", size: "4", fee: "0.01", reason: "take_profit", realized: "0.2", after: "6", time: 2))
                let fills = try journal.loadFills(instanceID: "ls", mode: .paper)
                #expect(fills.map(\.size) == [decimal("10"), decimal("4")])
                #expect(fills.map(\.side) == [.buy, .sell])
                #expect(fills.allSatisfy { $0.symbol == "BTC-15M-UP" })
            }
            #expect(try journal.loadFills(instanceID: "ls", mode: .live).isEmpty)
            journal.close()
        }
    }

    @Test("the kill switch set in the database is read back as HALTED for the host and released as ACTIVE")
    func killSwitchState() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            try journal.setKillSwitch(engaged: true, reason: "operator", at: 5)
            #expect(try journal.loadTradingState(instanceID: "*")?.state == .halted)
            #expect(try journal.loadTradingState(instanceID: "*")?.reason == "operator")
            try journal.setKillSwitch(engaged: false, reason: "resume", at: 6)
            #expect(try journal.loadTradingState(instanceID: "*")?.state == .active)
            let alerts = try journal.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alerts WHERE type = 'kill_switch'") }
            #expect(alerts == 2)
            journal.close()
        }
    }

    @Test("an instance's trading state change is persisted and survives a reopen")
    func tradingStatePersisted() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            journal.tradingStateChanged(instanceID: "ls", state: .halted, reason: "daily loss limit", at: 7)
            try journal.flush()
            journal.close()
            let reopened = try openJournal(path)
            #expect(try reopened.loadTradingState(instanceID: "ls")?.state == .halted)
            reopened.close()
        }
    }

    @Test("book snapshots store exact levels best first and are pruned by the retention cutoff")
    func bookSnapshots() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            journal.setSymbols(Self.names())
            try journal.beginSession(session())
            let levels = [(price: Fixed8(parsing: "0.93")!, size: Fixed8(parsing: "120")!)]
            journal.bookSnapshot(symbol: SymbolID(0), time: 100, bids: levels, asks: [])
            journal.bookSnapshot(symbol: SymbolID(0), time: 200, bids: levels, asks: levels)
            try journal.flush()
            let blob = try journal.read { db in try Data.fetchOne(db, sql: "SELECT bids FROM book_snapshots WHERE ts = 200") }
            let bytes = [UInt8](try #require(blob))
            let bids = try #require(BookLevelsBlob.decode(bytes))
            #expect(bids.map(\.price) == [Fixed8(parsing: "0.93")!])
            #expect(bids.map(\.size) == [Fixed8(parsing: "120")!])
            #expect(try journal.pruneBookSnapshots(before: 150) == 1)
            let left = try journal.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM book_snapshots") }
            #expect(left == 1)
            journal.close()
        }
    }

    @Test("a database created by the v1 schema migrates to the newest keeping its rows and recording every version")
    func migrationFromV1() throws {
        try withTemporaryDatabase { path in
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let v1 = try DatabasePool(path: path)
            try Schema.migrator().migrate(v1, upTo: "v1_initial")
            try v1.write { db in
                try db.execute(sql: "INSERT INTO plugin_state (instance_id, key, value, updated_at) VALUES ('ls', 'k', x'01', 1)")
            }
            try v1.close()
            let journal = try openJournal(path)
            #expect(try journal.schemaVersion() == 4)
            #expect(try journal.loadState(instanceID: "ls")["k"] == [1])
            let versions = try journal.read { db in try Int.fetchAll(db, sql: "SELECT version FROM schema_version ORDER BY version") }
            #expect(versions == [1, 2, 3, 4])
            let tables = try journal.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            }
            for table in ["fills", "positions", "daily_stats", "alerts", "risk_state", "book_snapshots", "input_events"] {
                #expect(tables.contains(table), "missing table \(table)")
            }
            journal.close()
        }
    }
}
