import Foundation
import HostDashboard
import HostPersistence

extension TradeReport {
    /// What the filter selects, for headings: `session s1, instance a, paper`.
    var scope: String {
        [filter.sessionID.map { "session \($0)" } ?? "all sessions",
         filter.instanceID.map { "instance \($0)" } ?? "all instances",
         filter.mode ?? "paper and live"].joined(separator: ", ")
    }

    /// The terminal report; `htmlPath` is the equity-curve file written, if any.
    func text(htmlPath: String?) -> String {
        let s = statistics
        var lines = ["trading report: \(database) (\(scope))"]
        if s.trades == 0 {
            lines.append("no trades yet")
        } else {
            lines += [
                "",
                "trades \(s.trades)   wins \(s.wins)   losses \(s.losses)   win rate \(ReportFormat.percent(s.winRate))",
                "total pnl \(ReportFormat.money(s.totalPnL))   (realized \(ReportFormat.money(s.realizedPnL)), fees \(ReportFormat.money(s.fees)))",
                "average win \(s.averageWin.map(ReportFormat.money) ?? "-")   average loss \(s.averageLoss.map(ReportFormat.money) ?? "-")"
                    + "   profit factor \(s.profitFactor.map(ReportFormat.money) ?? "-")",
                "max drawdown \(ReportFormat.money(s.maxDrawdown))",
            ]
            for (label, trade) in [("best trade ", s.best), ("worst trade", s.worst)] {
                guard let trade else { continue }
                lines.append("\(label) \(ReportFormat.signedMoney(trade.pnl))  \(trade.symbol)  \(trade.exitReason)  "
                    + "\(UTCTime.display(trade.closedAt)) UTC  [\(trade.instanceID), \(trade.mode)]")
            }
            lines += section("by market", first: "market", s.byMarket)
            lines += section("by hour of day (UTC)", first: "hour", s.byHour)
            lines += section("by weekday (UTC)", first: "weekday", s.byWeekday)
            lines += section("exit reasons", first: "reason", s.byExitReason)
            lines += ["", "streaks: longest win \(s.longestWinStreak), longest loss \(s.longestLossStreak), current \(streakText)"]
        }
        lines += ["", "open positions"]
        if openPositions.isEmpty {
            lines.append("  none")
        } else {
            lines += ReportFormat.table(
                ["instance", "mode", "symbol", "quantity", "avg price", "realized", "fees", "updated (UTC)"],
                openPositions.map {
                    [$0.instanceID, $0.mode, $0.symbol, "\($0.quantity)", "\($0.averagePrice)", ReportFormat.money($0.realizedPnL),
                     ReportFormat.money($0.fees), UTCTime.display($0.updatedAt)]
                })
        }
        if let htmlPath { lines += ["", "equity curve: \(htmlPath)"] }
        return lines.joined(separator: "\n")
    }

    var streakText: String {
        guard let streak = statistics.currentStreak else { return "none" }
        return "\(streak.length) \(streak.winning ? "win" : "loss")\(streak.length == 1 ? "" : streak.winning ? "s" : "es")"
    }

    private func section(_ title: String, first: String, _ groups: [TradeStatistics.Group]) -> [String] {
        ["", title] + ReportFormat.table(
            [first, "trades", "wins", "losses", "win rate", "pnl"],
            groups.map { [$0.key, "\($0.trades)", "\($0.wins)", "\($0.losses)", ReportFormat.percent($0.winRate), ReportFormat.money($0.pnl)] })
    }
}
