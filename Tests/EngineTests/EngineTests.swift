import Foundation
import HostCore
import HostEngine
import HostTesting
import Testing

struct EngineRoutingTests {
    @Test("events reach only the instances subscribed to their symbol, in configuration order")
    func perSymbolRouting() throws {
        let (table, btc, eth) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        try engine.addInstance(spec(0, id: "routing-btc", symbols: [btc]))
        try engine.addInstance(spec(0, id: "routing-both", symbols: [btc, eth]))
        try engine.start()
        engine.process(.market(MarketScript(symbol: btc).quote(atMillis: 1, bid: "100", ask: "101")))
        engine.process(.market(MarketScript(symbol: eth).quote(atMillis: 2, bid: "50", ask: "51")))
        #expect(observe("routing-btc").all == ["quote 0 100.0"])
        #expect(observe("routing-both").all == ["quote 0 100.0", "quote 1 50.0"])
    }

    @Test("timers due at the same simulated time fire in the order they were set, before later events")
    func timerOrder() throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        try engine.addInstance(spec(2, id: "timers", symbols: [btc]))
        try engine.start()
        engine.process(.market(MarketScript(symbol: btc).quote(atMillis: 5, bid: "100", ask: "101")))
        #expect(observe("timers").all == ["timer 1 at 2000000", "timer 2 at 2000000", "timer 3 at 3000000"])
    }

    @Test("the engine keeps an L2 book per symbol from book updates")
    func bookKept() throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        try engine.start()
        let update = BookUpdate(symbol: btc, tsEvent: 1, tsRecv: 1, isSnapshot: true, changes: [
            BookChange(side: .buy, price: Fixed8(parsing: "99")!, size: Fixed8(parsing: "2")!),
            BookChange(side: .buy, price: Fixed8(parsing: "98")!, size: Fixed8(parsing: "3")!),
            BookChange(side: .sell, price: Fixed8(parsing: "101")!, size: Fixed8(parsing: "1")!),
        ])
        for event in update.events { engine.process(event) }
        for event in BookUpdate(symbol: btc, tsEvent: 2, tsRecv: 2, isSnapshot: false,
                                changes: [BookChange(side: .buy, price: Fixed8(parsing: "99")!, size: .zero)]).events {
            engine.process(event)
        }
        #expect(engine.book(btc).bids.best?.price == Fixed8(parsing: "98"))
        #expect(engine.book(btc).asks.best?.size == Fixed8(parsing: "1"))
    }
}

struct EngineOrderTests {
    @Test("an order with a NaN size is denied with invalid_size, and the plugin gets the reason", arguments: [
        ("nan_size", DenyReason.invalidSize), ("negative_size", .invalidSize), ("nan_price", .invalidPrice),
    ])
    func badOrdersDenied(script: String, reason: DenyReason) throws {
        let (table, btc, _) = twoSymbols()
        let journal = RecordingJournal()
        let engine = Engine(symbols: table, clock: SimulatedClock(), journal: journal)
        let id = "probe-\(script)"
        try engine.addInstance(spec(1, id: id, symbols: [btc], params: ["script": .string(script)]))
        try engine.start()
        engine.process(.market(MarketScript(symbol: btc).quote(atMillis: 1, bid: "100", ask: "101")))
        let lines = observe(id).all
        #expect(lines.first?.hasPrefix("denied status 4 reason \(reason.rawValue)") == true, "\(lines)")
        #expect(lines.contains("order denied filled 0.0"))
        #expect(journal.recorded.updates.map(\.denyReason) == [reason])
    }

    @Test("a valid market order fills against the book and the fill is journaled")
    func marketOrderFills() throws {
        let (table, btc, _) = twoSymbols()
        let journal = RecordingJournal()
        let engine = Engine(symbols: table, clock: SimulatedClock(), journal: journal)
        try engine.addInstance(spec(1, id: "probe-market", symbols: [btc], params: ["script": .string("market")]))
        try engine.start()
        engine.process(.market(MarketScript(symbol: btc).quote(atMillis: 1, bid: "100", ask: "101", size: "10")))
        #expect(observe("probe-market").all.contains("order filled filled 0.5"))
        let fill = try #require(journal.recorded.updates.first { $0.lastFillSize > 0 })
        #expect(fill.lastFillPrice == Decimal(101))
    }

    @Test("live instances are refused unless live trading was enabled on the command line")
    func liveNeedsOptIn() throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        var live = spec(0, id: "live-one", symbols: [btc])
        live.mode = .live
        #expect(throws: EngineError.self) { try engine.addInstance(live) }
    }
}
