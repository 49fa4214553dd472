import Foundation
import HostPersistence

extension TradeReport {
    /// A self-contained HTML page: the equity curve as an inline SVG polyline of cumulative
    /// net PnL by trade close time, then the report's tables. No scripts, no external assets.
    func html() -> String {
        let s = statistics
        var body = ["<h1>Trading report</h1>", "<p class=\"scope\">\(escape(database)) — \(escape(scope))</p>"]
        if s.trades == 0 {
            body.append("<p>No trades yet.</p>")
        } else {
            body += ["<h2>Equity curve</h2>", equitySVG()]
            body.append(keyValueTable([
                ("Trades", "\(s.trades)"), ("Wins / losses", "\(s.wins) / \(s.losses)"),
                ("Win rate", ReportFormat.percent(s.winRate)), ("Total PnL", money(s.totalPnL)),
                ("Realized PnL (before fees)", money(s.realizedPnL)), ("Fees", ReportFormat.money(s.fees)),
                ("Average win", s.averageWin.map(money) ?? "-"), ("Average loss", s.averageLoss.map(money) ?? "-"),
                ("Profit factor", s.profitFactor.map(ReportFormat.money) ?? "-"), ("Max drawdown", ReportFormat.money(s.maxDrawdown)),
                ("Best trade", s.best.map(tradeLabel) ?? "-"), ("Worst trade", s.worst.map(tradeLabel) ?? "-"),
                ("Longest win streak", "\(s.longestWinStreak)"), ("Longest loss streak", "\(s.longestLossStreak)"),
                ("Current streak", escape(streakText)),
            ]))
            body += groupTable("By market", first: "Market", s.byMarket)
            body += groupTable("By hour of day (UTC)", first: "Hour", s.byHour)
            body += groupTable("By weekday (UTC)", first: "Weekday", s.byWeekday)
            body += groupTable("Exit reasons", first: "Reason", s.byExitReason)
        }
        body.append("<h2>Open positions</h2>")
        body.append(openPositions.isEmpty ? "<p>None.</p>" : table(
            ["Instance", "Mode", "Symbol", "Quantity", "Avg price", "Realized", "Fees", "Updated (UTC)"],
            openPositions.map {
                [escape($0.instanceID), escape($0.mode), escape($0.symbol), "\($0.quantity)", "\($0.averagePrice)",
                 money($0.realizedPnL), ReportFormat.money($0.fees), UTCTime.display($0.updatedAt)]
            }))
        if !trades.isEmpty {
            body.append("<h2>Trades</h2>")
            body.append(table(
                ["Closed (UTC)", "Instance", "Mode", "Symbol", "Side", "Entry", "Exit", "Fills", "Realized", "Fees", "PnL"],
                trades.map {
                    [UTCTime.display($0.closedAt), escape($0.instanceID), escape($0.mode), escape($0.symbol), $0.direction.rawValue,
                     escape($0.entryReason), escape($0.exitReason), "\($0.fills)", money($0.realizedPnL),
                     ReportFormat.money($0.fees), money($0.pnl)]
                }))
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Trading report</title>
            <style>
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em; color: #222; }
            h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; font-size: 1.15em; }
            .scope { color: #666; margin-top: 0; }
            table { border-collapse: collapse; font-size: 0.9em; }
            th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            th { background: #f4f4f4; }
            .gain { color: #17803d; } .loss { color: #c0262d; }
            svg { background: #fcfcfc; border: 1px solid #ddd; }
            </style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    /// The curve starts at zero at the first close and steps to each trade's cumulative PnL.
    private func equitySVG() -> String {
        let points = statistics.equityCurve
        let (width, height, left, right, top, bottom) = (900.0, 320.0, 90.0, 20.0, 20.0, 40.0)
        let exact = [Decimal(0)] + points.map(\.cumulativePnL)
        let (lowest, highest) = (exact.min() ?? 0, exact.max() ?? 0)
        let values = exact.map(Self.double)
        let (low, high) = (Self.double(lowest), Self.double(highest))
        let span = high > low ? high - low : 1
        let (first, last) = (points.first?.time ?? 0, points.last?.time ?? 0)
        // Spread by time; when every trade closed at the same instant, by trade number.
        func x(_ index: Int) -> Double {
            let fraction = last > first ? Double(points[index].time - first) / Double(last - first)
                : points.count > 1 ? Double(index) / Double(points.count - 1) : 0.5
            return left + fraction * (width - left - right)
        }
        func y(_ value: Double) -> Double { top + (high - value) / span * (height - top - bottom) }
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        let polyline = ["\(f(x(0))),\(f(y(0)))"] + points.indices.map { "\(f(x($0))),\(f(y(values[$0 + 1])))" }
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Equity curve: cumulative PnL by trade close time\">",
            "<line x1=\"\(f(left))\" y1=\"\(f(y(0)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(0)))\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
            "<text x=\"\(f(left - 6))\" y=\"\(f(y(high) + 4))\" text-anchor=\"end\" font-size=\"11\">\(ReportFormat.money(highest))</text>",
            "<text x=\"\(f(left - 6))\" y=\"\(f(y(low) + 4))\" text-anchor=\"end\" font-size=\"11\">\(ReportFormat.money(lowest))</text>",
            "<text x=\"\(f(left))\" y=\"\(f(height - 12))\" font-size=\"11\">\(UTCTime.display(first)) UTC</text>",
            "<text x=\"\(f(width - right))\" y=\"\(f(height - 12))\" text-anchor=\"end\" font-size=\"11\">\(UTCTime.display(last)) UTC</text>",
            "<polyline fill=\"none\" stroke=\"#2660a4\" stroke-width=\"2\" points=\"\(polyline.joined(separator: " "))\"/>",
        ]
        if lowest != 0, highest != 0 {
            svg.append("<text x=\"\(f(left - 6))\" y=\"\(f(y(0) + 4))\" text-anchor=\"end\" font-size=\"11\">0.00</text>")
        }
        // Hover titles on each trade, while the page stays small.
        if points.count <= 1_000 {
            for (index, point) in points.enumerated() {
                let trade = trades[index]
                svg.append("<circle cx=\"\(f(x(index)))\" cy=\"\(f(y(values[index + 1])))\" r=\"2.5\" fill=\"\(trade.isWin ? "#17803d" : "#c0262d")\">"
                    + "<title>\(UTCTime.display(point.time)) UTC \(escape(trade.symbol)) \(escape(trade.exitReason)) "
                    + "\(ReportFormat.signedMoney(trade.pnl)) → \(ReportFormat.money(point.cumulativePnL))</title></circle>")
            }
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    /// Drawing coordinates only; every figure shown as text comes from the exact decimals.
    private static func double(_ value: Decimal) -> Double { NSDecimalNumber(decimal: value).doubleValue }

    private func tradeLabel(_ trade: RoundTrip) -> String {
        "\(money(trade.pnl)) \(escape(trade.symbol)) \(escape(trade.exitReason)) \(UTCTime.display(trade.closedAt)) UTC"
    }

    private func groupTable(_ title: String, first: String, _ groups: [TradeStatistics.Group]) -> [String] {
        ["<h2>\(escape(title))</h2>", table(
            [first, "Trades", "Wins", "Losses", "Win rate", "PnL"],
            groups.map { [escape($0.key), "\($0.trades)", "\($0.wins)", "\($0.losses)", ReportFormat.percent($0.winRate), money($0.pnl)] })]
    }

    private func keyValueTable(_ rows: [(String, String)]) -> String {
        "<table>\n" + rows.map { "<tr><th>\(escape($0.0))</th><td>\($0.1)</td></tr>" }.joined(separator: "\n") + "\n</table>"
    }

    /// `cells` are HTML already (escaped text or markup).
    private func table(_ header: [String], _ rows: [[String]]) -> String {
        let head = "<tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
        let lines = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }
        return "<table>\n" + ([head] + lines).joined(separator: "\n") + "\n</table>"
    }

    /// Money colored by sign.
    private func money(_ value: Decimal) -> String {
        let text = ReportFormat.money(value)
        return value > 0 ? "<span class=\"gain\">\(text)</span>" : value < 0 ? "<span class=\"loss\">\(text)</span>" : text
    }

    private func escape(_ text: String) -> String {
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
}
