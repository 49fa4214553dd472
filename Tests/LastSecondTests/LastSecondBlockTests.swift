import Foundation
import HostCore
import HostEngine
import HostPlugins
import HostTesting
import Testing

/// Every reason `last_second` gives for not entering, each reported as a
/// `last_second.blocked` signal whose payload is the reason.
@Suite("last_second block reasons")
struct LastSecondBlockTests {
    @Test("outside_trigger_window: does nothing (and signals nothing) while more than trigger_seconds remain")
    func outsideTriggerWindow() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat(through: 871)
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 869, bid: "0.94", ask: "0.95")  // 31 s left
        #expect(h.orders.isEmpty)
        #expect(h.blocked.isEmpty)
        h.quote("BTC-15M-UP", at: 871, bid: "0.94", ask: "0.95")  // 29 s left
        #expect(h.entries.count == 1)
    }

    @Test("already_entered: one entry per window")
    func alreadyEntered() throws {
        let h = try LastSecondHarness()
        h.enterUp()
        h.quote("BTC-15M-UP", at: 878, bid: "0.94", ask: "0.95")
        #expect(h.entries.count == 1)
        #expect(h.blocked == ["already_entered"])
    }

    @Test("order_pending: waits while the entry order has not reached the venue")
    func orderPending() throws {
        let h = try LastSecondHarness(latencyNs: 3_000_000_000)
        h.enterUp()
        h.quote("BTC-15M-UP", at: 876, bid: "0.94", ask: "0.95")
        #expect(h.entries.count == 1)
        #expect(h.blocked == ["order_pending"])
    }

    @Test("attempts_exhausted: no more than max_attempts entry orders in a window")
    func attemptsExhausted() throws {
        let h = try LastSecondHarness(parameters: ["max_attempts": .int(1)])
        h.oracleAboveBeat(through: 880)
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95", bidSize: "200", askSize: "5")  // FOK killed
        h.quote("BTC-15M-UP", at: 878, bid: "0.94", ask: "0.95")
        #expect(h.entries.count == 1)
        #expect(h.blocked == ["attempts_exhausted"])
    }

    @Test("a denial by host risk counts as an attempt")
    func deniedEntryCountsAsAttempt() throws {
        let h = try LastSecondHarness(parameters: ["max_attempts": .int(1)], risk: RiskLimits(maxOrderNotional: 1))
        h.oracleAboveBeat(through: 880)
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        h.quote("BTC-15M-UP", at: 878, bid: "0.94", ask: "0.95")
        #expect(h.journal.recorded.updates.filter { $0.status == .denied }.count == 1)
        #expect(h.blocked == ["attempts_exhausted"])
    }

    @Test("attempt_spacing: waits attempt_spacing_ms between attempts")
    func attemptSpacing() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat(through: 880)
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95", bidSize: "200", askSize: "5")  // FOK killed
        h.quote("BTC-15M-UP", at: 876, bid: "0.94", ask: "0.95")
        #expect(h.entries.count == 1)
        #expect(h.blocked == ["attempt_spacing"])
    }

    @Test("no_winner: best bids and best asks both tie")
    func noWinner() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat()
        h.quote("BTC-15M-DOWN", at: 100, bid: "0.49", ask: "0.51")
        h.quote("BTC-15M-UP", at: 875, bid: "0.49", ask: "0.51")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["no_winner"])
    }

    @Test("no_winner: a lone bid at or below single_side_min_bid")
    func loneLowBidIsNoWinner() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat()
        h.quote("BTC-15M-DOWN", at: 100, bid: "0", ask: "0.60", bidSize: "0", askSize: "200")
        h.quote("BTC-15M-UP", at: 875, bid: "0.45", ask: "0.90")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["no_winner"])
    }

    @Test("ask_missing: the winning token has no ask")
    func askMissing() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat()
        h.quote("BTC-15M-DOWN", at: 100, bid: "0.04", ask: "0.06")
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0", bidSize: "200", askSize: "0")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["ask_missing"])
    }

    @Test("ask_below_floor: the winner's ask is under min_buy_price")
    func askBelowFloor() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat()
        h.quote("BTC-15M-DOWN", at: 100, bid: "0.15", ask: "0.20")
        h.quote("BTC-15M-UP", at: 875, bid: "0.79", ask: "0.80")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["ask_below_floor"])
    }

    @Test("ask_above_cap: the winner's ask is over max_buy_price")
    func askAboveCap() throws {
        let h = try LastSecondHarness(parameters: ["max_buy_price": .double(0.95)])
        h.oracleAboveBeat()
        h.quote("BTC-15M-DOWN", at: 100, bid: "0.01", ask: "0.03")
        h.quote("BTC-15M-UP", at: 875, bid: "0.96", ask: "0.97")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["ask_above_cap"])
    }

    @Test("insufficient_liquidity: best levels of both tokens are worth less than min_orderbook_size_usd")
    func insufficientLiquidity() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat()
        h.quote("BTC-15M-DOWN", at: 100, bid: "0.04", ask: "0.06", size: "10")
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95", size: "10")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["insufficient_liquidity"])
    }

    @Test("oracle_snapshot_missing: no oracle tick yet")
    func oracleSnapshotMissing() throws {
        let h = try LastSecondHarness()
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["oracle_snapshot_missing"])
    }

    @Test("oracle ticks from a source other than oracle_source are ignored")
    func otherOracleSourceIgnored() throws {
        let h = try LastSecondHarness()
        h.oracleTicks(from: 840, through: 874, prices: ["100100", "100110"], source: "binance")
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.blocked == ["oracle_snapshot_missing"])
    }

    @Test("oracle_stale: the last oracle tick is older than max_stale_s")
    func oracleStale() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat(through: 850)
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")  // 25 s after the last tick
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["oracle_stale"])
    }

    @Test("oracle_beat_missing: require_beat and no tick within beat_max_lag_ms of the window start")
    func oracleBeatMissing() throws {
        let h = try LastSecondHarness(parameters: ["require_beat": .bool(true)])
        h.oracle(at: 11, price: "100000")  // 11 s after the start: too late to be the beat
        h.oracleTicks(from: 840, through: 874, prices: ["100100", "100110"])
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["oracle_beat_missing"])
    }

    @Test("oracle_too_few_points: fewer than min_oracle_points ticks in the statistics window")
    func oracleTooFewPoints() throws {
        let h = try LastSecondHarness()
        h.oracle(at: 1, price: "100000")
        h.oracleTicks(from: 872, through: 874, prices: ["100100", "100110"])  // 3 ticks
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["oracle_too_few_points"])
    }

    @Test("oracle_volatility_missing: fewer than two returns to measure volatility")
    func oracleVolatilityMissing() throws {
        let h = try LastSecondHarness(parameters: ["min_oracle_points": .int(2)])
        h.oracle(at: 1, price: "100000")
        h.oracleTicks(from: 873, through: 874, prices: ["100100", "100110"])  // one return
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["oracle_volatility_missing"])
    }

    @Test("oracle_volatility_too_high: returns swing more than max_vol_pct")
    func oracleVolatilityTooHigh() throws {
        let h = try LastSecondHarness()
        h.oracle(at: 1, price: "100000")
        h.oracleTicks(from: 840, through: 874, prices: ["101000", "103000"])  // ±2 % per tick
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["oracle_volatility_too_high"])
    }

    @Test("oracle_z_missing: the beat is known but volatility is zero, so z is undefined")
    func oracleZMissing() throws {
        let h = try LastSecondHarness()
        h.oracle(at: 1, price: "100000")
        h.oracleTicks(from: 840, through: 874, prices: ["100100"])  // flat
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["oracle_z_missing"])
    }

    @Test("oracle_z_too_small: the price is within min_abs_z volatilities of the beat")
    func oracleZTooSmall() throws {
        let h = try LastSecondHarness()
        h.oracle(at: 1, price: "100000")
        // Volatility ≈ 1e-4 (≈ 10 USD); the last price is 5 USD over the beat: z ≈ 0.5.
        h.oracleTicks(from: 840, through: 874, prices: ["100005", "99995"])  // ends on 100 005
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["oracle_z_too_small"])
    }

    @Test("oracle_disagrees: the oracle is below the beat while the book favours Up")
    func oracleDisagrees() throws {
        let h = try LastSecondHarness()
        h.oracleBelowBeat()
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["oracle_disagrees"])
    }

    @Test("require_agreement false lets the book's side trade against the oracle")
    func agreementNotRequired() throws {
        let h = try LastSecondHarness(parameters: ["require_agreement": .bool(false)])
        h.oracleBelowBeat()
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.entries.count == 1)
    }

    @Test("balance_too_low: the available USDC is under min_trade_usd")
    func balanceTooLow() throws {
        let h = try LastSecondHarness(startingCash: Decimal(text: "0.5"))
        h.enterUp()
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["balance_too_low"])
    }

    @Test("order_below_minimum: the amount buys fewer shares than the instrument's minimum size")
    func orderBelowMinimum() throws {
        let h = try LastSecondHarness(startingCash: 50)
        h.enterUp()  // 5 % of 50 = 2.5 USDC → 2.63 shares < 5
        #expect(h.orders.isEmpty)
        #expect(h.blocked == ["order_below_minimum"])
    }

    @Test("signals a block reason once while it holds, and again when it changes")
    func blockedSignalledOnChangeOnly() throws {
        let h = try LastSecondHarness()
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        h.quote("BTC-15M-UP", at: 876, bid: "0.94", ask: "0.95")
        h.quote("BTC-15M-UP", at: 877, bid: "0.94", ask: "0.80")
        h.quote("BTC-15M-UP", at: 878, bid: "0.94", ask: "0.80")
        #expect(h.blocked == ["oracle_snapshot_missing", "ask_below_floor"])
    }

    @Test("feed_stale: no entry while the host marks either token's feed stale, and entries resume once it is fresh")
    func feedStale() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat(through: 880)
        h.booksFavoringUp()
        h.engine.process(.feedStatus(symbol: h.id("BTC-15M-DOWN"), stale: true, reason: "market channel reconnecting"))
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.entries.isEmpty)
        #expect(h.blocked == ["feed_stale"])
        h.engine.process(.feedStatus(symbol: h.id("BTC-15M-DOWN"), stale: false, reason: "fresh snapshot"))
        h.quote("BTC-15M-UP", at: 877, bid: "0.94", ask: "0.95")
        #expect(h.entries.count == 1)
    }
}
