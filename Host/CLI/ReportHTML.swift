import Foundation
import HostDashboard
import HostPersistence

extension TradeReport {
    /// A self-contained HTML page: the equity curve (the dashboard's `EquityChart`, inline SVG)
    /// of cumulative net PnL by trade close time, then the report's tables. No scripts, no
    /// external assets.
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

    /// The dashboard's equity chart (the same SVG `/charts/equity.svg` serves live).
    private func equitySVG() -> String {
        EquityChart(points: statistics.equityCurve, trades: trades).svg()
    }

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

    private func escape(_ text: String) -> String { SVG.escape(text) }
}
