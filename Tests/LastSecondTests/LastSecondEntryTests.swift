import Foundation
import HostCore
import HostEngine
import HostPlugins
import HostTesting
import Testing

/// Entries of `last_second`, driven through the engine with the real plugin library.
@Suite("last_second entries")
struct LastSecondEntryTests {
    @Test("buys the Up token with a FOK limit at max_buy_price when every gate passes")
    func entersUpAsFOKAtPriceCap() throws {
        let h = try LastSecondHarness()
        h.enterUp()
        let entry = try #require(h.entries.first)
        #expect(h.entries.count == 1)
        #expect(entry.symbol == h.id("BTC-15M-UP"))
        #expect(entry.side == .buy)
        #expect(entry.type == .limit)
        #expect(entry.timeInForce == .fok)
        #expect(entry.price == Decimal(text: "0.99"))
        #expect(h.fills(entry).allSatisfy { $0.lastFillPrice == Decimal(text: "0.95") })
        #expect(h.position("BTC-15M-UP") == entry.size)
    }

    @Test("emits last_second.entry on the Up token with direction +1 and the ask as value")
    func entrySignalForUp() throws {
        let h = try LastSecondHarness()
        h.enterUp()
        let signal = try #require(h.entrySignals.first)
        #expect(h.entrySignals.count == 1)
        #expect(signal.symbol == "BTC-15M-UP")
        #expect(signal.direction == 1)
        #expect(signal.value == 0.95)
    }

    @Test("buys the Down token, with entry direction -1, when the Down bid is higher and the oracle is below the beat")
    func entersDown() throws {
        let h = try LastSecondHarness()
        h.oracleBelowBeat()
        h.booksFavoringDown()
        h.quote("BTC-15M-DOWN", at: 875, bid: "0.94", ask: "0.95")
        let entry = try #require(h.entries.first)
        #expect(entry.symbol == h.id("BTC-15M-DOWN"))
        #expect(h.entrySignals.first?.direction == -1)
        #expect(h.entrySignals.first?.symbol == "BTC-15M-UP")
    }

    @Test("breaks a tie of best bids with the higher best ask")
    func bidTieBrokenByAsk() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat()
        h.quote("BTC-15M-DOWN", at: 100, bid: "0.50", ask: "0.55")
        h.quote("BTC-15M-UP", at: 875, bid: "0.50", ask: "0.90")
        let entry = try #require(h.entries.first)
        #expect(entry.symbol == h.id("BTC-15M-UP"))
    }

    @Test("with a bid on one token only, buys it when that bid is above single_side_min_bid")
    func singleSidedBid() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat()
        h.quote("BTC-15M-DOWN", at: 100, bid: "0", ask: "0.08", bidSize: "0", askSize: "200")
        h.quote("BTC-15M-UP", at: 875, bid: "0.93", ask: "0.95")
        let entry = try #require(h.entries.first)
        #expect(entry.symbol == h.id("BTC-15M-UP"))
    }

    @Test("reads the top of book from L2 book events as well as quotes")
    func entersFromBookEvents() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat()
        h.book("BTC-15M-DOWN", at: 100, bids: [("0.04", "200"), ("0.03", "500")], asks: [("0.06", "200")])
        h.book("BTC-15M-UP", at: 875, bids: [("0.94", "200"), ("0.93", "100")], asks: [("0.95", "200"), ("0.96", "300")])
        let entry = try #require(h.entries.first)
        #expect(entry.symbol == h.id("BTC-15M-UP"))
        #expect(h.fills(entry).allSatisfy { $0.lastFillPrice == Decimal(text: "0.95") })
    }

    @Test("spends max(trade_size_usd, min_trade_usd, balance_fraction x balance) capped at max_trade_usd: 10 USDC of 1000")
    func sizeCappedAtMaxTrade() throws {
        let h = try LastSecondHarness(startingCash: 1_000)
        h.enterUp()
        // 5 % of 1000 = 50, capped at 10 → floor(10 / 0.95, 0.01) = 10.52 shares.
        #expect(h.entries.first?.size == Decimal(text: "10.52"))
    }

    @Test("spends balance_fraction of the balance when it is below the cap: 6 USDC of 120")
    func sizeFromBalanceFraction() throws {
        let h = try LastSecondHarness(startingCash: 120)
        h.enterUp()
        // 5 % of 120 = 6 → floor(6 / 0.95, 0.01) = 6.31 shares.
        #expect(h.entries.first?.size == Decimal(text: "6.31"))
    }

    @Test("enters without a price to beat when require_beat is false (only staleness, points and volatility apply)")
    func entersWithoutBeat() throws {
        let h = try LastSecondHarness()
        // The first tick is 840 s into the window: too late to be the price to beat.
        h.oracleTicks(from: 840, through: 874, prices: ["100100", "100110"])
        h.booksFavoringUp()
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.entries.count == 1)
    }

    @Test("retries after a killed FOK once attempt_spacing_ms has passed")
    func retriesAfterKilledFOK() throws {
        let h = try LastSecondHarness()
        h.oracleAboveBeat(through: 880)
        h.booksFavoringUp()
        // Only 5 shares offered at or below 0.99: the 10.52-share FOK is killed.
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95", bidSize: "200", askSize: "5")
        h.quote("BTC-15M-UP", at: 877, bid: "0.94", ask: "0.95")
        #expect(h.entries.count == 2)
        #expect(h.fills(h.entries[0]).isEmpty)
        #expect(!h.fills(h.entries[1]).isEmpty)
    }

    @Test("trades each series of one instance on its own books and oracle")
    func twoSeries() throws {
        let h = try LastSecondHarness(series: ["BTC-15M", "ETH-15M"])
        h.oracleAboveBeat("BTC-USD")
        h.oracleAboveBeat("ETH-USD")
        h.booksFavoringUp("BTC-15M")
        h.booksFavoringDown("ETH-15M")
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        h.quote("ETH-15M-UP", at: 875, bid: "0.04", ask: "0.06")
        // BTC enters Up; ETH's books say Down while its oracle is above the beat.
        #expect(h.entries.map(\.symbol) == [h.id("BTC-15M-UP")])
        #expect(h.blocked == ["oracle_disagrees"])
    }

    @Test("reads a series' parameters scoped to its Up symbol (per-symbol overrides)")
    func perSeriesOverride() throws {
        let h = try LastSecondHarness(series: ["BTC-15M", "ETH-15M"], overrides: ["ETH-15M-UP": ["min_buy_price": .double(0.97)]])
        h.oracleAboveBeat("BTC-USD")
        h.oracleAboveBeat("ETH-USD")
        h.booksFavoringUp("BTC-15M")
        h.booksFavoringUp("ETH-15M")
        h.quote("BTC-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        h.quote("ETH-15M-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.entries.map(\.symbol) == [h.id("BTC-15M-UP")])
        #expect(h.blocked == ["ask_below_floor"])
    }

    @Test("starts a fresh window after settlement: enters again in the next window")
    func newWindowResetsState() throws {
        let h = try LastSecondHarness()
        h.enterUp()
        h.settle("BTC-15M-UP", at: 900, price: "1")
        h.settle("BTC-15M-DOWN", at: 900, price: "0")
        h.oracleAboveBeat(offset: 900)
        h.booksFavoringUp(at: 1_000)
        h.quote("BTC-15M-UP", at: 1_775, bid: "0.94", ask: "0.95")
        #expect(h.entries.count == 2)
        #expect(h.entries.last?.createdAt == LastSecondHarness.time(1_775))
    }
}
