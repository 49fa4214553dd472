import Foundation
import HostCore
import HostEngine
import HostTesting
import Testing

struct EngineBarsTests {
    /// Trades at the given seconds (price, size) on `symbol`.
    static func trades(_ symbol: HostCore.SymbolID, _ rows: [(Int64, String, String)]) -> [EngineInput] {
        rows.map { .market(MarketScript(symbol: symbol).trade(atMillis: $0.0 * 1_000, price: $0.1, size: $0.2, aggressor: .buy)) }
    }

    static func barSpec(id: String, symbols: [HostCore.SymbolID], bars: [BarTimeframe]) -> InstanceSpec {
        var s = spec(3, id: id, symbols: symbols)
        s.bars = bars
        return s
    }

    @Test("the engine delivers each 1m bar once its minute has passed, with exact OHLCV, end time and finality time")
    func oneMinuteBarsDelivered() throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        try engine.addInstance(Self.barSpec(id: "bars-1m", symbols: [btc], bars: [.oneMinute]))
        try engine.start()
        for input in Self.trades(btc, [(10, "100", "1"), (20, "105", "2"), (50, "95", "1"), (70, "101", "3")]) { engine.process(input) }
        #expect(observe("bars-1m").all == [
            "trade 100.0", "trade 105.0", "trade 95.0", "trade 101.0",
            "bar 0 0 60s 100.0 105.0 95.0 95.0 4.0 at 60/60",
        ])
    }

    @Test("SDK 1.1 bar history: the last final bars of the timeframe, oldest first, the delivered bar included; a foreign symbol is not found")
    func barHistoryService() throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        var s = spec(11, id: "bar-history-probe", symbols: [btc])
        s.bars = [.oneMinute]
        try engine.addInstance(s)
        try engine.start()
        for input in Self.trades(btc, [(10, "100", "1"), (70, "105", "2"), (130, "95", "1"), (190, "101", "3"), (250, "102", "1")]) {
            engine.process(input)
        }
        let lines = observe("bar-history-probe").all
        #expect(lines.filter { $0.hasPrefix("history") } == [
            "history 100.0 trades=1", "history 100.0,105.0 trades=1,1", "history 100.0,105.0,95.0 trades=1,1,1",
            "history 105.0,95.0,101.0 trades=1,1,1",
        ])
        #expect(lines.contains("foreign symbol: not found"))
    }

    @Test("SDK 1.1: a bar the host aggregates carries quote volume, volumes by aggressor, VWAP and the trade count")
    func aggregatedBarsCarryOrderFlowFields() throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        var s = spec(4, id: "bars-flow", symbols: [btc])
        s.bars = [.oneMinute]
        try engine.addInstance(s)
        try engine.start()
        let script = MarketScript(symbol: btc)
        for (second, price, size, side) in [(10, "100", "1", Side.buy), (20, "110", "3", .sell), (30, "90", "1", .buy), (70, "95", "1", .buy)] {
            engine.process(.market(script.trade(atMillis: Int64(second) * 1_000, price: price, size: size, aggressor: side)))
        }
        // 100·1 + 110·3 + 90·1 = 520 over 5 units: VWAP 104; one more empty minute at the previous close.
        #expect(observe("bars-flow").all == ["flow q=520.0 buy=2.0 sell=3.0 vwap=104.0 trades=3"])
        engine.process(.market(script.trade(atMillis: 200_000, price: "96", size: "1", aggressor: .buy)))
        #expect(observe("bars-flow").all.suffix(2) == ["flow q=95.0 buy=1.0 sell=0.0 vwap=95.0 trades=1",
                                                       "flow q=0.0 buy=0.0 sell=0.0 vwap=95.0 trades=0"])
    }

    @Test("SDK 1.1: a bar from the feed (venue history, OHLCV only) says it carries none of the 1.1 fields")
    func feedBarsCarryNoOrderFlowFields() throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        var s = spec(4, id: "bars-history", symbols: [btc])
        s.bars = [.oneMinute]
        try engine.addInstance(s)
        try engine.start()
        var bar = BarEvent(symbol: btc, tsEvent: 60_000_000_000, tsRecv: 60_000_000_000, openTime: 0, interval: 60_000_000_000,
                           open: Fixed8(1), high: Fixed8(2), low: Fixed8(1), close: Fixed8(2), volume: Fixed8(7))
        bar.isHistory = true
        engine.process(.market(.bar(bar)))
        #expect(observe("bars-history").all == ["flow q=- buy=- sell=- vwap=- trades=-"])
    }

    @Test("empty minutes after the first trade are delivered as bars at the previous close")
    func emptyMinutesDelivered() throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        try engine.addInstance(Self.barSpec(id: "bars-gap", symbols: [btc], bars: [.oneMinute]))
        try engine.start()
        for input in Self.trades(btc, [(10, "100", "1"), (200, "110", "1")]) { engine.process(input) }
        let bars = observe("bars-gap").all.filter { $0.hasPrefix("bar") }
        #expect(bars == [
            "bar 0 0 60s 100.0 100.0 100.0 100.0 1.0 at 60/60",
            "bar 0 60 60s 100.0 100.0 100.0 100.0 0.0 at 120/120",
            "bar 0 120 60s 100.0 100.0 100.0 100.0 0.0 at 180/180",
        ])
    }

    @Test("an instance gets only the timeframes it asked for, and an instance without bars gets none")
    func timeframesPerInstance() throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        try engine.addInstance(Self.barSpec(id: "bars-5m-only", symbols: [btc], bars: [.fiveMinutes]))
        try engine.addInstance(Self.barSpec(id: "bars-both", symbols: [btc], bars: [.oneMinute, .fiveMinutes]))
        try engine.addInstance(Self.barSpec(id: "bars-none", symbols: [btc], bars: []))
        try engine.start()
        for input in Self.trades(btc, [(10, "100", "1"), (310, "101", "1")]) { engine.process(input) }
        let fiveOnly = observe("bars-5m-only").all.filter { $0.hasPrefix("bar") }
        let both = observe("bars-both").all.filter { $0.hasPrefix("bar") }
        #expect(fiveOnly == ["bar 0 0 300s 100.0 100.0 100.0 100.0 1.0 at 300/300"])
        #expect(both.count == 6)  // five 1m bars and the 5m bar
        #expect(both.filter { $0.contains(" 300s ") } == fiveOnly)
        #expect(observe("bars-none").all.allSatisfy { !$0.hasPrefix("bar") })
    }

    @Test("with a settling delay a bar is delivered only once the clock passes its end plus the delay")
    func settleDelaysBars() throws {
        let (table, btc, _) = twoSymbols()
        var configuration = EngineConfiguration()
        configuration.barSettle = 2_000_000_000
        let engine = Engine(symbols: table, configuration: configuration, clock: SimulatedClock())
        try engine.addInstance(Self.barSpec(id: "bars-settle", symbols: [btc], bars: [.oneMinute]))
        try engine.start()
        for input in Self.trades(btc, [(10, "100", "1"), (61, "101", "1")]) { engine.process(input) }
        #expect(observe("bars-settle").all.filter { $0.hasPrefix("bar") }.isEmpty)
        for input in Self.trades(btc, [(62, "102", "1")]) { engine.process(input) }
        #expect(observe("bars-settle").all.filter { $0.hasPrefix("bar") } == ["bar 0 0 60s 100.0 100.0 100.0 100.0 1.0 at 60/62"])
    }

    @Test("a bar counts a trade by its exchange timestamp, not its arrival time")
    func exchangeTimestampBuckets() throws {
        let (table, btc, _) = twoSymbols()
        var configuration = EngineConfiguration()
        configuration.barSettle = 5_000_000_000
        let engine = Engine(symbols: table, configuration: configuration, clock: SimulatedClock())
        try engine.addInstance(Self.barSpec(id: "bars-exchange-time", symbols: [btc], bars: [.oneMinute]))
        try engine.start()
        // Traded at 59.5 s at the venue, received at 61 s: it belongs to the first minute.
        let late = TradeTick(symbol: btc, tsEvent: 59_500_000_000, tsRecv: 61_000_000_000, price: Fixed8(parsing: "90")!,
                             size: Fixed8(parsing: "1")!, aggressor: .sell)
        for input in Self.trades(btc, [(10, "100", "1")]) { engine.process(input) }
        engine.process(.market(.trade(late)))
        for input in Self.trades(btc, [(70, "101", "1")]) { engine.process(input) }
        #expect(observe("bars-exchange-time").all.filter { $0.hasPrefix("bar") } == ["bar 0 0 60s 100.0 100.0 90.0 90.0 2.0 at 60/65"])
    }
}
