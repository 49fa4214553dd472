import Foundation
import HostDashboard
import HostPersistence

extension TradeReport {
    /// The report as one JSON object for scripts. Sums are exact decimal strings; derived
    /// figures (averages, ratios) are rounded to 8 digits; undefined figures are null;
    /// times are ISO 8601 UTC strings with the exact ns beside them.
    func json(htmlPath: String?) -> String {
        let s = statistics
        let object: [String: Any] = [
            "database": database,
            "filter": [
                "session": filter.sessionID ?? NSNull(), "instance": filter.instanceID ?? NSNull(), "mode": filter.mode ?? NSNull(),
            ] as [String: Any],
            "summary": [
                "trades": s.trades, "wins": s.wins, "losses": s.losses, "win_rate": ReportFormat.json(s.winRate),
                "total_pnl": "\(s.totalPnL)", "realized_pnl": "\(s.realizedPnL)", "fees": "\(s.fees)",
                "gross_profit": "\(s.grossProfit)", "gross_loss": "\(s.grossLoss)",
                "average_win": ReportFormat.json(s.averageWin), "average_loss": ReportFormat.json(s.averageLoss),
                "profit_factor": ReportFormat.json(s.profitFactor), "max_drawdown": "\(s.maxDrawdown)",
                "best_trade": s.best.map(Self.json) ?? NSNull(), "worst_trade": s.worst.map(Self.json) ?? NSNull(),
            ] as [String: Any],
            "by_market": s.byMarket.map { Self.json($0, key: "market") },
            "by_hour": s.byHour.map { group -> [String: Any] in
                var object = Self.json(group, key: "hour")
                object["hour"] = Int(group.key) ?? 0
                return object
            },
            "by_weekday": s.byWeekday.map { Self.json($0, key: "weekday") },
            "exit_reasons": s.byExitReason.map { Self.json($0, key: "reason") },
            "streaks": [
                "longest_win": s.longestWinStreak, "longest_loss": s.longestLossStreak,
                "current": s.currentStreak.map { ["kind": $0.winning ? "win" : "loss", "length": $0.length] as [String: Any] } ?? NSNull(),
            ] as [String: Any],
            "open_positions": openPositions.map { p -> [String: Any] in
                [
                    "instance_id": p.instanceID, "mode": p.mode, "symbol": p.symbol, "quantity": "\(p.quantity)",
                    "average_price": "\(p.averagePrice)", "realized_pnl": "\(p.realizedPnL)", "fees": "\(p.fees)",
                    "updated_at": UTCTime.iso8601(p.updatedAt), "updated_at_ns": p.updatedAt,
                ]
            },
            "equity_curve": s.equityCurve.map { point -> [String: Any] in
                ["time": UTCTime.iso8601(point.time), "time_ns": point.time, "cumulative_pnl": "\(point.cumulativePnL)"]
            },
            "trades": trades.map(Self.json),
            "html": htmlPath ?? NSNull(),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func json(_ group: TradeStatistics.Group, key: String) -> [String: Any] {
        [key: group.key, "trades": group.trades, "wins": group.wins, "losses": group.losses,
         "win_rate": ReportFormat.json(group.winRate), "pnl": "\(group.pnl)"]
    }

    private static func json(_ trade: RoundTrip) -> [String: Any] {
        [
            "instance_id": trade.instanceID, "mode": trade.mode, "symbol": trade.symbol, "market": trade.market,
            "direction": trade.direction.rawValue, "opened_at": UTCTime.iso8601(trade.openedAt), "opened_at_ns": trade.openedAt,
            "closed_at": UTCTime.iso8601(trade.closedAt), "closed_at_ns": trade.closedAt, "entry_reason": trade.entryReason,
            "exit_reason": trade.exitReason, "session_id": trade.sessionID, "fills": trade.fills,
            "realized_pnl": "\(trade.realizedPnL)", "fees": "\(trade.fees)", "pnl": "\(trade.pnl)",
        ]
    }
}
