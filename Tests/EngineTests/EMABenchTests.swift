import Foundation
import HostCore
// @testable: the instance's custom counters and gauges (the tsh.metrics/1 service) are kept
// on the engine's internal InstanceRuntime; no public accessor exposes them yet.
@testable import HostEngine
import HostExecution
import HostPlugins
import HostTesting
import Logging
import Synchronization
import Testing

/// The real `libema_bench.so`, loaded with dlopen once for the test process.
let emaBenchRegistry = PluginRegistry()

/// Log lines the engine wrote, for reading a plugin's report.
final class CapturedLog: Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])
    func append(_ level: Logger.Level, _ message: String) { lines.withLock { $0.append((level, message)) } }
    var all: [(level: Logger.Level, message: String)] { lines.withLock { $0 } }
}

struct CapturingLogHandler: LogHandler {
    let sink: CapturedLog
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { sink.append(event.level, event.message.description) }
}

/// One `ema_bench` instance on BTCUSDT (min size = lot 0.0001) and ETHUSDT (min size 0.01),
/// fed scripted events one millisecond apart through a real engine with a paper venue.
final class EMABenchRun {
    let engine: Engine
    let journal = RecordingJournal()
    let log = CapturedLog()
    let btc: HostCore.SymbolID
    let eth: HostCore.SymbolID
    private var millis: Int64 = 0

    init(kind: String, parameters: [String: ParameterValue] = [:], ethOverrides: [String: ParameterValue] = [:],
         risk: RiskLimits = RiskLimits()) throws {
        var table = SymbolTable()
        btc = table.register(Instrument.generic(symbol: "BTCUSDT", venue: "test"))
        eth = table.register(Instrument(symbol: "ETHUSDT", venue: "test", baseAsset: "ETH", quoteAsset: "USDT",
                                        tickSize: Decimal(string: "0.01")!, lotSize: Decimal(string: "0.0001")!,
                                        minSize: Decimal(string: "0.01")!))
        let plugin = try emaBenchRegistry.load(path: try emaBenchRegistry.loader.locator.locate("ema_bench.so"))
        let spec = try #require(plugin.kind(kind))
        var resolved = ResolvedParameters(specs: spec.parameters, symbolCount: 2)
        for (name, value) in parameters { resolved.set(name, value) }
        for (name, value) in ethOverrides { resolved.set(name, value, symbolPosition: 1) }
        let sink = log
        engine = Engine(symbols: table,
                        configuration: EngineConfiguration(paperVenue: PaperVenueConfig(feeModel: .none, latencyNs: 0)),
                        clock: SimulatedClock(), journal: journal,
                        logger: Logger(label: "test", factory: { _ in CapturingLogHandler(sink: sink) }))
        try engine.addInstance(InstanceSpec(id: "bench", pluginID: plugin.pluginID, kind: spec,
                                            descriptor: try #require(plugin.kindDescriptor(kind)), mode: .paper, venue: "test",
                                            symbols: [btc, eth], parameters: resolved, risk: risk, keepAlive: plugin))
        try engine.start()
    }

    private func nextTime() -> Int64 {
        millis += 1
        return millis
    }

    func quote(_ symbol: HostCore.SymbolID, bid: String, ask: String) {
        engine.process(.market(MarketScript(symbol: symbol).quote(atMillis: nextTime(), bid: bid, ask: ask)))
    }

    func trade(_ symbol: HostCore.SymbolID, price: String, size: String) {
        engine.process(.market(MarketScript(symbol: symbol).trade(atMillis: nextTime(), price: price, size: size, aggressor: nil)))
    }

    /// One L2 message: (side, price, size) rows sharing one timestamp.
    func book(_ symbol: HostCore.SymbolID, snapshot: Bool = false, _ rows: [(HostCore.Side, String, String)]) {
        let t = nextTime() * 1_000_000
        let changes = rows.map { BookChange(side: $0.0, price: Fixed8(parsing: $0.1)!, size: Fixed8(parsing: $0.2)!) }
        for event in BookUpdate(symbol: symbol, tsEvent: t, tsRecv: t, isSnapshot: snapshot, changes: changes).events {
            engine.process(.market(event))
        }
    }

    /// Ends the run: the engine stops the instance, which reports.
    func stop() {
        engine.requestStop()
        engine.run()
    }

