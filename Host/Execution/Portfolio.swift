import Foundation
import HostCore

/// One instance's position in one symbol, in one mode. All amounts are exact.
public struct PositionState: Sendable, Hashable {
    /// Signed: > 0 long, < 0 short.
    public var quantity: Decimal
    /// Average entry price of the open quantity; 0 when flat.
    public var averagePrice: Decimal
    /// Realized PnL of closed quantity, before fees.
    public var realizedPnL: Decimal
    /// Fees paid on this symbol's fills.
    public var fees: Decimal

    public init(quantity: Decimal = 0, averagePrice: Decimal = 0, realizedPnL: Decimal = 0, fees: Decimal = 0) {
        self.quantity = quantity
        self.averagePrice = averagePrice
        self.realizedPnL = realizedPnL
        self.fees = fees
    }

    /// PnL of the open quantity marked at `mark`.
    public func unrealizedPnL(mark: Decimal) -> Decimal { quantity * (mark - averagePrice) }

    /// Adds a signed fill and returns the PnL it realized.
    ///
    /// Increases move the average price; reductions realize (price − average) × closed size
    /// for longs (the reverse for shorts); a flip realizes the whole old position and opens the
    /// rest at the fill price.
    mutating func apply(signedSize: Decimal, price: Decimal) -> Decimal {
        let old = quantity
        let new = old + signedSize
        if old == 0 || (old > 0) == (signedSize > 0) {
            averagePrice = (old.magnitude * averagePrice + signedSize.magnitude * price) / new.magnitude
            quantity = new
            return 0
        }
        let closed = min(old.magnitude, signedSize.magnitude)
        let realized = closed * (price - averagePrice) * (old > 0 ? 1 : -1)
        realizedPnL += realized
        quantity = new
        if new == 0 {
            averagePrice = 0
        } else if (new > 0) != (old > 0) {
            averagePrice = price
        }
        return realized
    }
}

/// Positions, cash and daily statistics per plugin instance, kept apart per trading mode.
///
/// Cash is one balance per (instance, mode) in the quote asset of the instruments traded;
/// every key includes the mode, so paper and live never mix.
///
/// - Important: Not thread-safe; owned by the engine thread (or kept behind a `Mutex`).
public struct Portfolio: Sendable {
    public let startingCash: Decimal
    private var positions: [PositionKey: PositionState] = [:]
    private var cashByAccount: [AccountKey: Decimal] = [:]
    private var days: [DayKey: DayStats] = [:]
    /// Quote assets of the instruments each account has traded: its cash assets.
    private var quoteAssets: [AccountKey: Set<String>] = [:]

    private struct AccountKey: Hashable, Sendable { var instance: Int; var mode: TradingMode }
    private struct PositionKey: Hashable, Sendable { var account: AccountKey; var symbol: SymbolID }
    private struct DayKey: Hashable, Sendable { var account: AccountKey; var day: Int64 }
    private struct DayStats: Sendable { var realizedPnL: Decimal = 0; var fees: Decimal = 0; var trades = 0 }

    private static let nanosecondsPerDay: Int64 = 86_400_000_000_000

    /// - Parameter startingCash: Cash of every (instance, mode) before its first fill, in the quote asset.
    public init(startingCash: Decimal) {
        self.startingCash = startingCash
    }

