import Foundation
import HostPersistence

/// Trades and figures for one filter over the host database: what `host report` prints.
struct TradeReport: Sendable {
    struct Filter: Sendable, Hashable {
        var sessionID: String?
        var instanceID: String?
        var mode: String?
    }

    var database: String
    var filter: Filter
    /// Closed trades in close order (time, then closing fill).
    var trades: [RoundTrip]
    var statistics: TradeStatistics
    /// Non-zero rows of the positions table (not narrowed by session: positions carry over).
    var openPositions: [PositionRow]

    /// Reads the fills and positions of the filtered accounts and builds the report.
    ///
    /// Round trips are built from every fill of the accounts, then kept when their closing
    /// fill belongs to the requested session.
    init(journal: SQLiteJournal, filter: Filter) throws(PersistenceError) {
        let fills = try journal.bookedFills(instanceID: filter.instanceID, mode: filter.mode)
        var trades = RoundTripBuilder.build(fills).closed
        if let session = filter.sessionID { trades.removeAll { $0.sessionID != session } }
        self.init(database: journal.path, filter: filter, trades: trades,
                  openPositions: try journal.openPositions(instanceID: filter.instanceID, mode: filter.mode))
    }

    init(database: String, filter: Filter, trades: [RoundTrip], openPositions: [PositionRow]) {
        self.database = database
        self.filter = filter
        self.trades = trades.sorted { ($0.closedAt, $0.closingFillID) < ($1.closedAt, $1.closingFillID) }
        self.statistics = TradeStatistics(self.trades)
        self.openPositions = openPositions
    }
}

/// Figures over closed trades, with exact decimal sums.
struct TradeStatistics: Sendable {
    /// Trades sharing a market, an hour, a weekday or an exit reason.
    struct Group: Sendable, Hashable {
        var key: String
        var trades = 0
        var wins = 0
        var pnl: Decimal = 0
        var losses: Int { trades - wins }
        var winRate: Decimal? { TradeStatistics.ratio(wins, trades) }
    }

    struct Streak: Sendable, Hashable {
        var winning: Bool
        var length: Int
    }

    struct EquityPoint: Sendable, Hashable {
        /// The trade's close time, ns since the Unix epoch.
        var time: Int64
        var cumulativePnL: Decimal
    }

    var trades = 0
    var wins = 0
    var losses: Int { trades - wins }
    var winRate: Decimal? { Self.ratio(wins, trades) }
    /// Before fees.
    var realizedPnL: Decimal = 0
    var fees: Decimal = 0
    /// Net of fees.
    var totalPnL: Decimal = 0
    /// Net PnL of the winning trades (positive).
    var grossProfit: Decimal = 0
    /// Net PnL of the losing trades (zero or negative).
    var grossLoss: Decimal = 0
    /// Largest fall of cumulative net PnL from a previous peak (the curve starts at zero).
    var maxDrawdown: Decimal = 0
    var best: RoundTrip?
    var worst: RoundTrip?
    var byMarket: [Group] = []
    /// Hours of the day (UTC) with trades, ascending; keys "00" … "23".
    var byHour: [Group] = []
    /// Weekdays (UTC) with trades, Monday first; keys "Mon" … "Sun".
    var byWeekday: [Group] = []
    /// Most frequent exit reason first.
    var byExitReason: [Group] = []
    var longestWinStreak = 0
    var longestLossStreak = 0
    /// The run of wins or losses the last trade belongs to; nil without trades.
    var currentStreak: Streak?
    /// Cumulative net PnL after each trade, in close order.
    var equityCurve: [EquityPoint] = []

    var averageWin: Decimal? { wins == 0 ? nil : grossProfit / Decimal(wins) }
    var averageLoss: Decimal? { losses == 0 ? nil : grossLoss / Decimal(losses) }
    /// Gross profit over gross loss; nil when nothing was lost.
    var profitFactor: Decimal? { grossLoss == 0 ? nil : grossProfit / -grossLoss }

    /// - Parameter trades: closed trades in close order.
    init(_ trades: [RoundTrip]) {
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

    static func ratio(_ part: Int, _ whole: Int) -> Decimal? {
        whole == 0 ? nil : Decimal(part) / Decimal(whole)
    }
}

/// Calendar figures of UTC instants, by integer arithmetic (no time zone can leak in).
enum UTCTime {
    static let weekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// Whole seconds since the epoch, rounded down (also before 1970).
    static func seconds(_ nanos: Int64) -> Int64 { floorDivide(nanos, 1_000_000_000) }

    static func hour(_ nanos: Int64) -> Int { Int(floorModulo(seconds(nanos), 86_400) / 3_600) }

    /// 0 = Monday … 6 = Sunday.
    static func weekday(_ nanos: Int64) -> Int {
        // 1970-01-01 was a Thursday (index 3).
        Int(floorModulo(floorDivide(seconds(nanos), 86_400) + 3, 7))
    }

    /// `2024-03-01T13:05:07Z`.
    static func iso8601(_ nanos: Int64) -> String {
        let s = seconds(nanos)
        let (year, month, day) = civil(days: floorDivide(s, 86_400))
        let t = floorModulo(s, 86_400)
        return "\(year)-\(two(month))-\(two(day))T\(two(t / 3_600)):\(two(t / 60 % 60)):\(two(t % 60))Z"
    }

    /// `2024-03-01 13:05:07` (UTC), for tables.
    static func display(_ nanos: Int64) -> String {
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
