import Foundation
import HostCore
import HostEngine
import HostExecution
import HostPlugins
import HostRisk
import HostTesting
import Testing

/// One registry for the test process: the real `liblast_second.so`, loaded with dlopen once.
let lastSecondRegistry = PluginRegistry()

/// A window start (seconds since the epoch): a multiple of 900, so the window the tests
/// script is [start, start + 900 s).
let windowStart: Int64 = 1_800_000_000

/// An engine running one `last_second` instance on scripted Polymarket series.
///
/// Times are seconds from `windowStart` (fractions allowed); prices and sizes are decimal
/// text. Tokens are Polymarket instruments (USDC, tick 0.01, lot 0.01, min 5 shares, min $1);
/// oracle symbols are `<ASSET>-USD` on venue "chainlink".
final class LastSecondHarness {
    let engine: Engine
    let journal = RecordingJournal()
    private var ids: [String: SymbolID] = [:]

    /// - Parameters:
    ///   - series: Series prefixes, e.g. "BTC-15M"; each brings `-UP`, `-DOWN` and `<ASSET>-USD`.
    ///   - omit: Symbols left out of the instance (to test a missing partner or oracle).
    ///   - parameters: Instance-level parameter values.
    ///   - overrides: Per-symbol values: symbol name → parameter → value.
    init(series: [String] = ["BTC-15M"], omit: Set<String> = [], parameters: [String: ParameterValue] = [:],
         overrides: [String: [String: ParameterValue]] = [:], startingCash: Decimal = 1_000, latencyNs: Int64 = 0,
         risk: RiskLimits = RiskLimits()) throws {
        var names: [String] = []
        for prefix in series {
            let asset = String(prefix.prefix { $0 != "-" })
            for name in [prefix + "-UP", prefix + "-DOWN", asset + "-USD"] where !names.contains(name) && !omit.contains(name) {
                names.append(name)
            }
        }
        var table = SymbolTable()
        for name in names {
            let instrument = name.hasSuffix("-USD")
                ? Instrument(symbol: name, venue: "chainlink", baseAsset: String(name.dropLast(4)), quoteAsset: "USD",
                             tickSize: Decimal(string: "0.00000001")!, lotSize: Decimal(string: "0.00000001")!)
                : Instrument(symbol: name, venue: "polymarket", baseAsset: name, quoteAsset: "USDC",
                             tickSize: Decimal(string: "0.01")!, lotSize: Decimal(string: "0.01")!, minSize: 5, minNotional: 1)
            ids[name] = table.register(instrument)
        }
        let plugin = try lastSecondRegistry.load(path: try lastSecondRegistry.loader.locator.locate("last_second.so"))
        let kind = try #require(plugin.kind("last_second"))
        var resolved = ResolvedParameters(specs: kind.parameters, symbolCount: names.count)
        for (name, value) in parameters { resolved.set(name, value) }
        for (symbol, values) in overrides {
            let position = try #require(names.firstIndex(of: symbol))
            for (name, value) in values { resolved.set(name, value, symbolPosition: position) }
        }
        engine = Engine(symbols: table,
                        configuration: EngineConfiguration(paperVenue: PaperVenueConfig(feeModel: .none, latencyNs: latencyNs),
                                                           startingCash: startingCash),
                        clock: SimulatedClock(), journal: journal)
        try engine.addInstance(InstanceSpec(id: "ls", pluginID: plugin.pluginID, kind: kind,
                                            descriptor: try #require(plugin.kindDescriptor("last_second")), mode: .paper,
                                            venue: "polymarket", symbols: names.map { ids[$0]! }, parameters: resolved,
                                            risk: risk, keepAlive: plugin))
        try engine.start()
    }

    func id(_ name: String) -> SymbolID { ids[name]! }

    /// Engine time of an offset from the window start.
    static func time(_ seconds: Double) -> Int64 { windowStart * 1_000_000_000 + Int64((seconds * 1e9).rounded()) }

    // MARK: Driving

    /// Top of book as a quote. An empty side: price "0", size "0".
    func quote(_ name: String, at seconds: Double, bid: String, ask: String, size: String = "200",
               bidSize: String? = nil, askSize: String? = nil) {
        let t = Self.time(seconds)
        engine.process(.market(.quote(QuoteTick(
            symbol: id(name), tsEvent: t, tsRecv: t, bidPrice: Fixed8(parsing: bid)!, bidSize: Fixed8(parsing: bidSize ?? size)!,
            askPrice: Fixed8(parsing: ask)!, askSize: Fixed8(parsing: askSize ?? size)!))))
    }

