import Foundation

/// makerAmount/takerAmount in 6-decimal base units, computed exactly as py-clob-client-v2's builder
/// (`get_order_amounts` / `get_market_order_amounts` with `ROUNDING_CONFIG`), but in exact `Decimal`.
public enum OrderAmounts {
    /// A limit order of `size` shares at `price`: BUY gives price×size pUSD for size shares, SELL the reverse.
    public static func limit(side: OrderSide, price: Decimal, size: Decimal, tick: TickSize) throws(SigningError) -> (maker: UInt64, taker: UInt64) {
        try validate(price: price, tick: tick)
        try validatePositive(size, "size")
        let shares = round(size, tick.sizeDecimals, .down)
        let cost = roundAmount(shares * price, tick)
        return side == .buy
            ? (try baseUnits(cost, "maker amount (price × size)"), try baseUnits(shares, "size"))
            : (try baseUnits(shares, "size"), try baseUnits(cost, "taker amount (price × size)"))
    }

    /// A marketable order: BUY spends `amount` pUSD (at most `price` per share), SELL sells `amount` shares
    /// (at least `price` per share).
    public static func market(side: OrderSide, amount: Decimal, price: Decimal, tick: TickSize) throws(SigningError) -> (maker: UInt64, taker: UInt64) {
        try validate(price: price, tick: tick)
        try validatePositive(amount, "amount")
        let given = round(amount, tick.sizeDecimals, .down)
        let received = roundAmount(side == .buy ? given / price : given * price, tick)
        return (try baseUnits(given, "amount"), try baseUnits(received, side == .buy ? "shares (amount / price)" : "proceeds (amount × price)"))
    }

    /// Price must be a multiple of the tick within [tick, 1 − tick].
    static func validate(price: Decimal, tick: TickSize) throws(SigningError) {
        let steps = price / tick.value
        guard !price.isNaN, round(steps, 0, .plain) == steps else {
            let below = round(steps, 0, .down) * tick.value
            throw SigningError(.priceOffTick, "price \(price) is not on the \(tick) tick grid; use a multiple of \(tick) such as \(below) or \(below + tick.value)")
        }
        guard price >= tick.value, price <= 1 - tick.value else {
            throw SigningError(.priceOffTick, "price \(price) is outside [\(tick.value), \(1 - tick.value)] for tick \(tick); clamp it into that range")
        }
    }

    private static func validatePositive(_ value: Decimal, _ name: String) throws(SigningError) {
        guard !value.isNaN, value > 0 else { throw SigningError(.invalidAmount, "\(name) must be positive, got \(value)") }
    }

    /// More than `amountDecimals` places: round up at amount+4 (absorbs binary noise in the Python
    /// original), and if still too long, round down at `amountDecimals`.
    private static func roundAmount(_ value: Decimal, _ tick: TickSize) -> Decimal {
        guard hasMorePlaces(value, than: tick.amountDecimals) else { return value }
        let up = round(value, tick.amountDecimals + 4, .up)
        return hasMorePlaces(up, than: tick.amountDecimals) ? round(up, tick.amountDecimals, .down) : up
    }

    private static func hasMorePlaces(_ value: Decimal, than places: Int) -> Bool {
        round(value, places, .down) != value
    }

    private static func round(_ value: Decimal, _ places: Int, _ mode: Decimal.RoundingMode) -> Decimal {
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, places, mode)
        return result
    }

    /// × 10^6, half-even if a fraction remains (`to_token_decimals`); zero is refused: the venue rejects it.
    private static func baseUnits(_ value: Decimal, _ name: String) throws(SigningError) -> UInt64 {
        let scaled = round(value * 1_000_000, 0, .bankers)
        guard scaled > 0, scaled <= Decimal(UInt64.max) else {
            throw SigningError(.invalidAmount, "\(name) \(value) rounds to \(scaled) base units; it must be at least 0.000001 and fit in 64 bits")
        }
        // `scaled` is a non-negative integer below 2^64, so its plain decimal text parses exactly.
        return UInt64(scaled.description)!
    }
}
