import Foundation
import HostCore
import HostEngine
import HostPlugins
import HostTesting
import Testing

/// Exits of `last_second`: FOK sells of the whole position at a worst price of exit_min_price
/// (raised to meet the minimum notional), tagged with the reason the host persists.
@Suite("last_second exits")
struct LastSecondExitTests {
    @Test("stop_loss: sells the whole position when the bid falls under entry x (1 - stop_loss_pct)")
    func stopLossPercentage() throws {
        let h = try LastSecondHarness(parameters: ["stop_loss_absolute": .double(0.5), "trailing_stop_pct": .double(0)])
        h.enterUp(bid: "0.89", ask: "0.90")  // stop = max(0.90 x 0.7, 0.5) = 0.63
        h.quote("BTC-15M-UP", at: 876, bid: "0.62", ask: "0.64")
        let entry = try #require(h.entries.first)
        let exit = try #require(h.exits.first)
        #expect(exit.tag == "stop_loss")
        #expect(exit.symbol == h.id("BTC-15M-UP"))
        #expect(exit.side == .sell)
        #expect(exit.timeInForce == .fok)
        // exit_min_price 0.01, raised to the tick at or above min notional / size (1 / 11.11).
        #expect(exit.price == Decimal(text: "0.1"))
        #expect(exit.size == entry.size)
        #expect(h.fills(exit).allSatisfy { $0.lastFillPrice == Decimal(text: "0.62") })
        #expect(h.position("BTC-15M-UP") == 0)
    }

    @Test("stop_loss: holds while the bid stays at or above the percentage stop")
    func noStopAbovePercentageStop() throws {
        let h = try LastSecondHarness(parameters: ["stop_loss_absolute": .double(0.5), "trailing_stop_pct": .double(0)])
        h.enterUp(bid: "0.89", ask: "0.90")
        h.quote("BTC-15M-UP", at: 876, bid: "0.64", ask: "0.66")
        #expect(h.exits.isEmpty)
    }

    @Test("stop_loss: stop_loss_absolute floors the initial stop (0.80 over 0.95 x 0.7)")
    func absoluteFloor() throws {
        let h = try LastSecondHarness()
        h.enterUp()
        h.quote("BTC-15M-UP", at: 876, bid: "0.79", ask: "0.81")
        let exit = try #require(h.exits.first)
        #expect(exit.tag == "stop_loss")
        #expect(h.fills(exit).allSatisfy { $0.lastFillPrice == Decimal(text: "0.79") })
    }

    @Test("trailing_stop: the stop rises with the bid and fires when the bid falls under it")
    func trailingStopRisesAndFires() throws {
        let h = try LastSecondHarness()
        h.enterUp()                                                  // entry 0.95
        h.quote("BTC-15M-UP", at: 876, bid: "0.96", ask: "0.97")     // trailing 0.912
        h.quote("BTC-15M-UP", at: 877, bid: "0.98", ask: "0.99")     // trailing 0.931
        #expect(h.exits.isEmpty)
        h.quote("BTC-15M-UP", at: 878, bid: "0.92", ask: "0.93")     // 0.92 < 0.931
        let exit = try #require(h.exits.first)
        #expect(exit.tag == "trailing_stop")
        #expect(h.fills(exit).allSatisfy { $0.lastFillPrice == Decimal(text: "0.92") })
    }

    @Test("trailing_stop: is never lowered when the bid falls back")
    func trailingStopNeverLowered() throws {
        let h = try LastSecondHarness()
        h.enterUp()
        h.quote("BTC-15M-UP", at: 876, bid: "0.98", ask: "0.99")     // trailing 0.931
        h.quote("BTC-15M-UP", at: 877, bid: "0.95", ask: "0.96")     // 0.9025 would be lower: kept at 0.931
        #expect(h.exits.isEmpty)
        h.quote("BTC-15M-UP", at: 878, bid: "0.93", ask: "0.94")
        #expect(h.exits.map(\.tag) == ["trailing_stop"])
    }

    @Test("trailing_stop_pct 0 disables the trailing stop: the initial stop stays")
    func trailingStopDisabled() throws {
        let h = try LastSecondHarness(parameters: ["trailing_stop_pct": .double(0)])
        h.enterUp()
        h.quote("BTC-15M-UP", at: 876, bid: "0.98", ask: "0.99")
        h.quote("BTC-15M-UP", at: 877, bid: "0.90", ask: "0.92")
        #expect(h.exits.isEmpty)
    }

    @Test("take_profit: sells when the bid exceeds entry x (1 + take_profit_pct)")
    func takeProfit() throws {
        let h = try LastSecondHarness()
        h.enterUp(bid: "0.85", ask: "0.86")                          // target 0.946
        h.quote("BTC-15M-UP", at: 876, bid: "0.95", ask: "0.96")
        let exit = try #require(h.exits.first)
        #expect(exit.tag == "take_profit")
        #expect(h.fills(exit).allSatisfy { $0.lastFillPrice == Decimal(text: "0.95") })
        #expect(h.position("BTC-15M-UP") == 0)
    }

    @Test("checks exits at most once per exit_check_ms")
    func exitChecksThrottled() throws {
        let h = try LastSecondHarness()
        h.enterUp()
        h.quote("BTC-15M-UP", at: 876, bid: "0.95", ask: "0.96")     // checked: trailing 0.9025
        h.quote("BTC-15M-UP", at: 876.5, bid: "0.79", ask: "0.81")   // within 1 s of the last check
        #expect(h.exits.isEmpty)
        h.quote("BTC-15M-UP", at: 877, bid: "0.79", ask: "0.81")
        #expect(h.exits.map(\.createdAt) == [LastSecondHarness.time(877)])
    }

    @Test("manages a Down position on the Down token's bid only")
    func downPositionUsesDownBid() throws {
        let h = try LastSecondHarness()
        h.oracleBelowBeat()
        h.booksFavoringDown()
        h.quote("BTC-15M-DOWN", at: 875, bid: "0.94", ask: "0.95")
        h.quote("BTC-15M-UP", at: 876, bid: "0.01", ask: "0.03")     // the Up token does not drive exits
        #expect(h.exits.isEmpty)
        h.quote("BTC-15M-DOWN", at: 876.5, bid: "0.79", ask: "0.81")
        let exit = try #require(h.exits.first)
        #expect(exit.symbol == h.id("BTC-15M-DOWN"))
        #expect(exit.tag == "stop_loss")
    }

    @Test("retries a killed exit at the next exit check")
    func killedExitRetried() throws {
        let h = try LastSecondHarness()
        h.enterUp()
        h.quote("BTC-15M-UP", at: 876, bid: "0.79", ask: "0.81", bidSize: "5", askSize: "200")  // FOK sell killed
        h.quote("BTC-15M-UP", at: 877, bid: "0.78", ask: "0.81")
        #expect(h.exits.map(\.tag) == ["stop_loss", "stop_loss"])
        #expect(h.position("BTC-15M-UP") == 0)
    }

    @Test("does not enter again in a window after exiting")
    func noReentryAfterExit() throws {
        let h = try LastSecondHarness()
        h.enterUp()
        h.quote("BTC-15M-UP", at: 876, bid: "0.79", ask: "0.81")      // stop-loss
        h.quote("BTC-15M-UP", at: 879, bid: "0.94", ask: "0.95")
        #expect(h.entries.count == 1)
        #expect(h.blocked.last == "already_entered")
    }
}
