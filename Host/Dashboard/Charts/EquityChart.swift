import Foundation

/// The equity curve as server-rendered SVG: cumulative net PnL by trade close time. Drawn by
/// `host report` into its HTML and served live by the dashboard (`/charts/equity.svg`).
public struct EquityChart: Sendable {
    public var points: [TradeStatistics.EquityPoint]
    /// The trade of each point (same order), for markers and hover titles.
    public var trades: [RoundTrip]
    public var width = 900.0
    public var height = 320.0
    /// Hover markers only up to this many trades, so the page stays small.
    public var maxMarkers = 1_000

    public init(points: [TradeStatistics.EquityPoint], trades: [RoundTrip]) {
        self.points = points
        self.trades = trades
    }

    /// The curve starts at zero at the first close and steps to each trade's cumulative PnL.
    public func svg() -> String {
        let (left, right, top, bottom) = (90.0, 20.0, 20.0, 40.0)
        let exact = [Decimal(0)] + points.map(\.cumulativePnL)
        let (lowest, highest) = (exact.min() ?? 0, exact.max() ?? 0)
        let values = exact.map(SVG.double)
        let (low, high) = (SVG.double(lowest), SVG.double(highest))
        let span = high > low ? high - low : 1
        let (first, last) = (points.first?.time ?? 0, points.last?.time ?? 0)
        // Spread by time; when every trade closed at the same instant, by trade number.
        func x(_ index: Int) -> Double {
            let fraction = last > first ? Double(points[index].time - first) / Double(last - first)
                : points.count > 1 ? Double(index) / Double(points.count - 1) : 0.5
            return left + fraction * (width - left - right)
        }
        func y(_ value: Double) -> Double { top + (high - value) / span * (height - top - bottom) }
        let f = SVG.f
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Equity curve: cumulative PnL by trade close time\">",
        ]
        guard !points.isEmpty else {
            svg.append("<text x=\"\(f(width / 2))\" y=\"\(f(height / 2))\" text-anchor=\"middle\" font-size=\"13\" fill=\"#888\">No closed trades yet</text>")
            svg.append("</svg>")
            return svg.joined(separator: "\n")
        }
        // One polyline however many trades: thousands stay a few hundred kilobytes.
        let polyline = ["\(f(x(0))),\(f(y(0)))"] + points.indices.map { "\(f(x($0))),\(f(y(values[$0 + 1])))" }
        svg += [
            "<line x1=\"\(f(left))\" y1=\"\(f(y(0)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(0)))\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
            "<text x=\"\(f(left - 6))\" y=\"\(f(y(high) + 4))\" text-anchor=\"end\" font-size=\"11\">\(ReportFormat.money(highest))</text>",
            "<text x=\"\(f(left - 6))\" y=\"\(f(y(low) + 4))\" text-anchor=\"end\" font-size=\"11\">\(ReportFormat.money(lowest))</text>",
            "<text x=\"\(f(left))\" y=\"\(f(height - 12))\" font-size=\"11\">\(UTCTime.display(first)) UTC</text>",
            "<text x=\"\(f(width - right))\" y=\"\(f(height - 12))\" text-anchor=\"end\" font-size=\"11\">\(UTCTime.display(last)) UTC</text>",
            "<polyline class=\"equity\" fill=\"none\" stroke=\"#2660a4\" stroke-width=\"2\" points=\"\(polyline.joined(separator: " "))\"/>",
        ]
        if lowest != 0, highest != 0 {
            svg.append("<text x=\"\(f(left - 6))\" y=\"\(f(y(0) + 4))\" text-anchor=\"end\" font-size=\"11\">0.00</text>")
        }
        if points.count <= maxMarkers, trades.count == points.count {
            for (index, point) in points.enumerated() {
                let trade = trades[index]
                svg.append("<circle cx=\"\(f(x(index)))\" cy=\"\(f(y(values[index + 1])))\" r=\"2.5\" fill=\"\(trade.isWin ? "#17803d" : "#c0262d")\">"
                    + "<title>\(UTCTime.display(point.time)) UTC \(SVG.escape(trade.symbol)) \(SVG.escape(trade.exitReason)) "
                    + "\(ReportFormat.signedMoney(trade.pnl)) → \(ReportFormat.money(point.cumulativePnL))</title></circle>")
            }
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }
}

/// Shared SVG helpers.
package enum SVG {
    /// Drawing coordinates only; every figure shown as text comes from exact decimals.
    static func double(_ value: Decimal) -> Double { NSDecimalNumber(decimal: value).doubleValue }

    static func f(_ value: Double) -> String {
        let r = (value * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    /// `text` with the five HTML special characters escaped (SVG and the report's HTML share it).
    package static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A price label with a sensible number of digits for its magnitude.
    static func price(_ value: Double) -> String {
        let digits = abs(value) >= 1_000 ? 2 : abs(value) >= 1 ? 4 : 5
        return String(format: "%.\(digits)f", value)
    }
}
