import StrategySDK

// Smart candles (SIGNALS.md §4, §7): per symbol and timeframe, the candle fields of §1 with the
// order-flow features (cohort deltas and CVD, OFI, I1, microprice, I10, VPIN, walls, absorbed
// iceberg volumes), computed by the SDK's SmartCandleBuilder and persisted by the host in the
// `smart_candles` record table (upserted by symbol, timeframe and candle_time, so a re-run
// replaces its rows). Absorbed volumes come from iceberg.so's `iceberg.exhausted` signals.

final class OrderFlow: StrategyPlugin {
    static let tableName = "smart_candles"

    /// §7's columns: the key, then the candle and its features (null where §4 allows).
    static let table: RecordTable = {
        let nullable: Set<String> = ["session_vwap", "vwap_deviation", "rsi_14", "atr_14", "volume_z_20", "i1_last", "i1_mean",
                                     "microprice", "i10", "vpin", "wall_whale_vol", "wall_dolphin_vol"]
        let columns: [RecordTable.Column] = [
            .key("symbol", .text), .key("timeframe", .text, doc: "1s, 1m, 5m, 15m, 1h, 4h or 1d"),
            .key("candle_time", .time, doc: "bucket start (exported as ISO-8601 UTC)"),
        ] + SmartCandle.columnNames.map { name in
            .value(name, name == "trades" ? .int : .double, nullable: nullable.contains(name))
        }
        return RecordTable(tableName, doc: "Smart candles: candles with order-flow features (SIGNALS.md §4, §7)", columns: columns)
    }()

    static let kind = PluginKind(
        id: "orderflow",
        description: "Smart candles: candles with cohort CVD, OFI, I1/I10, microprice, VPIN, walls and absorbed iceberg volume (SIGNALS §4), persisted in smart_candles.",
        roles: [.detector], events: [.trade, .quote, .book, .signal],
        parameters: [
            .string("timeframes", default: "1m", doc: "Comma-separated candle timeframes (1s, 1m, 5m, 15m, 1h, 4h, 1d), e.g. \"1m,1h\"."),
            .int("settle_ms", default: 0, range: 0...86_400_000, unit: "ms",
                 doc: "A candle is final when the clock passes its end + settle; rows arriving later are counted as late and left out (0 in backtests, ~2000 live)."),
            .double("whale_notional", default: 100_000, range: 0...1e15, unit: "quote asset", perSymbol: true, doc: "W: trades, book levels and icebergs with notional ≥ W are whales."),
            .double("dolphin_notional", default: 10_000, range: 0...1e15, unit: "quote asset", perSymbol: true, doc: "D: notional in [D, W) is a dolphin, below D a minnow."),
            .double("vpin_bucket", default: 0, range: 0...1e15, unit: "base asset", perSymbol: true,
                    doc: "VPIN volume bucket V in base units (e.g. BTCUSDT 5); 0 leaves vpin null for the symbol."),
            .int("vpin_window", default: 50, range: 1...10_000, doc: "n: VPIN over the last n full buckets."),
            .int("sigma_window", default: 50, range: 2...10_000, doc: "σ of the last this many 1-minute close changes."),
            .double("wall_bps", default: 50, range: 0...10_000, unit: "bps", perSymbol: true, doc: "Walls: levels within this distance of the mid."),
            .int("depth_levels", default: 10, range: 1...1_000, doc: "I10 sums this many best levels per side."),
        ],
        consumes: ["iceberg.exhausted"],
        tables: [table])

    private let context: PluginContext
    private let settle: Int64
    /// One builder per symbol, in memory the instance owns: the hot path mutates them in place
    /// without a class property's dynamic exclusivity check (measured: ~3 % of a backtest).
    private let builders: UnsafeMutablePointer<SmartCandleBuilder>
    private let builderCount: Int
    private let names: [String]
    /// Builder index by symbol id (`-1`: not ours); symbol ids are small dense integers.
    private let slot: [Int32]
    /// The host's book (ABI 1.2): the builders read it at a candle's end instead of mirroring
    /// every L2 row; false from an older host (then they mirror the book).
    private let usesHostBook: Bool
    /// What the callbacks change, in memory the instance owns: a class's `var` properties cost
    /// a dynamic exclusivity check on every access (measured: swift_beginAccess/endAccess ~2 %
    /// of the engine thread in the smart-candle backtest).
    private let state: UnsafeMutablePointer<MutableState>

