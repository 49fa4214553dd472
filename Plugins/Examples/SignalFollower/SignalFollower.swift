import StrategySDK

/// Trades the signals of triggers, filtered by an EMA trend, with a fixed notional and a
/// take-profit / stop-loss exit. Shows a strategy consuming the signal bus.
final class SignalFollower: StrategyPlugin {
    static let kind = PluginKind(
        id: "signal_follower",
        description: "Buys or sells on trigger signals when the EMA trend agrees; exits on take-profit or stop-loss.",
        roles: [.strategy], events: [.quote, .signal, .order],
        parameters: [
            .string("signal_name", default: "trigger.price_move", doc: "Signal name to act on."),
            .double("min_confidence", default: 0.5, range: 0...1, doc: "Ignore signals below this confidence."),
            .int("trend_period", default: 50, range: 1...10_000, doc: "EMA period of the trend filter, in quotes."),
            .double("order_notional", default: 100, range: 1...1_000_000, unit: "quote asset", doc: "Notional of each entry."),
            .double("take_profit_bps", default: 30, range: 1...10_000, unit: "bps", doc: "Exit when the position gains this much."),
            .double("stop_loss_bps", default: 20, range: 1...10_000, unit: "bps", doc: "Exit when the position loses this much."),
        ],
        emits: [])

    private struct SymbolState {
        var ema = Double.nan
        var alpha = 0.0
        var lastMid = Double.nan
        var entryPrice = Double.nan
        var pendingOrder: UInt64?
        var retryAfter: Int64 = .min
    }

    private let context: PluginContext
    private var states: [SymbolID: SymbolState] = [:]
    private let signalName: String
    private let minConfidence: Double
    private let notional: Double
    private let takeProfit: Double
    private let stopLoss: Double

    init(context: PluginContext) throws {
        self.context = context
        signalName = try context.string("signal_name")
        minConfidence = try context.double("min_confidence")
        notional = try context.double("order_notional")
        takeProfit = try context.double("take_profit_bps") / 10_000
        stopLoss = try context.double("stop_loss_bps") / 10_000
        for symbol in context.symbols {
            var state = SymbolState()
            state.alpha = 2 / (Double(try context.int("trend_period", symbol: symbol)) + 1)
            states[symbol] = state
        }
    }

    func onQuote(_ quote: Quote) throws {
        guard var state = states[quote.symbol] else { return }
        let mid = quote.mid
        state.ema = state.ema.isNaN ? mid : state.ema + state.alpha * (mid - state.ema)
        state.lastMid = mid
        states[quote.symbol] = state
        try manageExit(quote.symbol)
    }

    func onSignal(_ signal: Signal) throws {
        guard signal.name == signalName, signal.confidence >= minConfidence, signal.direction != 0,
              let state = states[signal.symbol], state.pendingOrder == nil, !state.lastMid.isNaN else { return }
        guard try context.position(signal.symbol).quantity == 0 else { return }
        let trendUp = state.lastMid >= state.ema
        let side: Side = signal.direction > 0 ? .buy : .sell
        guard (side == .buy) == trendUp else { return }
        try enter(signal.symbol, side: side, mid: state.lastMid)
    }

    func onOrder(_ update: OrderEvent) throws {
        guard let symbol = states.first(where: { $0.value.pendingOrder == update.clientOrderID })?.key else { return }
        switch update.status {
        case .filled, .canceled, .rejected, .expired, .denied:
            states[symbol]?.pendingOrder = nil
            if update.filledSize > 0, try context.position(symbol).quantity != 0 {
                states[symbol]?.entryPrice = update.averageFillPrice
            }
        default: break
        }
    }

    /// A whole number of lots, as the double nearest its decimal value (so that
    /// 13 × 0.0001 crosses the ABI as 0.0013, not 0.0013000000000000002).
    static func snap(_ value: Double, to lot: Double, rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) -> Double {
        let lots = (value / lot).rounded(rule)
        return (lots * lot * 1e10).rounded() / 1e10
    }

    private func enter(_ symbol: SymbolID, side: Side, mid: Double) throws {
        let instrument = try context.instrument(symbol)
        let size = Self.snap(notional / mid, to: instrument.lotSize, rule: .down)
        guard size >= instrument.minSize else { return }
        let result = Result { () throws(PluginError) -> UInt64 in
            try context.submitOrder(symbol: symbol, side: side, type: .market, size: size, timeInForce: .fak, tag: "trigger")
        }
        switch result {
        case .success(let id): states[symbol]?.pendingOrder = id
        case .failure(let error) where error.isDenied: context.log(.warning, "entry denied: \(error.message)")
        case .failure(let error): throw error
        }
    }

    private func manageExit(_ symbol: SymbolID) throws {
        guard let state = states[symbol], state.pendingOrder == nil, !state.entryPrice.isNaN,
              context.now() >= state.retryAfter else { return }
        let lot = try context.instrument(symbol).lotSize
        // Positions come back as doubles: snap to whole lots before sending.
        let quantity = Self.snap(try context.position(symbol).quantity, to: lot)
        guard quantity != 0 else { return }
        let move = (state.lastMid - state.entryPrice) / state.entryPrice * (quantity > 0 ? 1 : -1)
        let reason: String
        if move >= takeProfit { reason = "take_profit" } else if move <= -stopLoss { reason = "stop_loss" } else { return }
        let result = Result { () throws(PluginError) -> UInt64 in
            try context.submitOrder(symbol: symbol, side: quantity > 0 ? .sell : .buy, type: .market, size: abs(quantity),
                                    timeInForce: .fak, reduceOnly: true, tag: reason)
        }
        switch result {
        case .success(let id):
            states[symbol]?.pendingOrder = id
            states[symbol]?.entryPrice = .nan
        case .failure(let error) where error.isDenied:
            if error.denyReason == TSH_DENY_BELOW_MIN_NOTIONAL {
                // A remainder too small to trade: leave it rather than retry forever.
                states[symbol]?.entryPrice = .nan
                context.log(.notice, "position left open: too small to exit (\(error.message))")
            } else {
                // Do not hammer risk with the same order on every quote.
                states[symbol]?.retryAfter = context.now() + 60_000_000_000
                context.log(.warning, "exit denied: \(error.message)")
            }
        case .failure(let error): throw error
        }
    }
}

let manifest = PluginManifest(
    id: "dev.strategyhost.signal_follower", name: "Signal follower", version: "1.0.0",
    description: "Example strategy that trades trigger signals through the host's signal bus.", kinds: [SignalFollower.self])

@_cdecl("tsh_plugin_entry")
public func tshPluginEntry() -> UnsafeRawPointer { manifest.pointer }
