import StrategySDK

// Stage 3 of the screener: trades `qde.recommendation` signals. Opens a position in the
// recommended direction when |score| and confidence clear their thresholds, with the
// recommendation's TP and SL; trails the stop behind the best price by the initial stop
// distance; closes at TP, SL, on an opposite recommendation or after `max_hold_ms`. The trade
// of each symbol is kept in the host's state store, so a restart resumes it. Paper or live per
// instance, like every plugin.

/// One symbol's trade, as stored (`trade.<symbol id>`): a line of space-separated fields.
struct TradeState: Equatable {
    var direction: Int  // +1 long, −1 short, 0 flat
    var entry: Double
    var takeProfit: Double
    var stopLoss: Double
    var trailDistance: Double
    var best: Double
    var openedAt: Int64

    static let flat = TradeState(direction: 0, entry: 0, takeProfit: 0, stopLoss: 0, trailDistance: 0, best: 0, openedAt: 0)

    var encoded: [UInt8] {
        Array("\(direction) \(entry) \(takeProfit) \(stopLoss) \(trailDistance) \(best) \(openedAt)".utf8)
    }

    init(direction: Int, entry: Double, takeProfit: Double, stopLoss: Double, trailDistance: Double, best: Double, openedAt: Int64) {
        self.direction = direction
        self.entry = entry
        self.takeProfit = takeProfit
        self.stopLoss = stopLoss
        self.trailDistance = trailDistance
        self.best = best
        self.openedAt = openedAt
    }

    init?(_ bytes: [UInt8]) {
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: " ")
        guard parts.count == 7, let d = Int(parts[0]), let e = Double(parts[1]), let tp = Double(parts[2]), let sl = Double(parts[3]),
              let trail = Double(parts[4]), let best = Double(parts[5]), let opened = Int64(parts[6]) else { return nil }
        self.init(direction: d, entry: e, takeProfit: tp, stopLoss: sl, trailDistance: trail, best: best, openedAt: opened)
    }
}

final class SignalTrader: StrategyPlugin {
    static let kind = PluginKind(
        id: "signal_trader", description: "Stage 3: enters on qde.recommendation above thresholds with its TP/SL, trails the stop, exits; resumes after a restart.",
        roles: [.strategy], events: [.quote, .trade, .signal, .order],
        parameters: [
            .string("signal_name", default: "qde.recommendation", perSymbol: false, doc: "The recommendation signal to trade."),
            .double("min_score", default: 0.3, range: 0...1, doc: "Enter only when |score| (the signal's value) reaches this."),
            .double("min_confidence", default: 0.5, range: 0...1, doc: "Enter only when the signal's confidence reaches this."),
            .double("order_notional", default: 100, range: 0.01...10_000_000, unit: "quote asset", doc: "Notional of each entry."),
            .bool("trail", default: true, doc: "Move the stop behind the best price by the initial stop distance."),
            .bool("close_on_opposite", default: true, doc: "Close when a recommendation of the other direction clears the thresholds."),
            .int("max_hold_ms", default: 0, range: 0...604_800_000, unit: "ms", doc: "Close a position held this long (0: never)."),
        ],
        emits: [])

    struct Slot {
        var trade = TradeState.flat
        var last = Double.nan
        var pending: UInt64?
        /// The entry being placed: direction, TP, SL from the recommendation.
        var plan: (direction: Int, tp: Double, sl: Double)?
    }

    private let context: PluginContext
    private let signalName: String
    private var slots: [SymbolID: Slot] = [:]

    init(context: PluginContext) throws {
        self.context = context
        signalName = try context.string("signal_name")
        for symbol in context.symbols {
            var slot = Slot()
            // Resume a trade the previous run left open, if the position is still there.
            if let bytes = context.state(Self.key(symbol)), let trade = TradeState(bytes), trade.direction != 0 {
                let quantity = (try? context.position(symbol).quantity) ?? 0
                if quantity != 0 && (quantity > 0) == (trade.direction > 0) {
                    slot.trade = trade
                    context.log(.info, "resumed \(trade.direction > 0 ? "long" : "short") from \(trade.entry), TP \(trade.takeProfit), SL \(trade.stopLoss)")
                } else {
                    context.deleteState(Self.key(symbol))
                }
            }
            slots[symbol] = slot
        }
    }

    static func key(_ symbol: SymbolID) -> String { "trade.\(symbol.rawValue)" }

    func onQuote(_ quote: Quote) throws { try price(quote.symbol, quote.mid, time: quote.info.eventTime) }
    func onTrade(_ trade: Trade) throws { try price(trade.symbol, trade.price, time: trade.info.eventTime) }

