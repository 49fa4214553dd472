import Foundation
import HostCore
import HostFeeds
import PolymarketREST
import Synchronization

/// One configured up/down series on the live venue: its stable host symbols and the Gamma
/// windows (markets) behind them over time.
///
/// The host trades a series through three symbols that outlive any window — `BTC-5M-UP`,
/// `BTC-5M-DOWN` and the oracle `BTC-USD` — exactly as on the simulated feed; at each moment
/// the Up/Down symbols stand for the tokens of the *active* window.
public struct PolymarketSeries: Sendable {
    public var asset: String
    public var duration: UpDownDuration
    public var up: SymbolID
    public var down: SymbolID
    public var oracle: SymbolID

    public init(asset: String, duration: UpDownDuration, up: SymbolID, down: SymbolID, oracle: SymbolID) {
        self.asset = asset
        self.duration = duration
        self.up = up
        self.down = down
        self.oracle = oracle
    }

    /// Host symbol names of a series (`BTC-5M-UP`, `BTC-5M-DOWN`, `BTC-USD`), as the
    /// simulated up/down feed names them.
    public static func symbolNames(asset: String, duration: UpDownDuration) -> (up: String, down: String, oracle: String) {
        UpDownSimulation.symbolNames(asset: asset, windowMinutes: Int(duration.seconds / 60))
    }

    /// Registers a series' instruments (Polymarket rules: 5-share resting minimum, $1
    /// marketable minimum; tick from the venue, 0.01 until discovery says otherwise).
    public static func register(asset: String, duration: UpDownDuration, in symbols: inout SymbolTable) -> PolymarketSeries {
        let ids = UpDownSimulation.instruments(asset: asset, windowMinutes: Int(duration.seconds / 60)).map { symbols.register($0) }
        return PolymarketSeries(asset: asset.lowercased(), duration: duration, up: ids[0], down: ids[1], oracle: ids[2])
    }
}

/// What the venue adapter needs to trade a host symbol right now.
public struct PolymarketToken: Sendable, Hashable {
    public var tokenID: String
    public var conditionID: String
    public var tickSize: Decimal
    public var minOrderSize: Decimal
    public var negRisk: Bool
    public var feeSchedule: GammaMarket.FeeSchedule?
    public var windowEndMs: Int64
}

/// The live mapping between host symbols and Polymarket tokens, shared by the feed (which
/// moves it at each rollover) and the venue adapter (which signs orders for the token a
/// symbol stands for). Thread-safe.
public final class PolymarketMarkets: Sendable {
    public let series: [PolymarketSeries]
    private let state = Mutex(State())

    struct State {
        /// Symbol index → the token it stands for now.
        var active: [Int: PolymarketToken] = [:]
        /// Every token the host has seen → (symbol, its market), for fills of past windows.
        var tokens: [String: (symbol: SymbolID, token: PolymarketToken)] = [:]
    }

    public init(series: [PolymarketSeries]) {
        self.series = series
    }

    /// Makes `market` the active window of `series`.
    public func activate(_ market: GammaMarket, series: PolymarketSeries) {
        let up = Self.token(market, tokenID: market.upTokenID), down = Self.token(market, tokenID: market.downTokenID)
        state.withLock {
            $0.active[series.up.index] = up
            $0.active[series.down.index] = down
            $0.tokens[up.tokenID] = (series.up, up)
            $0.tokens[down.tokenID] = (series.down, down)
        }
    }

    /// Records a known (not yet active) window's tokens, so fills and books of it resolve.
    public func remember(_ market: GammaMarket, series: PolymarketSeries) {
        state.withLock {
            $0.tokens[market.upTokenID] = (series.up, Self.token(market, tokenID: market.upTokenID))
            $0.tokens[market.downTokenID] = (series.down, Self.token(market, tokenID: market.downTokenID))
        }
    }

    /// The token a symbol stands for now.
    public func activeToken(_ symbol: SymbolID) -> PolymarketToken? { state.withLock { $0.active[symbol.index] } }

    /// The symbol a token belongs to, and its market data.
    public func lookup(tokenID: String) -> (symbol: SymbolID, token: PolymarketToken)? { state.withLock { $0.tokens[tokenID] } }

    /// Records a venue tick-size change for a token.
    public func setTickSize(_ tick: Decimal, tokenID: String) {
        state.withLock { s in
            guard var entry = s.tokens[tokenID] else { return }
            entry.token.tickSize = tick
            s.tokens[tokenID] = entry
            if s.active[entry.symbol.index]?.tokenID == tokenID { s.active[entry.symbol.index] = entry.token }
        }
    }

    /// Condition ids of the active windows (the user channel's market filter).
    public var activeConditionIDs: [String] { state.withLock { Array(Set($0.active.values.map(\.conditionID))).sorted() } }

    static func token(_ market: GammaMarket, tokenID: String) -> PolymarketToken {
        PolymarketToken(tokenID: tokenID, conditionID: market.conditionID, tickSize: market.tickSize, minOrderSize: market.minOrderSize,
                        negRisk: market.negRisk, feeSchedule: market.feeSchedule, windowEndMs: market.windowEndMs)
    }
}