    /// The UTC day number of a time in ns since the Unix epoch.
    public static func day(of timestamp: Int64) -> Int64 {
        let (quotient, remainder) = timestamp.quotientAndRemainder(dividingBy: nanosecondsPerDay)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// Books the fill of `fill` (updates without a fill change nothing): a buy adds to the
    /// position and spends cash, a sell subtracts and receives cash; the fee is taken from cash
    /// and accumulated on the position and the fill's UTC day, which also counts the trade.
    ///
    /// - Parameter instrument: The fill's instrument; its quote asset is the cash asset.
    /// - Returns: The PnL the fill realized (before fees); zero for updates without a fill.
    @discardableResult
    public mutating func apply(_ fill: OrderUpdate, mode: TradingMode, instrument: Instrument) -> Decimal {
        guard fill.lastFillSize > 0 else { return 0 }
        return book(instance: fill.instance, mode: mode, symbol: fill.symbol, side: fill.side, price: fill.lastFillPrice,
                    size: fill.lastFillSize, fee: fill.lastFee, timestamp: fill.timestamp, quoteAsset: instrument.quoteAsset)
    }

    /// Rebuilds an account from its committed fills (oldest first) after a restart; the
    /// result is exactly what booking them live produced.
    public mutating func restore(instance: Int, mode: TradingMode, fills: [(symbol: SymbolID, fill: StoredFill)], instruments: SymbolTable) {
        for (symbol, fill) in fills {
            _ = book(instance: instance, mode: mode, symbol: symbol, side: fill.side, price: fill.price, size: fill.size, fee: fill.fee,
                 timestamp: fill.timestamp, quoteAsset: instruments.instrument(symbol)?.quoteAsset ?? "")
        }
    }

    private mutating func book(instance: Int, mode: TradingMode, symbol: SymbolID, side: Side, price: Decimal, size: Decimal,
                               fee: Decimal, timestamp: Int64, quoteAsset: String) -> Decimal {
        let account = AccountKey(instance: instance, mode: mode)
        let signedSize = side == .buy ? size : -size
        var position = positions[PositionKey(account: account, symbol: symbol)] ?? PositionState()
        let realized = position.apply(signedSize: signedSize, price: price)
        position.fees += fee
        positions[PositionKey(account: account, symbol: symbol)] = position

        cashByAccount[account, default: startingCash] -= signedSize * price + fee
        quoteAssets[account, default: []].insert(quoteAsset)

        let dayKey = DayKey(account: account, day: Self.day(of: timestamp))
        days[dayKey, default: DayStats()].realizedPnL += realized
        days[dayKey, default: DayStats()].fees += fee
        days[dayKey, default: DayStats()].trades += 1
        return realized
    }

    /// The position (flat when none).
    public func position(instance: Int, mode: TradingMode, symbol: SymbolID) -> PositionState {
        positions[PositionKey(account: AccountKey(instance: instance, mode: mode), symbol: symbol)] ?? PositionState()
    }

    /// Every symbol the instance has traded in `mode`, flat ones included.
    public func positions(instance: Int, mode: TradingMode) -> [SymbolID: PositionState] {
        var result: [SymbolID: PositionState] = [:]
        for (key, state) in positions where key.account == AccountKey(instance: instance, mode: mode) {
            result[key.symbol] = state
        }
        return result
    }

    /// Sets an account's cash to what its venue reports (live reconciliation at start).
    public mutating func setCash(_ amount: Decimal, instance: Int, mode: TradingMode, quoteAsset: String) {
        let account = AccountKey(instance: instance, mode: mode)
        cashByAccount[account] = amount
        quoteAssets[account, default: []].insert(quoteAsset)
    }

    public func cash(instance: Int, mode: TradingMode) -> Decimal {
        cashByAccount[AccountKey(instance: instance, mode: mode)] ?? startingCash
    }

    /// The balance of `asset`: the cash when it is the quote asset of any instrument in
    /// `instruments` or of any instrument the account traded, otherwise the sum of the long positions in symbols with that base asset.
    /// The paper venue reserves nothing for working orders, so `locked` is zero and
    /// `available` equals `total`.
    public func balance(instance: Int, mode: TradingMode, asset: String, instruments: SymbolTable) -> (total: Decimal, available: Decimal, locked: Decimal) {
        let total: Decimal
        let account = AccountKey(instance: instance, mode: mode)
        if quoteAssets[account]?.contains(asset) == true || instruments.instruments.contains(where: { $0.quoteAsset == asset }) {
            total = cash(instance: instance, mode: mode)
        } else {
            // In symbol order, so the sum never depends on a dictionary's order.
            total = positions(instance: instance, mode: mode).sorted { $0.key.rawValue < $1.key.rawValue }.reduce(0) { sum, entry in
                guard entry.value.quantity > 0, instruments.instrument(entry.key)?.baseAsset == asset else { return sum }
                return sum + entry.value.quantity
            }
        }
        return (total, total, 0)
    }

    /// Realized PnL minus fees of the fills on UTC `day` (= ns / 86 400 × 10⁹).
    public func dailyRealizedPnL(instance: Int, mode: TradingMode, day: Int64) -> Decimal {
        guard let stats = days[DayKey(account: AccountKey(instance: instance, mode: mode), day: day)] else { return 0 }
        return stats.realizedPnL - stats.fees
    }

    /// Fills on UTC `day`.
    public func tradesToday(instance: Int, mode: TradingMode, day: Int64) -> Int {
        days[DayKey(account: AccountKey(instance: instance, mode: mode), day: day)]?.trades ?? 0
    }
}
