import Foundation
import Testing
@testable import HostDashboard

struct CandleChartTests {
    static let minute: Int64 = 60_000_000_000

    static func day() -> [CandleSeries.Candle] {
        (0..<1_440).map { m in
            let p = 100 + Double(m % 50)
            return .init(time: Int64(m) * minute, open: p, high: p + 1, low: p - 1, close: m % 2 == 0 ? p + 0.5 : p - 0.5,
                         volume: 10, delta: m % 3 == 0 ? 2 : -1)
        }
    }

    @Test func aDayOfOneMinuteCandlesIsThreePathsAndStaysSmall() {
        let svg = CandleChart(symbol: "BTCUSDT", timeframe: "1m", candles: Self.day(), levels: []).svg()
        #expect(svg.components(separatedBy: "<path").count == 4)
        #expect(svg.utf8.count < 400_000)
    }

    @Test func icebergLevelsAndWallsAreDrawnAsLines() {
        let levels = [CandleChart.Level(price: 120, kind: .iceberg, label: "iceberg bid whale"),
                      CandleChart.Level(price: 130, kind: .wall, label: "wall ask 500")]
        let svg = CandleChart(symbol: "BTCUSDT", timeframe: "1m", candles: Self.day(), levels: levels).svg()
        #expect(svg.contains("class=\"iceberg\""))
        #expect(svg.contains("class=\"wall\""))
    }

    @Test func noCandlesSaysSo() {
        #expect(CandleChart(symbol: "X", timeframe: "1m", candles: [], levels: []).svg().contains("No prices yet"))
    }
}
