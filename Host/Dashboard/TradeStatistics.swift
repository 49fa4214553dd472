import Foundation
import HostPersistence

/// Figures over closed trades, with exact decimal sums.
public struct TradeStatistics: Sendable {
    /// Trades sharing a market, an hour, a weekday or an exit reason.
    public struct Group: Sendable, Hashable {
        public var key: String
        public var trades = 0
        public var wins = 0
        public var pnl: Decimal = 0
        public var losses: Int { trades - wins }
        public var winRate: Decimal? { TradeStatistics.ratio(wins, trades) }
    }

    public struct Streak: Sendable, Hashable {
        public var winning: Bool
        public var length: Int
    }

    public struct EquityPoint: Sendable, Hashable {
        /// The trade's close time, ns since the Unix epoch.
        public var time: Int64
        public var cumulativePnL: Decimal

        public init(time: Int64, cumulativePnL: Decimal) {
            self.time = time
            self.cumulativePnL = cumulativePnL
        }
    }

    public var trades = 0
    public var wins = 0
    public var losses: Int { trades - wins }
    public var winRate: Decimal? { Self.ratio(wins, trades) }
    /// Before fees.
    public var realizedPnL: Decimal = 0
    public var fees: Decimal = 0
    /// Net of fees.
    public var totalPnL: Decimal = 0
    /// Net PnL of the winning trades (positive).
    public var grossProfit: Decimal = 0
    /// Net PnL of the losing trades (zero or negative).
    public var grossLoss: Decimal = 0
    /// Largest fall of cumulative net PnL from a previous peak (the curve starts at zero).
    public var maxDrawdown: Decimal = 0
    public var best: RoundTrip?
    public var worst: RoundTrip?
    public var byMarket: [Group] = []
    /// Hours of the day (UTC) with trades, ascending; keys "00" … "23".
    public var byHour: [Group] = []
    /// Weekdays (UTC) with trades, Monday first; keys "Mon" … "Sun".
    public var byWeekday: [Group] = []
    /// Most frequent exit reason first.
    public var byExitReason: [Group] = []
    public var longestWinStreak = 0
    public var longestLossStreak = 0
    /// The run of wins or losses the last trade belongs to; nil without trades.
    public var currentStreak: Streak?
    /// Cumulative net PnL after each trade, in close order.
    public var equityCurve: [EquityPoint] = []

    public var averageWin: Decimal? { wins == 0 ? nil : grossProfit / Decimal(wins) }
    public var averageLoss: Decimal? { losses == 0 ? nil : grossLoss / Decimal(losses) }
    /// Gross profit over gross loss; nil when nothing was lost.
    public var profitFactor: Decimal? { grossLoss == 0 ? nil : grossProfit / -grossLoss }

    /// - Parameter trades: closed trades in close order.
    public init(_ trades: [RoundTrip]) {
        var markets: [String: Group] = [:]
        var hours: [Int: Group] = [:]
        var weekdays: [Int: Group] = [:]
        var reasons: [String: Group] = [:]
        var peak: Decimal = 0
        func add(_ trade: RoundTrip, to group: inout Group) {
            group.trades += 1
            if trade.isWin { group.wins += 1 }
            group.pnl += trade.pnl
        }
        for trade in trades {
            self.trades += 1
            realizedPnL += trade.realizedPnL
            fees += trade.fees
            totalPnL += trade.pnl
            if trade.isWin {
                wins += 1
                grossProfit += trade.pnl
            } else {
                grossLoss += trade.pnl
            }
            if best.map({ trade.pnl > $0.pnl }) ?? true { best = trade }
            if worst.map({ trade.pnl < $0.pnl }) ?? true { worst = trade }
            peak = max(peak, totalPnL)
            maxDrawdown = max(maxDrawdown, peak - totalPnL)
            equityCurve.append(EquityPoint(time: trade.closedAt, cumulativePnL: totalPnL))

            if let streak = currentStreak, streak.winning == trade.isWin {
                currentStreak?.length += 1
            } else {
                currentStreak = Streak(winning: trade.isWin, length: 1)
            }
            if trade.isWin {
                longestWinStreak = max(longestWinStreak, currentStreak?.length ?? 0)
            } else {
                longestLossStreak = max(longestLossStreak, currentStreak?.length ?? 0)
            }

            let hour = UTCTime.hour(trade.closedAt)
            let weekday = UTCTime.weekday(trade.closedAt)
            add(trade, to: &markets[trade.market, default: Group(key: trade.market)])
            add(trade, to: &hours[hour, default: Group(key: hour < 10 ? "0\(hour)" : "\(hour)")])
            add(trade, to: &weekdays[weekday, default: Group(key: UTCTime.weekdayNames[weekday])])
            add(trade, to: &reasons[trade.exitReason, default: Group(key: trade.exitReason)])
        }
        byMarket = markets.values.sorted { $0.key < $1.key }
        byHour = hours.sorted { $0.key < $1.key }.map(\.value)
        byWeekday = weekdays.sorted { $0.key < $1.key }.map(\.value)
        byExitReason = reasons.values.sorted { ($0.trades, $1.key) > ($1.trades, $0.key) }
    }

    public static func ratio(_ part: Int, _ whole: Int) -> Decimal? {
        whole == 0 ? nil : Decimal(part) / Decimal(whole)
    }
}

/// Calendar figures of UTC instants, by integer arithmetic (no time zone can leak in).
public enum UTCTime {
    public static let weekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// Whole seconds since the epoch, rounded down (also before 1970).
    public static func seconds(_ nanos: Int64) -> Int64 { floorDivide(nanos, 1_000_000_000) }

    public static func hour(_ nanos: Int64) -> Int { Int(floorModulo(seconds(nanos), 86_400) / 3_600) }

    /// 0 = Monday … 6 = Sunday.
    public static func weekday(_ nanos: Int64) -> Int {
        // 1970-01-01 was a Thursday (index 3).
        Int(floorModulo(floorDivide(seconds(nanos), 86_400) + 3, 7))
    }

    /// `2024-03-01T13:05:07Z`.
    public static func iso8601(_ nanos: Int64) -> String {
        let s = seconds(nanos)
        let (year, month, day) = civil(days: floorDivide(s, 86_400))
        let t = floorModulo(s, 86_400)
        return "\(year)-\(two(month))-\(two(day))T\(two(t / 3_600)):\(two(t / 60 % 60)):\(two(t % 60))Z"
    }

    /// `2024-03-01 13:05:07` (UTC), for tables.
    public static func display(_ nanos: Int64) -> String {
        String(iso8601(nanos).dropLast().map { $0 == "T" ? " " : $0 })
    }

    /// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's civil_from_days).
    private static func civil(days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
    private static func floorModulo(_ a: Int64, _ b: Int64) -> Int64 { a - floorDivide(a, b) * b }
}