    func onSignal(_ signal: Signal) throws {
        guard signal.name == signalName, var slot = slots[signal.symbol] else { return }
        defer { slots[signal.symbol] = slot }
        let minScore = try context.double("min_score", symbol: signal.symbol)
        let minConfidence = try context.double("min_confidence", symbol: signal.symbol)
        guard signal.direction != 0, abs(signal.value) >= minScore, signal.confidence >= minConfidence, slot.pending == nil else { return }
        let direction = Int(signal.direction)
        if slot.trade.direction != 0 {
            if slot.trade.direction != direction, try context.bool("close_on_opposite", symbol: signal.symbol) {
                try exit(signal.symbol, &slot, reason: "opposite")
            }
            return
        }
        guard let tp = JSONFields.number("tp", in: signal.payload), let sl = JSONFields.number("sl", in: signal.payload),
              !slot.last.isNaN, (tp - slot.last) * Double(direction) > 0, (slot.last - sl) * Double(direction) > 0 else { return }
        let instrument = try context.instrument(signal.symbol)
        let lots = (try context.double("order_notional", symbol: signal.symbol) / slot.last / instrument.lotSize).rounded(.down)
        let size = (lots * instrument.lotSize * 1e10).rounded() / 1e10
        guard size >= instrument.minSize, size > 0 else { return }
        let result = Result { () throws(PluginError) -> UInt64 in
            try context.submitOrder(symbol: signal.symbol, side: direction > 0 ? .buy : .sell, type: .market, size: size,
                                    timeInForce: .fak, tag: "signal_trader entry")
        }
        switch result {
        case .success(let id):
            slot.pending = id
            slot.plan = (direction, tp, sl)
        case .failure(let error) where error.isDenied: context.log(.warning, "entry denied: \(error.message)")
        case .failure(let error): throw error
        }
    }

    func onOrder(_ update: OrderEvent) throws {
        guard let symbol = slots.first(where: { $0.value.pending == update.clientOrderID })?.key, var slot = slots[symbol] else { return }
        defer { slots[symbol] = slot }
        switch update.status {
        case .filled, .canceled, .rejected, .expired, .denied:
            slot.pending = nil
            if let plan = slot.plan {
                slot.plan = nil
                if update.filledSize > 0 {
                    let entry = update.averageFillPrice
                    slot.trade = TradeState(direction: plan.direction, entry: entry, takeProfit: plan.tp, stopLoss: plan.sl,
                                            trailDistance: abs(entry - plan.sl), best: entry, openedAt: update.info.time)
                    try context.setState(Self.key(symbol), slot.trade.encoded)
                }
            } else if update.filledSize > 0 {
                // An exit filled: flat once the position is gone.
                if try context.position(symbol).quantity == 0 {
                    slot.trade = .flat
                    context.deleteState(Self.key(symbol))
                }
            }
        default:
            break
        }
    }

    private func price(_ symbol: SymbolID, _ price: Double, time: Int64) throws {
        guard var slot = slots[symbol], price.isFinite else { return }
        defer { slots[symbol] = slot }
        slot.last = price
        guard slot.trade.direction != 0, slot.pending == nil else { return }
        let d = Double(slot.trade.direction)
        if try context.bool("trail", symbol: symbol), (price - slot.trade.best) * d > 0 {
            slot.trade.best = price
            let trailed = price - d * slot.trade.trailDistance
            if (trailed - slot.trade.stopLoss) * d > 0 {
                slot.trade.stopLoss = trailed
                try context.setState(Self.key(symbol), slot.trade.encoded)
            }
        }
        let maxHold = try context.int("max_hold_ms", symbol: symbol) * 1_000_000
        if (price - slot.trade.takeProfit) * d >= 0 {
            try exit(symbol, &slot, reason: "take_profit")
        } else if (slot.trade.stopLoss - price) * d >= 0 {
            try exit(symbol, &slot, reason: "stop_loss")
        } else if maxHold > 0 && context.now() - slot.trade.openedAt >= maxHold {
            try exit(symbol, &slot, reason: "max_hold")
        }
    }

    private func exit(_ symbol: SymbolID, _ slot: inout Slot, reason: String) throws {
        let quantity = try context.position(symbol).quantity
        guard quantity != 0 else {
            slot.trade = .flat
            context.deleteState(Self.key(symbol))
            return
        }
        let lot = try context.instrument(symbol).lotSize
        let size = ((abs(quantity) / lot).rounded() * lot * 1e10).rounded() / 1e10
        let result = Result { () throws(PluginError) -> UInt64 in
            try context.submitOrder(symbol: symbol, side: quantity > 0 ? .sell : .buy, type: .market, size: size,
                                    timeInForce: .fak, reduceOnly: true, tag: reason)
        }
        switch result {
        case .success(let id): slot.pending = id
        case .failure(let error) where error.isDenied: context.log(.warning, "\(reason) exit denied: \(error.message)")
        case .failure(let error): throw error
        }
    }
}

let manifest = PluginManifest(
    id: "dev.strategyhost.signal_trader", name: "Signal trader", version: "1.0.0",
    description: "Stage 3 of the screener: trades qde.recommendation signals with their TP/SL, trailing, resuming after restarts.",
    kinds: [SignalTrader.self])

@_cdecl("tsh_plugin_entry")
public func tshPluginEntry() -> UnsafeRawPointer { manifest.pointer }
