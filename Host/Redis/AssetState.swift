import Foundation
import HostCore
import Synchronization

/// The screener's state of one symbol, as a UI consumer reads it: the latest signal of each
/// trigger kind, the watch list verdict, the latest QDE recommendation and each trading
/// instance's position. Times are engine time in epoch milliseconds.
public struct AssetState: Codable, Sendable, Equatable {
    public struct Trigger: Codable, Sendable, Equatable {
        public var direction: Int
        public var value: Double
        public var confidence: Double
        public var at: Int64
        public var instance: String
    }

    public struct Recommendation: Codable, Sendable, Equatable {
        /// "strong_buy" … "strong_sell" (QDE's label), score, direction and confidence.
        public var recommendation: String?
        public var score: Double
        public var direction: Int
        public var confidence: Double
        public var tp: Double?
        public var sl: Double?
        public var close: Double?
        public var at: Int64
        public var instance: String
    }

    public struct Trade: Codable, Sendable, Equatable {
        public var mode: String
        /// "long", "short" or "flat" after the last fill.
        public var state: String
        /// Exact decimals as text.
        public var position: String
        public var averagePrice: String
        public var realizedPnl: String
        public var lastFillSide: String
        public var lastFillPrice: String
        public var lastFillSize: String
        /// The order's tag: entry, take_profit, stop_loss, trailing_stop, …
        public var lastFillReason: String
        public var at: Int64
        /// ACTIVE, REDUCING or HALTED (the instance's trading state).
        public var tradingState: String
    }

    public var symbol: String
    public var updatedAt: Int64
    /// The prefilter's verdict (nil until one was given).
    public var watched: Bool?
    /// Trigger kind (the signal name after `trigger.`) → its latest signal.
    public var triggers: [String: Trigger] = [:]
    public var qde: Recommendation?
    /// Trading instance id → its position in this symbol.
    public var trades: [String: Trade] = [:]

    public init(symbol: String, updatedAt: Int64) {
        self.symbol = symbol
        self.updatedAt = updatedAt
    }
}

/// Builds the asset states from what the engine journals and publishes each change: the JSON
/// of the symbol's state on the `asset_state_update` channel and into the `asset_state_snapshot`
/// hash (field = symbol) for consumers that start late. Publishing goes through a
/// `RedisPublisher`, so the engine thread never waits on Redis, and Redis being away costs
/// nothing but the publication (counted and retried).
public final class AssetStatePublisher: JournalObserver {
    public static let channel = "asset_state_update"
    public static let snapshotKey = "asset_state_snapshot"

    private struct Board {
        var states: [String: AssetState] = [:]
        var instanceStates: [String: String] = [:]
        var instanceSymbols: [String: Set<String>] = [:]
    }

    private let publisher: RedisPublisher
    private let symbols: SymbolTable
    private let board = Mutex(Board())
    private let encoder: JSONEncoder

    public init(publisher: RedisPublisher, symbols: SymbolTable) {
        self.publisher = publisher
        self.symbols = symbols
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        self.encoder = encoder
    }

    /// The current state of a symbol (nil before anything about it was seen).
    public func state(_ symbol: String) -> AssetState? { board.withLock { $0.states[symbol] } }

    public func signalEmitted(_ signal: SignalRecord) {
        guard let symbol = signal.symbol else { return }
        let name = signal.name
        let isTrigger = name.hasPrefix("trigger.")
        guard isTrigger || name == "qde.recommendation" || name == "prefilter.watch" else { return }
        let at = signal.time / 1_000_000
        let updated = board.withLock { b -> AssetState in
            var state = b.states[symbol] ?? AssetState(symbol: symbol, updatedAt: at)
            state.updatedAt = at
            if isTrigger {
                state.triggers[String(name.dropFirst("trigger.".count))] = .init(
                    direction: Int(signal.direction), value: signal.value, confidence: signal.confidence, at: at, instance: signal.sourceInstanceID)
            } else if name == "prefilter.watch" {
                state.watched = signal.direction > 0
            } else {
                let payload = (try? JSONSerialization.jsonObject(with: Data(signal.payload.utf8))) as? [String: Any] ?? [:]
                state.qde = .init(recommendation: payload["recommendation"] as? String, score: signal.value, direction: Int(signal.direction),
                                  confidence: signal.confidence, tp: Self.finite(payload["tp"]), sl: Self.finite(payload["sl"]),
                                  close: Self.finite(payload["close"]), at: at, instance: signal.sourceInstanceID)
            }
            b.states[symbol] = state
            return state
        }
        publish(updated)
    }

