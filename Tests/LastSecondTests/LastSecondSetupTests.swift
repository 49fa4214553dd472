import Foundation
import HostCore
import HostEngine
import HostPlugins
import HostTesting
import Testing

/// How `last_second` pairs its symbols into series and what its manifest declares.
@Suite("last_second setup")
struct LastSecondSetupTests {
    @Test("refuses to start when a series' Down token is missing, naming it")
    func missingDownToken() throws {
        let error = #expect(throws: EngineError.self) { try LastSecondHarness(omit: ["BTC-15M-DOWN"]) }
        #expect(error?.code == .createFailed)
        #expect(error?.message.contains("BTC-15M-DOWN") == true)
    }

    @Test("refuses to start when a series' oracle symbol is missing, naming it")
    func missingOracle() throws {
        let error = #expect(throws: EngineError.self) { try LastSecondHarness(omit: ["BTC-USD"]) }
        #expect(error?.message.contains("BTC-USD") == true)
    }

    @Test("refuses to start without any -UP symbol")
    func noSeries() throws {
        let error = #expect(throws: EngineError.self) { try LastSecondHarness(omit: ["BTC-15M-UP"]) }
        #expect(error?.message.contains("-UP") == true)
    }

    @Test("pairs -up / -down case-insensitively and finds the oracle from the text before the first '-'")
    func caseInsensitivePairing() throws {
        let h = try LastSecondHarness(series: ["eth-5m"], parameters: ["window_seconds": .int(300)])
        // 5-minute windows: the scripted times fall in the window ending at +900 s as well.
        h.oracle("eth-USD", at: 601, price: "3000")
        h.oracleTicks("eth-USD", from: 840, through: 874, prices: ["3003", "3003.3"])
        h.quote("eth-5m-DOWN", at: 850, bid: "0.04", ask: "0.06")
        h.quote("eth-5m-UP", at: 875, bid: "0.94", ask: "0.95")
        #expect(h.entries.map(\.symbol) == [h.id("eth-5m-UP")])
    }

    @Test("declares every parameter with the KIN defaults and both signals")
    func manifestDefaults() throws {
        let plugin = try lastSecondRegistry.load(path: try lastSecondRegistry.loader.locator.locate("last_second.so"))
        let kind = try #require(plugin.kind("last_second"))
        let defaults = Dictionary(uniqueKeysWithValues: kind.parameters.map { ($0.name, $0.defaultValue) })
        #expect(defaults["window_seconds"] == .int(900))
        #expect(defaults["trigger_seconds"] == .double(30))
        #expect(defaults["max_attempts"] == .int(3))
        #expect(defaults["attempt_spacing_ms"] == .int(2_000))
        #expect(defaults["price_tie_eps"] == .double(1e-6))
        #expect(defaults["min_buy_price"] == .double(0.85))
        #expect(defaults["max_buy_price"] == .double(0.99))
        #expect(defaults["min_orderbook_size_usd"] == .double(100))
        #expect(defaults["max_trade_usd"] == .double(10))
        #expect(defaults["balance_fraction"] == .double(0.05))
        #expect(defaults["beat_max_lag_ms"] == .int(10_000))
        #expect(defaults["oracle_window_s"] == .double(60))
        #expect(defaults["max_stale_s"] == .double(20))
        #expect(defaults["min_oracle_points"] == .int(4))
        #expect(defaults["max_vol_pct"] == .double(0.002))
        #expect(defaults["min_abs_z"] == .double(0.75))
        #expect(defaults["require_beat"] == .bool(false))
        #expect(defaults["require_agreement"] == .bool(true))
        #expect(defaults["stop_loss_pct"] == .double(0.30))
        #expect(defaults["stop_loss_absolute"] == .double(0.80))
        #expect(defaults["trailing_stop_pct"] == .double(0.05))
        #expect(defaults["take_profit_pct"] == .double(0.10))
        #expect(defaults["exit_check_ms"] == .int(1_000))
        #expect(defaults["exit_min_price"] == .double(0.01))
        #expect(Set(kind.emittedSignals) == ["last_second.blocked", "last_second.entry"])
    }
}