    struct MutableState {
        var rows: [BookRow] = []
        var finished: [SmartCandle] = []
        var nextCheck = Int64.min
        var lateReported = 0
        var hostBook: HostBook?
        /// True while in `onBook`: the book as of the last message is the host's current book then.
        var inBook = false
    }

    init(context: PluginContext) throws {
        self.context = context
        let text = try context.string("timeframes")
        let parsed = Timeframes.parseList(text)
        if let unknown = parsed.unknown {
            throw PluginError(status: TSH_ERR_INVALID_ARGUMENT, "timeframes: '\(unknown)' is not one of \(Timeframes.names)")
        }
        guard !parsed.values.isEmpty else { throw PluginError(status: TSH_ERR_INVALID_ARGUMENT, "timeframes: give at least one of \(Timeframes.names)") }
        settle = try context.int("settle_ms") * 1_000_000
        var made: [SmartCandleBuilder] = []
        var names: [String] = [], slot: [Int32] = []
        for symbol in context.symbols {
            let whale = try context.double("whale_notional", symbol: symbol), dolphin = try context.double("dolphin_notional", symbol: symbol)
            let instrument = try context.instrument(symbol)
            guard dolphin <= whale else {
                throw PluginError(status: TSH_ERR_INVALID_ARGUMENT, "\(instrument.symbol): dolphin_notional \(dolphin) is above whale_notional \(whale)")
            }
            var vpinBucket = try context.double("vpin_bucket", symbol: symbol)
            if vpinBucket == 0 {
                context.log(.notice, "\(instrument.symbol): vpin_bucket is 0, so vpin stays null; set it per symbol (base units)")
                vpinBucket = .infinity
            }
            let parameters = SmartCandleParameters(
                vpinBucket: vpinBucket, whaleNotional: whale, dolphinNotional: dolphin,
                vpinWindow: Int(try context.int("vpin_window")), sigmaWindow: Int(try context.int("sigma_window")),
                wallBps: try context.double("wall_bps", symbol: symbol), depthLevels: Int(try context.int("depth_levels")))
            let index = Int(symbol.rawValue)
            if slot.count <= index { slot += Array(repeating: -1, count: index + 1 - slot.count) }
            slot[index] = Int32(made.count)
            made.append(SmartCandleBuilder(timeframes: parsed.values, parameters: parameters))
            names.append(instrument.symbol)
        }
        builders = .allocate(capacity: max(1, made.count))
        builders.initialize(from: made, count: made.count)
        builderCount = made.count
        self.names = names
        self.slot = slot
        var initial = MutableState(hostBook: context.hostBook())
        initial.finished.reserveCapacity(64)
        usesHostBook = initial.hostBook != nil
        state = .allocate(capacity: 1)
        state.initialize(to: initial)
    }

