import StrategySDK

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The benchmark plugin measured against other engines (NautilusTrader, hftbacktest): the
// same work is defined in docs/EMA_BENCH.md so each platform implements it identically.

/// Does nothing with each event: measures the host's dispatch cost alone.
final class NoopBench: StrategyPlugin {
    static let kind = PluginKind(
        id: "noop", description: "Receives quotes, trades and book events and does nothing (dispatch benchmark).",
        roles: [], events: [.quote, .trade, .book])
    init(context: PluginContext) throws {}
}

/// EMA of the quote mid and VWAP of trades per symbol, and a small market order every
/// `order_every` quotes across all symbols (docs/EMA_BENCH.md).
final class EMABench: StrategyPlugin {
    static let kind = PluginKind(
        id: "ema", description: "Per-symbol EMA of the quote mid and VWAP of trades, with a small market order every "
            + "order_every quotes (benchmark and example; see docs/EMA_BENCH.md).",
        roles: [.strategy], events: [.quote, .trade, .order], parameters: EMACore.parameters)

    private let core: EMACore

    init(context: PluginContext) throws { core = try EMACore(context: context) }
    deinit { core.deallocate() }

    func onQuote(_ quote: Quote) throws {
        let p = core.position(quote.symbol)
        guard p >= 0 else { return }
        core.stats[p].quotes &+= 1
        core.update(p, mid: quote.mid)
        if core.orderDue() { core.submit(p, symbol: quote.symbol) }
    }

    func onTrade(_ trade: Trade) throws { core.trade(trade) }
    func onOrder(_ update: OrderEvent) throws { core.order(update) }
    func stop() throws { core.report() }
}

/// The L2 variant: EMA of the best-level mid after each book message, and an order every
/// `order_every` book messages across all symbols.
final class EMABookBench: StrategyPlugin {
    static let kind = PluginKind(
        id: "ema_l2", description: "Per-symbol EMA of the best bid/ask mid after each L2 book message and VWAP of trades, "
            + "with a small market order every order_every messages (benchmark; see docs/EMA_BENCH.md).",
        roles: [.strategy], events: [.book, .trade, .order], parameters: EMACore.parameters)

    private let core: EMACore

    init(context: PluginContext) throws { core = try EMACore(context: context) }
    deinit { core.deallocate() }

    func onBook(_ book: BookUpdate) throws {
        let p = core.position(book.symbol)
        guard p >= 0 else { return }
        core.stats[p].books &+= 1
        if let bid = book.bestBid, let ask = book.bestAsk { core.update(p, mid: (bid.price + ask.price) * 0.5) }
        if core.orderDue() { core.submit(p, symbol: book.symbol) }
    }

    func onTrade(_ trade: Trade) throws { core.trade(trade) }
    func onOrder(_ update: OrderEvent) throws { core.order(update) }
    func stop() throws { core.report() }
}

/// What one symbol has seen, at its position in the instance's symbol list.
struct SymbolStats {
    var ema = Double.nan
    var alpha = 0.0
    /// Σ price × size and Σ size of the trades.
    var notional = 0.0
    var volume = 0.0
    var quotes: UInt64 = 0
    var trades: UInt64 = 0
    var books: UInt64 = 0
    var orders: UInt64 = 0
    var denied: UInt64 = 0
    var fills: UInt64 = 0
    var orderSize = 0.0
    var vwap: Double { volume > 0 ? notional / volume : .nan }
}

/// State shared across symbols: the order countdown and the side of the next order.
struct OrderClock {
    /// Events until the next order; 0 when orders are off.
    var countdown: Int64
    var every: Int64
    var nextSide: Side = .buy
    var refusalLogged = false
}

/// The state and rules both EMA kinds share.
///
/// Per-event state lives in buffers allocated once at creation (freed by the owning plugin's
/// deinit): the hot path indexes them without exclusivity checks, copy-on-write tests or
/// allocation, which class-held arrays or dictionaries keyed by name would cost per event.
struct EMACore {
    static let parameters: [Parameter] = [
        .int("period", default: 100, range: 1...1_000_000_000,
             doc: "EMA period N of the symbol; alpha = 2 / (N + 1), seeded with the first mid."),
        .int("order_every", default: 10_000, range: 0...1_000_000_000_000, perSymbol: false,
             doc: "Submit a market order on every K-th quote (ema) or book message (ema_l2), counted across all symbols; 0 never orders."),
        .double("order_size", default: 0, range: 0...1_000_000_000, unit: "base units",
                doc: "Size of each order; 0 uses the instrument's minimum size (its lot size when it has none)."),
    ]

    let context: PluginContext
    /// Position in the instance's symbol list, indexed by symbol id; -1 for other symbols.
    let route: UnsafeMutableBufferPointer<Int32>
    let stats: UnsafeMutableBufferPointer<SymbolStats>
    let clock: UnsafeMutablePointer<OrderClock>
    /// Instrument names, by position.
    let names: [String]