    var counters: [String: UInt64] { engine.instances[0].customCounters }
    var gauges: [String: Double] { engine.instances[0].customGauges }
    var reportLines: [(level: Logger.Level, message: String)] { log.all.filter { $0.message.hasPrefix("ema_bench report") } }

    /// Fill updates the engine journaled for a symbol.
    func fills(_ symbol: HostCore.SymbolID) -> Int {
        journal.recorded.updates.filter { $0.symbol == symbol && $0.lastFillSize > 0 }.count
    }
}

/// The textbook recurrence, written apart from the plugin: e₀ = first mid, eₙ = α·mid + (1 − α)·eₙ₋₁.
func referenceEMA(_ mids: [Double], period: Int) -> Double {
    let alpha = 2.0 / Double(period + 1)
    var ema = mids[0]
    for mid in mids.dropFirst() { ema = alpha * mid + (1 - alpha) * ema }
    return ema
}

func midOf(_ bid: String, _ ask: String) -> Double { (Double(bid)! + Double(ask)!) / 2 }

func nearlyEqual(_ a: Double?, _ b: Double) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= 1e-9 * max(1, abs(b))
}

struct EMABenchTests {
    @Test("ema seeds each symbol's EMA with its first mid, then moves it by alpha = 2 / (period + 1) per quote")
    func emaSeededAndUpdated() throws {
        let run = try EMABenchRun(kind: "ema", parameters: ["period": .int(3), "order_every": .int(0)], ethOverrides: ["period": .int(5)])
        let btcQuotes = [("100.00", "100.10"), ("101.00", "101.20"), ("99.50", "99.70"), ("102.00", "102.40"), ("103.10", "103.30")]
        let ethQuotes = [("2000.00", "2001.00"), ("1990.00", "1992.00"), ("2010.50", "2011.50"), ("2005.00", "2006.00")]
        for i in 0..<max(btcQuotes.count, ethQuotes.count) {
            if i < btcQuotes.count { run.quote(run.btc, bid: btcQuotes[i].0, ask: btcQuotes[i].1) }
            if i < ethQuotes.count { run.quote(run.eth, bid: ethQuotes[i].0, ask: ethQuotes[i].1) }
        }
        run.stop()
        #expect(nearlyEqual(run.gauges["ema.BTCUSDT"], referenceEMA(btcQuotes.map { midOf($0.0, $0.1) }, period: 3)))
        #expect(nearlyEqual(run.gauges["ema.ETHUSDT"], referenceEMA(ethQuotes.map { midOf($0.0, $0.1) }, period: 5)))
    }

    @Test("vwap is the sum of price times size over the sum of size of each symbol's trades")
    func vwapOfTrades() throws {
        let run = try EMABenchRun(kind: "ema", parameters: ["order_every": .int(0)])
        let btcTrades = [("100.5", "0.25"), ("101.25", "1.5"), ("99.75", "0.125")]
        let ethTrades = [("2000", "3"), ("2010", "1")]
        for (price, size) in btcTrades { run.trade(run.btc, price: price, size: size) }
        for (price, size) in ethTrades { run.trade(run.eth, price: price, size: size) }
        run.stop()
        func vwap(_ trades: [(String, String)]) -> Double {
            var notional = 0.0
            var volume = 0.0
            for (price, size) in trades {
                notional += Double(price)! * Double(size)!
                volume += Double(size)!
            }
            return notional / volume
        }
        #expect(nearlyEqual(run.gauges["vwap.BTCUSDT"], vwap(btcTrades)))
        #expect(nearlyEqual(run.gauges["vwap.ETHUSDT"], vwap(ethTrades)))
    }

