import HostCore
import HostEngine
import StrategySDK
import Testing

/// ABI 1.2's `tsh.book/1`: the host's book before the L2 message being delivered.
struct BookServiceTests {
    static func price(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }

    /// An engine with the probe on BTCUSDT (the probe's instance id is `id`) after a snapshot
    /// of bids 100 x 1, 99 x 3 and asks 101 x 2, 102 x 4.
    static func engine(_ id: String) throws -> (Engine, HostCore.SymbolID) {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        try engine.addInstance(spec(13, id: id, symbols: [btc]))
        try engine.start()
        send(engine, btc, at: 1, snapshot: true, [(.buy, "100", "1"), (.buy, "99", "3"), (.sell, "101", "2"), (.sell, "102", "4")])
        return (engine, btc)
    }

    static func send(_ engine: Engine, _ symbol: HostCore.SymbolID, at time: Int64, snapshot: Bool = false, _ rows: [(HostCore.Side, String, String)]) {
        let changes = rows.map { BookChange(side: $0.0, price: price($0.1), size: price($0.2)) }
        for event in BookUpdate(symbol: symbol, tsEvent: time, tsRecv: time, isSnapshot: snapshot, changes: changes).events { engine.process(event) }
    }

    @Test("during a book event, a level the message added is absent from the book before it")
    func addedLevelAbsentBefore() throws {
        let (engine, btc) = try Self.engine("book-before-added")
        Self.send(engine, btc, at: 2, [(.buy, "100.5", "7")])
        #expect(observe("book-before-added").all.last == "before bids 100.0x1.0,99.0x3.0 asks 101.0x2.0,102.0x4.0 bid100 1.0")
    }

    @Test("during a book event, a level the message changed has its previous size in the book before it")
    func changedLevelHasPreviousSize() throws {
        let (engine, btc) = try Self.engine("book-before-changed")
        Self.send(engine, btc, at: 2, [(.buy, "100", "5"), (.buy, "100", "6")])
        #expect(observe("book-before-changed").all.last == "before bids 100.0x1.0,99.0x3.0 asks 101.0x2.0,102.0x4.0 bid100 1.0")
    }

    @Test("during a book event, a level the message removed is back in the book before it")
    func removedLevelBackBefore() throws {
        let (engine, btc) = try Self.engine("book-before-removed")
        Self.send(engine, btc, at: 2, [(.buy, "100", "0"), (.sell, "101", "0")])
        #expect(observe("book-before-removed").all.last == "before bids 100.0x1.0,99.0x3.0 asks 101.0x2.0,102.0x4.0 bid100 1.0")
    }

    @Test("during a snapshot's book event, the book before it is the book the snapshot replaced")
    func snapshotReplacedBookBefore() throws {
        let (engine, btc) = try Self.engine("book-before-snapshot")
        Self.send(engine, btc, at: 2, snapshot: true, [(.buy, "90", "1"), (.sell, "91", "1")])
        #expect(observe("book-before-snapshot").all.last == "before bids 100.0x1.0,99.0x3.0 asks 101.0x2.0,102.0x4.0 bid100 1.0")
    }

    @Test("the first book event sees an empty book before it")
    func firstMessageSeesEmptyBook() throws {
        _ = try Self.engine("book-before-first")
        #expect(observe("book-before-first").all == ["before bids  asks  bid100 0.0"])
    }

    @Test("outside a book event, a level's size is the size the last book event left")
    func tradeSeesLastMessagesBook() throws {
        let (engine, btc) = try Self.engine("book-before-trade")
        Self.send(engine, btc, at: 2, [(.sell, "101", "5")])
        engine.process(.trade(TradeTick(symbol: btc, tsEvent: 3, tsRecv: 3, price: Self.price("101"), size: Self.price("1"), aggressor: .buy)))
        engine.process(.trade(TradeTick(symbol: btc, tsEvent: 4, tsRecv: 4, price: Self.price("98"), size: Self.price("1"), aggressor: .sell)))
        #expect(Array(observe("book-before-trade").all.suffix(2)) == ["trade 101.0 shows 5.0", "trade 98.0 shows 0.0"])
    }
}
