import Foundation
import HostCore
import HostEngine
import HostPersistence
import HostTesting
import Logging
import Testing

/// Outcome-token settlement, and accounts rebuilt from the journal after a restart.
struct SettlementAndRestoreTests {
    static func quote(_ symbol: HostCore.SymbolID, at ms: Int64) -> MarketEvent {
        MarketScript(symbol: symbol).quote(atMillis: ms, bid: "99", ask: "100", size: "10")
    }

    @Test("a settlement closes the position at the final price with a fee-free fill whose reason is settlement")
    func settlementClosesPosition() throws {
        let (table, btc, _) = twoSymbols()
        let journal = RecordingJournal()
        let engine = Engine(symbols: table, clock: SimulatedClock(), journal: journal)
        try engine.addInstance(spec(1, id: "buyer", symbols: [btc], params: ["script": .string("market_buy")]))
        try engine.start()
        engine.process(Self.quote(btc, at: 1))
        engine.process(.settlement(Settlement(symbol: btc, tsEvent: 2_000_000, tsRecv: 2_000_000, price: Fixed8(parsing: "1")!)))
        let fills = journal.recorded.fills
        #expect(fills.map(\.reason) == ["probe", "settlement"])
        let settlement = try #require(fills.last)
        #expect(settlement.side == .sell)
        #expect(settlement.size == Decimal(string: "0.5"))
        #expect(settlement.price == 1)
        #expect(settlement.fee == 0)
        #expect(settlement.realizedPnL == Decimal(string: "-49.5"))
        #expect(settlement.position.quantity == 0)
    }

    @Test("an engine restarted on the same database restores the position and cash its committed fills produced")
    func restoreFromFills() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-restore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("host.sqlite").path
        let (table, btc, _) = twoSymbols()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

        let first = try SQLiteJournal(path: path, logger: logger)
        first.setSymbols(table)
        let engine = Engine(symbols: table, clock: SimulatedClock(), journal: first)
        try engine.addInstance(spec(1, id: "buyer", symbols: [btc], params: ["script": .string("market_buy")]))
        try engine.start()
        engine.process(Self.quote(btc, at: 1))
        engine.requestStop()
        engine.run()
        let before = try #require(engine.snapshot().instances.first)
        try first.flush()
        first.close()
        #expect(before.openPositions == 1)

        let second = try SQLiteJournal(path: path, logger: logger)
        second.setSymbols(table)
        let restarted = Engine(symbols: table, clock: SimulatedClock(), journal: second)
        try restarted.addInstance(spec(0, id: "buyer", symbols: [btc]))
        try restarted.start()
        let after = try #require(restarted.snapshot().instances.first)
        #expect(after.openPositions == 1)
        #expect(after.cash == before.cash)
        #expect(after.cash < 10_000)
        second.close()
    }

    @Test("a kill switch engaged in the database keeps a restarted engine halted: its orders are denied with kill_switch")
    func killSwitchSurvivesRestart() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-kill-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("host.sqlite").path
        let (table, btc, _) = twoSymbols()
        let journal = try SQLiteJournal(path: path, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { journal.close() }
        try journal.setKillSwitch(engaged: true, reason: "operator", at: 1)
        let engine = Engine(symbols: table, clock: SimulatedClock(), journal: journal)
        try engine.addInstance(spec(1, id: "killed", symbols: [btc], params: ["script": .string("market_buy")]))
        try engine.start()
        engine.process(Self.quote(btc, at: 1))
        #expect(engine.snapshot().tradingHalted)
        #expect(observe("killed").all.contains { $0.contains("denied") && $0.contains("kill switch") })
    }
}