    @Test("every K-th quote across symbols sends a market FAK order of the instrument's min size on that quote's symbol, alternating buy and sell")
    func ordersEveryKthQuoteAlternate() throws {
        let run = try EMABenchRun(kind: "ema", parameters: ["order_every": .int(3)])
        let symbols = (0..<10).map { $0 % 2 == 0 ? run.btc : run.eth }
        for symbol in symbols { run.quote(symbol, bid: symbol == run.btc ? "100" : "2000", ask: symbol == run.btc ? "100.1" : "2000.5") }

        var expected: [(HostCore.SymbolID, HostCore.Side, Decimal)] = []
        for (n, symbol) in symbols.enumerated() where (n + 1) % 3 == 0 {
            expected.append((symbol, expected.count % 2 == 0 ? .buy : .sell,
                             symbol == run.btc ? Decimal(string: "0.0001")! : Decimal(string: "0.01")!))
        }
        let orders = run.journal.recorded.orders
        #expect(orders.count == expected.count)
        #expect(orders.map(\.symbol) == expected.map(\.0))
        #expect(orders.map(\.side) == expected.map(\.1))
        #expect(orders.map(\.size) == expected.map(\.2))
        #expect(orders.allSatisfy { $0.type == .market && $0.timeInForce == .fak && $0.tag == "ema_bench" })
    }

    @Test("order_size, when set, replaces the instrument's minimum size")
    func orderSizeParameter() throws {
        let run = try EMABenchRun(kind: "ema", parameters: ["order_every": .int(1), "order_size": .double(0.5)])
        run.quote(run.btc, bid: "100", ask: "100.1")
        run.quote(run.eth, bid: "2000", ask: "2000.5")
        #expect(run.journal.recorded.orders.map(\.size) == [Decimal(string: "0.5")!, Decimal(string: "0.5")!])
    }

    @Test("ema_l2 counts one book message per L2 batch, however many rows it has")
    func emaL2CountsMessages() throws {
        let run = try EMABenchRun(kind: "ema_l2", parameters: ["order_every": .int(0)])
        run.book(run.btc, snapshot: true, [(.buy, "100", "1"), (.buy, "99", "2"), (.sell, "101", "1"), (.sell, "102", "3")])
        run.book(run.btc, [(.buy, "100.5", "1")])
        run.book(run.btc, [(.sell, "101", "0"), (.buy, "99", "0"), (.sell, "101.5", "2")])
        run.book(run.eth, snapshot: true, [(.buy, "2000", "1"), (.sell, "2001", "1")])
        run.stop()
        #expect(run.counters["books.BTCUSDT"] == 3)
        #expect(run.counters["books.ETHUSDT"] == 1)
        #expect(run.counters["quotes.BTCUSDT"] == 0)
    }

    @Test("ema_l2 takes the EMA of the best bid/ask mid after each message, skipping messages that leave a side empty")
    func emaL2BestLevelMid() throws {
        let run = try EMABenchRun(kind: "ema_l2", parameters: ["period": .int(4), "order_every": .int(0)])
        // Best levels after each message, worked out by hand from the rows.
        run.book(run.btc, snapshot: true, [(.buy, "100", "1"), (.buy, "99", "2"), (.sell, "101", "1"), (.sell, "102", "1")])
        var mids = [midOf("100", "101")]
        run.book(run.btc, [(.buy, "100.5", "1")])
        mids.append(midOf("100.5", "101"))
        run.book(run.btc, [(.sell, "101", "0")])
        mids.append(midOf("100.5", "102"))
        run.book(run.btc, [(.sell, "102", "0")])  // no ask left: skipped
        run.book(run.btc, [(.sell, "103", "2"), (.buy, "101", "1")])
        mids.append(midOf("101", "103"))
        run.stop()
        #expect(run.counters["books.BTCUSDT"] == 5)
        #expect(nearlyEqual(run.gauges["ema.BTCUSDT"], referenceEMA(mids, period: 4)))
    }

    @Test("ema_l2 sends an order every K-th book message across symbols, alternating buy and sell")
    func emaL2OrdersEveryKthMessage() throws {
        let run = try EMABenchRun(kind: "ema_l2", parameters: ["order_every": .int(2)])
        let symbols = [run.btc, run.eth, run.eth, run.btc, run.btc]
        for symbol in symbols {
            let base = symbol == run.btc ? 100.0 : 2000.0
            run.book(symbol, snapshot: true, [(.buy, "\(base)", "5"), (.sell, "\(base + 1)", "5")])
        }
        let orders = run.journal.recorded.orders
        #expect(orders.map(\.symbol) == [symbols[1], symbols[3]])
        #expect(orders.map(\.side) == [.buy, .sell])
    }