    /// A full L2 snapshot (price, size) per side, as book-delta rows.
    func book(_ name: String, at seconds: Double, bids: [(String, String)], asks: [(String, String)]) {
        let t = Self.time(seconds)
        let changes = bids.map { BookChange(side: .buy, price: Fixed8(parsing: $0.0)!, size: Fixed8(parsing: $0.1)!) }
            + asks.map { BookChange(side: .sell, price: Fixed8(parsing: $0.0)!, size: Fixed8(parsing: $0.1)!) }
        for event in BookUpdate(symbol: id(name), tsEvent: t, tsRecv: t, isSnapshot: true, changes: changes).events {
            engine.process(.market(event))
        }
    }

    func oracle(_ name: String = "BTC-USD", at seconds: Double, price: String, source: ShortName = "chainlink") {
        let t = Self.time(seconds)
        engine.process(.market(.oracle(OraclePrice(symbol: id(name), tsEvent: t, tsRecv: t, source: source, price: Fixed8(parsing: price)!))))
    }

    /// One tick per second from `from` through `through`, cycling through `prices`.
    func oracleTicks(_ name: String = "BTC-USD", from: Int, through: Int, prices: [String], source: ShortName = "chainlink") {
        for (n, second) in (from...through).enumerated() {
            oracle(name, at: Double(second), price: prices[n % prices.count], source: source)
        }
    }

    func settle(_ name: String, at seconds: Double, price: String) {
        let t = Self.time(seconds)
        engine.process(.market(.settlement(Settlement(symbol: id(name), tsEvent: t, tsRecv: t, price: Fixed8(parsing: price)!))))
    }

    // MARK: Scenarios

    /// Beat 100 000 at +1 s, then calm ticks above it (100 100 / 100 110: volatility ≈ 1e-4,
    /// z ≈ 10) every second from +840 s through `through`.
    func oracleAboveBeat(_ name: String = "BTC-USD", through: Int = 874, offset: Int = 0) {
        oracle(name, at: Double(offset + 1), price: "100000")
        oracleTicks(name, from: offset + 840, through: offset + through, prices: ["100100", "100110"])
    }

    /// Beat 100 000 at +1 s, then calm ticks below it (99 900 / 99 890).
    func oracleBelowBeat(_ name: String = "BTC-USD", through: Int = 874) {
        oracle(name, at: 1, price: "100000")
        oracleTicks(name, from: 840, through: through, prices: ["99900", "99890"])
    }

    /// Books at `at` (before the trigger window by default) where Up is winning:
    /// Up 0.94 / 0.95, Down 0.04 / 0.06, 200 shares at each level.
    func booksFavoringUp(_ prefix: String = "BTC-15M", at seconds: Double = 100) {
        quote(prefix + "-DOWN", at: seconds, bid: "0.04", ask: "0.06")
        quote(prefix + "-UP", at: seconds, bid: "0.94", ask: "0.95")
    }

    /// Books where Down is winning: Down 0.94 / 0.95, Up 0.04 / 0.06.
    func booksFavoringDown(_ prefix: String = "BTC-15M", at seconds: Double = 100) {
        quote(prefix + "-UP", at: seconds, bid: "0.04", ask: "0.06")
        quote(prefix + "-DOWN", at: seconds, bid: "0.94", ask: "0.95")
    }

    /// The common happy path up to the entry: calm oracle above the beat, Up winning, then an
    /// Up quote at +875 s (25 s before the end) with the given top of book.
    func enterUp(bid: String = "0.94", ask: String = "0.95", at seconds: Double = 875) {
        oracleAboveBeat()
        booksFavoringUp()
        quote("BTC-15M-UP", at: seconds, bid: bid, ask: ask)
    }

    // MARK: Reading the journal

    var orders: [OrderRequest] { journal.recorded.orders }
    var entries: [OrderRequest] { orders.filter { $0.tag == "entry" } }
    var exits: [OrderRequest] { orders.filter { ["stop_loss", "trailing_stop", "take_profit"].contains($0.tag) } }

    /// Payloads of `last_second.blocked`, in order.
    var blocked: [String] { journal.recorded.signals.filter { $0.name == "last_second.blocked" }.map(\.payload) }
    var entrySignals: [SignalRecord] { journal.recorded.signals.filter { $0.name == "last_second.entry" } }

    /// Fill updates of one order.
    func fills(_ order: OrderRequest) -> [OrderUpdate] {
        journal.recorded.updates.filter { $0.clientOrderID == order.clientOrderID && $0.lastFillSize > 0 }
    }

    /// Net filled quantity of a symbol, from the journaled fills.
    func position(_ name: String) -> Decimal {
        journal.recorded.updates.filter { $0.symbol == id(name) && $0.lastFillSize > 0 }
            .reduce(0) { $0 + ($1.side == .buy ? $1.lastFillSize : -$1.lastFillSize) }
    }
}

extension Decimal {
    init(text: String) { self = Decimal(string: text)! }
}