    deinit {
        builders.deinitialize(count: builderCount)
        builders.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    @inline(__always) private func index(_ symbol: SymbolID) -> Int? {
        let i = Int(symbol.rawValue)
        guard i < slot.count, slot[i] >= 0 else { return nil }
        return Int(slot[i])
    }

    func onTrade(_ trade: Trade) throws {
        guard let i = index(trade.symbol) else { return }
        builders[i].trade(price: trade.price, amount: trade.size, aggressorIsBuyer: trade.aggressor.map { $0 == .buy }, time: trade.info.eventTime)
        try advance(trade.info.time)
    }

    func onQuote(_ quote: Quote) throws {
        guard let i = index(quote.symbol) else { return }
        builders[i].quote(bidPrice: quote.bidPrice, bidSize: quote.bidSize, askPrice: quote.askPrice, askSize: quote.askSize, time: quote.info.eventTime)
        try advance(quote.info.time)
    }

    func onBook(_ book: BookUpdate) throws {
        guard let i = index(book.symbol) else { return }
        let state = self.state
        if usesHostBook {
            let symbol = book.symbol
            builders[i].bookMessage(time: book.info.eventTime) { bids, asks in state.pointee.hostBook!.levelsBefore(symbol, bids: &bids, asks: &asks) }
        } else {
            state.pointee.rows.removeAll(keepingCapacity: true)
            for change in book.changes { state.pointee.rows.append(BookRow(isBid: change.side == .buy, price: change.price, size: change.size)) }
            state.pointee.rows.withUnsafeBufferPointer { builders[i].bookMessage(time: book.info.eventTime, isSnapshot: book.isSnapshot, changes: $0) }
        }
        state.pointee.inBook = true
        defer { state.pointee.inBook = false }
        try advance(book.info.time)
    }

    /// iceberg.so's exhaustions (named fields, SDK 1.1): hidden volume by the iceberg's cohort,
    /// in the bucket of the exchange time of the message that exhausted it.
    func onSignal(_ signal: Signal) throws {
        guard signal.name == "iceberg.exhausted", let i = index(signal.symbol),
              let hidden = signal.field("hidden_volume"), let whale = signal.field("whale") else { return }
        let time = signal.field("status_time").map { Int64($0) } ?? signal.info.eventTime
        builders[i].icebergExhausted(hiddenVolume: hidden, whale: whale != 0, time: time)
        try advance(signal.info.time)
    }

    func stop() throws {
        state.pointee.nextCheck = .min
        try advance(context.now())
    }

    /// Finalizes what the clock passed, at most once per second of clock (every candle ends on
    /// a whole second), and upserts the finished candles.
    private func advance(_ clock: Int64) throws {
        let state = self.state
        guard clock >= state.pointee.nextCheck else { return }
        state.pointee.nextCheck = (clock - settle) / 1_000_000_000 * 1_000_000_000 + 1_000_000_000 + settle
        var late = 0
        for i in 0..<builderCount {
            state.pointee.finished.removeAll(keepingCapacity: true)
            if usesHostBook {
                let symbol = context.symbols[i], current = state.pointee.inBook
                builders[i].advance(clock: clock, settle: settle, into: &state.pointee.finished) { bids, asks in
                    // In onBook the host's current book is the book after the message; elsewhere
                    // "before" leaves out rows of a message still being received.
                    if current {
                        state.pointee.hostBook!.levels(symbol, bids: &bids, asks: &asks)
                    } else {
                        state.pointee.hostBook!.levelsBefore(symbol, bids: &bids, asks: &asks)
                    }
                }
            } else {
                builders[i].advance(clock: clock, settle: settle, into: &state.pointee.finished)
            }
            late += builders[i].lateRows
            for candle in state.pointee.finished { try write(candle, symbol: names[i]) }
        }
        if late > state.pointee.lateReported {
            context.counterAdd("late_rows", UInt64(late - state.pointee.lateReported))
            state.pointee.lateReported = late
        }
    }

    private func write(_ candle: SmartCandle, symbol: String) throws {
        var values: [RecordValue] = [.text(symbol), .text(Timeframes.name(candle.timeframe) ?? "\(candle.timeframe)ns"), .time(candle.start)]
        values.reserveCapacity(3 + SmartCandle.columnNames.count)
        for (k, value) in candle.columnValues.enumerated() {
            values.append(k == 8 ? .int(Int64(candle.trades)) : .number(value))
        }
        try context.upsert(Self.tableName, values)
    }
}

let manifest = PluginManifest(
    id: "dev.strategyhost.orderflow", name: "Order flow (smart candles)", version: "1.0.0",
    description: "Smart candles with order-flow features (SIGNALS.md §4), persisted in smart_candles.",
    kinds: [OrderFlow.self])

@_cdecl("tsh_plugin_entry")
public func tshPluginEntry() -> UnsafeRawPointer { manifest.pointer }