    public func fillBooked(_ fill: FillRecord) {
        guard let symbol = symbols.instrument(fill.symbol)?.symbol else { return }
        let at = fill.timestamp / 1_000_000
        let updated = board.withLock { b -> AssetState in
            var state = b.states[symbol] ?? AssetState(symbol: symbol, updatedAt: at)
            state.updatedAt = at
            let q = fill.position.quantity
            state.trades[fill.instanceID] = .init(
                mode: fill.mode.description, state: q > 0 ? "long" : q < 0 ? "short" : "flat", position: "\(q)",
                averagePrice: "\(fill.position.averagePrice)", realizedPnl: "\(fill.position.realizedPnL)",
                lastFillSide: fill.side.description, lastFillPrice: "\(fill.price)", lastFillSize: "\(fill.size)",
                lastFillReason: fill.reason, at: at, tradingState: b.instanceStates[fill.instanceID] ?? TradingState.active.rawValue)
            b.instanceSymbols[fill.instanceID, default: []].insert(symbol)
            b.states[symbol] = state
            return state
        }
        publish(updated)
    }

    public func tradingStateChanged(instanceID: String, state: TradingState, reason: String, at time: Int64) {
        let changed = board.withLock { b -> [AssetState] in
            b.instanceStates[instanceID] = state.rawValue
            var out: [AssetState] = []
            for symbol in (b.instanceSymbols[instanceID] ?? []).sorted() {
                guard var s = b.states[symbol], s.trades[instanceID] != nil else { continue }
                s.trades[instanceID]!.tradingState = state.rawValue
                s.updatedAt = time / 1_000_000
                b.states[symbol] = s
                out.append(s)
            }
            return out
        }
        for s in changed { publish(s) }
    }

    private func publish(_ state: AssetState) {
        guard let data = try? encoder.encode(state) else { return }
        let json = String(decoding: data, as: UTF8.self)
        publisher.setHash(Self.snapshotKey, fields: [(state.symbol, json)])
        publisher.publish(Self.channel, json)
    }

    private static func finite(_ value: Any?) -> Double? {
        guard let d = (value as? NSNumber)?.doubleValue, d.isFinite else { return nil }
        return d
    }
}

/// The ticker cache: one hash per symbol, `ticker:<SYMBOL>`, with the fields below (numbers as
/// exact decimal text, `updated_at` in epoch milliseconds) and a 60 s expiry re-armed by every
/// write, so a symbol whose feed stops disappears from the cache.
public struct TickerSnapshot: Sendable, Equatable {
    public var symbol: String
    public var lastPrice: String
    /// 24 h change as a fraction (0.0123 = +1.23 %), as the venues report it.
    public var price24hPct: String
    public var high24h: String
    public var low24h: String
    public var volume24h: String
    public var turnover24h: String
    public var updatedAtMs: Int64

    public init(symbol: String, lastPrice: String, price24hPct: String, high24h: String, low24h: String,
                volume24h: String, turnover24h: String, updatedAtMs: Int64) {
        self.symbol = symbol
        self.lastPrice = lastPrice
        self.price24hPct = price24hPct
        self.high24h = high24h
        self.low24h = low24h
        self.volume24h = volume24h
        self.turnover24h = turnover24h
        self.updatedAtMs = updatedAtMs
    }

    public static let ttlSeconds = 60
    public static func key(_ symbol: String) -> String { "ticker:" + symbol }

    public var fields: [(String, String)] {
        [("symbol", symbol), ("last_price", lastPrice), ("price_24h_pct", price24hPct), ("high_24h", high24h), ("low_24h", low24h),
         ("volume_24h", volume24h), ("turnover_24h", turnover24h), ("updated_at", String(updatedAtMs))]
    }
}

extension RedisPublisher {
    /// Writes a symbol's ticker hash (coalesced with pending writes of the same symbol).
    public func cacheTicker(_ ticker: TickerSnapshot) {
        setHash(TickerSnapshot.key(ticker.symbol), fields: ticker.fields, ttlSeconds: TickerSnapshot.ttlSeconds)
    }
}