    @Test("at stop the counters carry each symbol's quotes, trades, book messages, orders, denials and fills")
    func stopReportCounters() throws {
        let run = try EMABenchRun(kind: "ema", parameters: ["order_every": .int(2)])
        run.quote(run.btc, bid: "100", ask: "100.1")
        run.quote(run.eth, bid: "2000", ask: "2000.5")  // order 1: ETH
        run.trade(run.btc, price: "100.05", size: "1")
        run.quote(run.btc, bid: "100.1", ask: "100.2")
        run.quote(run.btc, bid: "100.2", ask: "100.3")  // order 2: BTC
        run.trade(run.btc, price: "100.25", size: "2")
        run.quote(run.btc, bid: "100.3", ask: "100.4")
        run.stop()
        let c = run.counters
        #expect([c["quotes.BTCUSDT"], c["quotes.ETHUSDT"]] == [4, 1])
        #expect([c["trades.BTCUSDT"], c["trades.ETHUSDT"]] == [2, 0])
        #expect([c["books.BTCUSDT"], c["books.ETHUSDT"]] == [0, 0])
        #expect([c["orders.BTCUSDT"], c["orders.ETHUSDT"]] == [1, 1])
        #expect([c["denied.BTCUSDT"], c["denied.ETHUSDT"]] == [0, 0])
        #expect(c["fills.BTCUSDT"] == UInt64(run.fills(run.btc)))
        #expect(c["fills.ETHUSDT"] == UInt64(run.fills(run.eth)))
        #expect(run.fills(run.btc) == 1 && run.fills(run.eth) == 1)
    }

    @Test("orders host risk refuses are counted as submitted and denied, never filled")
    func deniedOrdersCounted() throws {
        let run = try EMABenchRun(kind: "ema", parameters: ["order_every": .int(1), "order_size": .double(1)],
                                  risk: RiskLimits(maxOrderNotional: 1))
        for _ in 0..<3 { run.quote(run.btc, bid: "100", ask: "100.1") }
        run.stop()
        #expect(run.counters["orders.BTCUSDT"] == 3)
        #expect(run.counters["denied.BTCUSDT"] == 3)
        #expect(run.counters["fills.BTCUSDT"] == 0)
    }

    @Test("at stop one info line per symbol reports EMA and VWAP to 4 decimals and the counts; an undefined value prints nan and publishes no gauge")
    func stopReportLog() throws {
        let run = try EMABenchRun(kind: "ema", parameters: ["period": .int(2), "order_every": .int(0)])
        run.quote(run.btc, bid: "100.00001", ask: "100.00002")
        run.quote(run.btc, bid: "101.12344", ask: "101.12346")
        run.trade(run.btc, price: "100.5", size: "1")
        run.trade(run.btc, price: "100.75", size: "2")
        run.stop()
        let ema = referenceEMA([midOf("100.00001", "100.00002"), midOf("101.12344", "101.12346")], period: 2)
        let vwap = (100.5 + 100.75 * 2) / 3
        let lines = run.reportLines
        #expect(lines.map(\.level) == [.info, .info])
        #expect(lines.map(\.message) == [
            "ema_bench report symbol=BTCUSDT ema=\(String(format: "%.4f", ema)) vwap=\(String(format: "%.4f", vwap)) "
                + "quotes=2 trades=2 books=0 orders=0 denied=0 fills=0",
            "ema_bench report symbol=ETHUSDT ema=nan vwap=nan quotes=0 trades=0 books=0 orders=0 denied=0 fills=0",
        ])
        #expect(run.gauges["ema.ETHUSDT"] == nil && run.gauges["vwap.ETHUSDT"] == nil)
    }

    @Test("noop receives quotes, trades and book messages and neither trades nor reports")
    func noopDoesNothing() throws {
        let run = try EMABenchRun(kind: "noop")
        run.quote(run.btc, bid: "100", ask: "100.1")
        run.trade(run.eth, price: "2000", size: "1")
        run.book(run.btc, snapshot: true, [(.buy, "100", "1"), (.sell, "101", "1")])
        run.stop()
        #expect(run.engine.snapshot().instances.first?.callbacks == 3)
        #expect(run.journal.recorded.orders.isEmpty)
        #expect(run.counters.isEmpty && run.gauges.isEmpty && run.reportLines.isEmpty)
    }
}