    init(context: PluginContext) throws {
        self.context = context
        let symbols = context.symbols
        let every = try context.int("order_every")
        var names: [String] = []
        var stats: [SymbolStats] = []
        for symbol in symbols {
            let instrument = try context.instrument(symbol)
            var s = SymbolStats()
            s.alpha = 2 / (Double(try context.int("period", symbol: symbol)) + 1)
            let size = try context.double("order_size", symbol: symbol)
            s.orderSize = size > 0 ? size : instrument.minSize > 0 ? instrument.minSize : instrument.lotSize
            stats.append(s)
            names.append(instrument.symbol)
        }
        self.names = names
        route = .allocate(capacity: (symbols.map(\.index).max() ?? 0) + 1)
        route.initialize(repeating: -1)
        for (position, symbol) in symbols.enumerated() { route[symbol.index] = Int32(position) }
        self.stats = .allocate(capacity: max(1, stats.count))
        _ = self.stats.initialize(from: stats)
        clock = .allocate(capacity: 1)
        clock.initialize(to: OrderClock(countdown: every, every: every))
    }

    func deallocate() {
        route.deallocate()
        stats.deallocate()
        clock.deallocate()
    }

    /// The symbol's position, or -1 when it is not one of the instance's.
    @inline(__always)
    func position(_ symbol: SymbolID) -> Int {
        let i = symbol.index
        return i < route.count ? Int(route[i]) : -1
    }

    @inline(__always)
    func update(_ p: Int, mid: Double) {
        let previous = stats[p].ema
        stats[p].ema = previous.isNaN ? mid : previous + stats[p].alpha * (mid - previous)
    }

    @inline(__always)
    func trade(_ trade: Trade) {
        let p = position(trade.symbol)
        guard p >= 0 else { return }
        stats[p].trades &+= 1
        stats[p].notional += trade.price * trade.size
        stats[p].volume += trade.size
    }

    /// Counts one order-driving event (a quote or a book message): true on every `every`-th.
    @inline(__always)
    func orderDue() -> Bool {
        guard clock.pointee.countdown > 0 else { return false }
        clock.pointee.countdown -= 1
        guard clock.pointee.countdown == 0 else { return false }
        clock.pointee.countdown = clock.pointee.every
        return true
    }

    /// A market FAK order; the side alternates with every order sent, refused ones included.
    @inline(never)
    func submit(_ p: Int, symbol: SymbolID) {
        let side = clock.pointee.nextSide
        clock.pointee.nextSide = side == .buy ? .sell : .buy
        stats[p].orders &+= 1
        do {
            try context.submitOrder(symbol: symbol, side: side, type: .market, size: stats[p].orderSize, timeInForce: .fak, tag: "ema_bench")
        } catch {
            stats[p].denied &+= 1
            // One line, not one per refusal: a refused benchmark must not flood the log.
            if !clock.pointee.refusalLogged {
                clock.pointee.refusalLogged = true
                context.log(.warning, "ema_bench order refused (further refusals are only counted): \(error.message)")
            }
        }
    }

    func order(_ update: OrderEvent) {
        guard update.lastFillSize > 0 else { return }
        let p = position(update.info.symbol)
        guard p >= 0 else { return }
        stats[p].fills &+= 1
    }

    /// One info line and the gauges and counters per symbol, in configuration order. EMA and
    /// VWAP gauges are left out while undefined (no mid or no traded size yet).
    func report() {
        for (p, name) in names.enumerated() {
            let s = stats[p]
            context.log(.info, "ema_bench report symbol=\(name) ema=\(Self.fixed4(s.ema)) vwap=\(Self.fixed4(s.vwap)) "
                + "quotes=\(s.quotes) trades=\(s.trades) books=\(s.books) orders=\(s.orders) denied=\(s.denied) fills=\(s.fills)")
            if !s.ema.isNaN { context.gaugeSet("ema." + name, s.ema) }
            if !s.vwap.isNaN { context.gaugeSet("vwap." + name, s.vwap) }
            context.counterAdd("quotes." + name, s.quotes)
            context.counterAdd("trades." + name, s.trades)
            context.counterAdd("books." + name, s.books)
            context.counterAdd("orders." + name, s.orders)
            context.counterAdd("denied." + name, s.denied)
            context.counterAdd("fills." + name, s.fills)
        }
    }

    /// `printf("%.4f")`: the C library's correctly rounded text, as other platforms print it.
    static func fixed4(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 400)
        let count = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.4f", $0) }
        return String(decoding: buffer.prefix(max(0, min(Int(count), buffer.count - 1))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

let manifest = PluginManifest(
    id: "dev.strategyhost.ema_bench", name: "EMA benchmark", version: "2.0.0",
    description: "Benchmark plugins: a no-op, and an EMA/VWAP strategy on quotes (ema) or L2 books (ema_l2); see docs/EMA_BENCH.md.",
    kinds: [NoopBench.self, EMABench.self, EMABookBench.self])

@_cdecl("tsh_plugin_entry")
public func tshPluginEntry() -> UnsafeRawPointer { manifest.pointer }
