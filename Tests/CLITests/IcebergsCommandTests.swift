import Foundation
import HostCore
import Testing
@testable import HostCLI

/// `host icebergs`: one row per level from the journaled iceberg signals, the latest status winning.
struct IcebergsCommandTests {
    static func signal(_ time: Int64, _ symbol: String, _ status: String, side: String = "bid", price: Double = 100, refills: Int = 2) -> SignalRecord {
        let payload = #"{"price":\#(price),"side":"\#(side)","status":"\#(status.uppercased())","cohort":"whale","refills":\#(refills),"executed":2.5,"executed_notional":250,"hidden_volume":2,"peak_display":0.5,"first_time":1704067200000000000,"last_time":1704067201500000000}"#
        return SignalRecord(time: time, sourceInstanceID: "ice", sourcePluginID: "dev.strategyhost.iceberg", symbol: symbol,
                            name: "iceberg.\(status)", direction: side == "bid" ? 1 : -1, value: 2, confidence: 1, payload: payload)
    }

    @Test("the latest report of a level wins; levels are ordered by symbol, side and price; --symbol filters")
    func latestStatusPerLevel() {
        let signals = [
            Self.signal(1, "ETHUSDT", "active", side: "ask", price: 3000),
            Self.signal(2, "BTCUSDT", "active", refills: 2),
            Self.signal(5, "BTCUSDT", "exhausted", refills: 4),
            Self.signal(3, "BTCUSDT", "active", price: 99.5),
        ]
        let levels = IcebergsCommand.levels(from: signals, symbol: nil)
        #expect(levels.map { "\($0.symbol) \($0.side) \(IcebergsCommand.plain($0.price)) \($0.status) \($0.refills)" } == [
            "BTCUSDT bid 99.5 ACTIVE 2", "BTCUSDT bid 100 EXHAUSTED 4", "ETHUSDT ask 3000 ACTIVE 2",
        ])
        #expect(levels[0].firstTime == "2024-01-01T00:00:00.000Z" && levels[0].lastTime == "2024-01-01T00:00:01.500Z")
        #expect(IcebergsCommand.levels(from: signals, symbol: "ETHUSDT").map(\.symbol) == ["ETHUSDT"])
    }
}
