import Foundation
import Testing
@testable import HostDashboard

struct EquityChartTests {
    @Test func emptyCurveSaysSo() {
        #expect(EquityChart(points: [], trades: []).svg().contains("No closed trades yet"))
    }

    @Test func thousandsOfTradesMakeOnePolylineWithoutMarkers() {
        let points = (0..<5_000).map { TradeStatistics.EquityPoint(time: Int64($0) * 1_000_000_000, cumulativePnL: Decimal($0 % 13)) }
        let svg = EquityChart(points: points, trades: []).svg()
        #expect(svg.components(separatedBy: "<polyline").count == 2)
        #expect(!svg.contains("<circle"))
    }
}
