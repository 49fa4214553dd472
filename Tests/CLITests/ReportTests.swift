import ArgumentParser
import Foundation
import HostCore
import HostPersistence
import Logging
import Testing
@testable import HostCLI
@testable import HostDashboard

/// `host report` over real SQLite databases written through `SQLiteJournal`.
///
/// The main script, instance `alpha` in paper mode (times UTC; 2024-03-04 is a Monday):
///
/// | trade | symbol        | closes          | exit          | realized | fees   | pnl     |
/// |-------|---------------|-----------------|---------------|----------|--------|---------|
/// | T1    | BTC-15M-UP    | Mon 09:10 (s1)  | stop_loss     | -0.8     | 0.0225 | -0.8225 |
/// | T2    | BTC-15M-DOWN  | Mon 09:25 (s1)  | stop_loss     | -2.4     | 0.038  | -2.438  |
/// | T3    | ETH-15M-UP    | Tue 14:15 (s1)  | settlement    | 1.7      | 0.008  | 1.692   |
/// | T4    | BTC-15M-UP    | Tue 14:30 (s1)  | trailing_stop | 1        | 0.02   | 0.98    |
/// | T5    | BTC-15M-DOWN  | Wed 09:55 (s2)  | settlement    | 5.5      | 0.01   | 5.49    |
/// | T6    | ETH-15M-DOWN  | Wed 10:30 (s2)  | stop_loss     | -1.2     | 0.01   | -1.21   |
///
/// T1 and T2 interleave, T3 closes in two fills, and a BTC-15M-UP position of 4 stays open.
/// Cumulative PnL: -0.8225, -3.2605, -1.5685, -0.5885, 4.9015, 3.6915.
struct ReportTests {
    // MARK: - Scripted databases

    /// One booked fill of the script.
    struct Leg {
        var session = "s1"
        var instance = "alpha"
        var mode = TradingMode.paper
        var symbol: String
        var side: Side
        var price: String
        var size: String
        var fee: String
        var reason: String
        var realized = "0"
        var position: String
        /// ISO 8601 UTC.
        var at: String
    }

    static let mainScript: [Leg] = [
        Leg(symbol: "BTC-15M-UP", side: .buy, price: "0.40", size: "10", fee: "0.01", reason: "entry", position: "10", at: "2024-03-04T09:00:00Z"),
        Leg(symbol: "BTC-15M-DOWN", side: .buy, price: "0.30", size: "20", fee: "0.02", reason: "entry", position: "20", at: "2024-03-04T09:05:00Z"),
        Leg(symbol: "BTC-15M-UP", side: .sell, price: "0.32", size: "10", fee: "0.0125", reason: "stop_loss", realized: "-0.8", position: "0", at: "2024-03-04T09:10:00Z"),
        Leg(symbol: "BTC-15M-DOWN", side: .sell, price: "0.18", size: "20", fee: "0.018", reason: "stop_loss", realized: "-2.4", position: "0", at: "2024-03-04T09:25:00Z"),
        Leg(symbol: "ETH-15M-UP", side: .buy, price: "0.50", size: "5", fee: "0.005", reason: "entry", position: "5", at: "2024-03-05T14:00:00Z"),
        Leg(symbol: "ETH-15M-UP", side: .sell, price: "0.60", size: "2", fee: "0.003", reason: "take_profit", realized: "0.2", position: "3", at: "2024-03-05T14:05:00Z"),
        Leg(symbol: "ETH-15M-UP", side: .sell, price: "1", size: "3", fee: "0", reason: "settlement", realized: "1.5", position: "0", at: "2024-03-05T14:15:00Z"),
        Leg(symbol: "BTC-15M-UP", side: .buy, price: "0.60", size: "10", fee: "0.01", reason: "entry", position: "10", at: "2024-03-05T14:20:00Z"),
        Leg(symbol: "BTC-15M-UP", side: .sell, price: "0.70", size: "10", fee: "0.01", reason: "trailing_stop", realized: "1", position: "0", at: "2024-03-05T14:30:00Z"),
        Leg(session: "s2", symbol: "BTC-15M-DOWN", side: .buy, price: "0.45", size: "10", fee: "0.01", reason: "entry", position: "10", at: "2024-03-06T09:40:00Z"),
        Leg(session: "s2", symbol: "BTC-15M-DOWN", side: .sell, price: "1", size: "10", fee: "0", reason: "settlement", realized: "5.5", position: "0", at: "2024-03-06T09:55:00Z"),
        Leg(session: "s2", symbol: "ETH-15M-DOWN", side: .buy, price: "0.25", size: "8", fee: "0.004", reason: "entry", position: "8", at: "2024-03-06T10:00:00Z"),
        Leg(session: "s2", symbol: "ETH-15M-DOWN", side: .sell, price: "0.10", size: "8", fee: "0.006", reason: "stop_loss", realized: "-1.2", position: "0", at: "2024-03-06T10:30:00Z"),
        Leg(session: "s2", symbol: "BTC-15M-UP", side: .buy, price: "0.70", size: "4", fee: "0.0028", reason: "entry", position: "4", at: "2024-03-06T11:00:00Z"),
    ]

    /// A fresh directory per test, removed afterwards.
    static func withDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-report-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    static func decimal(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }

    static func nanos(_ iso: String) -> Int64 {
        Int64(ISO8601DateFormatter().date(from: iso)!.timeIntervalSince1970) * 1_000_000_000
    }

    /// Writes `legs` through the journal into `<directory>/host.sqlite`, a session per distinct id in order.
    @discardableResult
    static func database(in directory: URL, _ legs: [Leg]) throws -> String {
        let path = directory.appendingPathComponent("host.sqlite").path
        let journal = try SQLiteJournal(path: path, logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { journal.close() }
        var symbols = SymbolTable()
        for leg in legs { symbols.register(Instrument.generic(symbol: leg.symbol, venue: "paper")) }
        journal.setSymbols(symbols)
        var session = ""
        for (index, leg) in legs.enumerated() {
            if leg.session != session {
                session = leg.session
                try journal.beginSession(SessionInfo(id: session, startedAt: nanos(leg.at), hostVersion: "test", configHash: "",
                                                     configFile: "", seed: 1, plugins: []))
            }
            journal.fillBooked(FillRecord(
                clientOrderID: ClientOrderID(UInt64(index + 1)), instanceID: leg.instance, mode: leg.mode,
                symbol: try #require(symbols.id(of: leg.symbol)), side: leg.side, price: decimal(leg.price), size: decimal(leg.size),
                fee: decimal(leg.fee), liquidity: .taker, reason: leg.reason, realizedPnL: decimal(leg.realized),
                position: PositionSnapshot(quantity: decimal(leg.position), averagePrice: decimal(leg.price), realizedPnL: 0, fees: 0),
                timestamp: nanos(leg.at)))
        }
        try journal.flush()
        return path
    }

    static func report(_ path: String, session: String? = nil, instance: String? = nil, mode: String? = nil) throws -> TradeReport {
        let journal = try SQLiteJournal.openExisting(path: path, logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { journal.close() }
        return try TradeReport(journal: journal, filter: .init(sessionID: session, instanceID: instance, mode: mode))
    }

    static func mainReport() throws -> TradeReport {
        try withDirectory { try report(database(in: $0, mainScript)) }
    }

    static func group(_ key: String, _ trades: Int, _ wins: Int, _ pnl: String) -> TradeStatistics.Group {
        TradeStatistics.Group(key: key, trades: trades, wins: wins, pnl: decimal(pnl))
    }

    // MARK: - Trades

    @Test("fills become round trips per account and symbol: open when the position leaves 0, closed when it returns to 0")
    func roundTrips() throws {
        let trades = try Self.mainReport().trades
        #expect(trades.map(\.symbol) == ["BTC-15M-UP", "BTC-15M-DOWN", "ETH-15M-UP", "BTC-15M-UP", "BTC-15M-DOWN", "ETH-15M-DOWN"])
        #expect(trades.map(\.fills) == [2, 2, 3, 2, 2, 2])
        #expect(trades.map(\.pnl) == ["-0.8225", "-2.438", "1.692", "0.98", "5.49", "-1.21"].map(Self.decimal))
        #expect(trades.map(\.closedAt) == ["2024-03-04T09:10:00Z", "2024-03-04T09:25:00Z", "2024-03-05T14:15:00Z",
                                            "2024-03-05T14:30:00Z", "2024-03-06T09:55:00Z", "2024-03-06T10:30:00Z"].map(Self.nanos))
    }

    @Test("a fill that reverses the position closes the trade with its PnL and fee and opens the next one")
    func reversalSplitsTrades() throws {
        let trades = try Self.withDirectory { directory in
            try Self.report(Self.database(in: directory, [
                Leg(symbol: "BTC-USD", side: .buy, price: "100", size: "1", fee: "0.1", reason: "entry", position: "1", at: "2024-03-04T10:00:00Z"),
                Leg(symbol: "BTC-USD", side: .sell, price: "110", size: "3", fee: "0.3", reason: "reverse", realized: "10", position: "-2", at: "2024-03-04T10:05:00Z"),
                Leg(symbol: "BTC-USD", side: .buy, price: "105", size: "2", fee: "0.2", reason: "take_profit", realized: "10", position: "0", at: "2024-03-04T10:10:00Z"),
            ])).trades
        }
        #expect(trades.map(\.direction) == [.long, .short])
        #expect(trades.map(\.exitReason) == ["reverse", "take_profit"])
        #expect(trades.map(\.pnl) == [Self.decimal("9.6"), Self.decimal("9.8")])
    }

    @Test("a position still open is not a trade and is listed among open positions")
    func openPositionListed() throws {
        let report = try Self.mainReport()
        #expect(report.trades.count == 6)
        #expect(report.openPositions.map(\.symbol) == ["BTC-15M-UP"])
        #expect(report.openPositions.map(\.quantity) == [4])
    }

    // MARK: - Breakdowns

    @Test("win rate and PnL by market group the -UP and -DOWN tokens of a series")
    func byMarket() throws {
        let statistics = try Self.mainReport().statistics
        #expect(statistics.byMarket == [Self.group("BTC-15M", 4, 2, "3.2095"), Self.group("ETH-15M", 2, 1, "0.482")])
        #expect(statistics.byMarket.map(\.winRate) == [Self.decimal("0.5"), Self.decimal("0.5")])
    }

    @Test("trades are grouped by the UTC hour of their close")
    func byHour() throws {
        let statistics = try Self.mainReport().statistics
        #expect(statistics.byHour == [Self.group("09", 3, 1, "2.2295"), Self.group("10", 1, 0, "-1.21"), Self.group("14", 2, 2, "2.672")])
    }

    @Test("trades are grouped by the UTC weekday of their close, Monday first")
    func byWeekday() throws {
        let statistics = try Self.mainReport().statistics
        #expect(statistics.byWeekday == [Self.group("Mon", 2, 0, "-3.2605"), Self.group("Tue", 2, 2, "2.672"), Self.group("Wed", 2, 1, "4.28")])
    }

    @Test("the exit-reason breakdown uses the closing fill's tag, most frequent first")
    func exitReasons() throws {
        let statistics = try Self.mainReport().statistics
        #expect(statistics.byExitReason == [Self.group("stop_loss", 3, 0, "-4.4705"), Self.group("settlement", 2, 2, "7.182"),
                                            Self.group("trailing_stop", 1, 1, "0.98")])
    }

    @Test("streaks: L L W W W L gives longest win 3, longest loss 2, current 1 loss")
    func streaks() throws {
        let statistics = try Self.mainReport().statistics
        #expect(statistics.longestWinStreak == 3)
        #expect(statistics.longestLossStreak == 2)
        #expect(statistics.currentStreak == TradeStatistics.Streak(winning: false, length: 1))
    }

    @Test("max drawdown is the deepest fall below a previous peak of the curve, which starts at zero")
    func maxDrawdown() throws {
        // Peaks 0 → trough -3.2605 (3.2605); peak 4.9015 → 3.6915 (1.21).
        #expect(try Self.mainReport().statistics.maxDrawdown == Self.decimal("3.2605"))
    }

    @Test("summary totals are exact decimal sums of realized PnL minus fees")
    func exactTotals() throws {
        let s = try Self.mainReport().statistics
        #expect((s.trades, s.wins, s.losses) == (6, 3, 3))
        #expect(s.realizedPnL == Self.decimal("3.8"))
        #expect(s.fees == Self.decimal("0.1085"))
        #expect(s.totalPnL == Self.decimal("3.6915"))
        #expect(s.grossProfit == Self.decimal("8.162"))
        #expect(s.grossLoss == Self.decimal("-4.4705"))
        #expect(s.best?.pnl == Self.decimal("5.49"))
        #expect(s.worst?.pnl == Self.decimal("-2.438"))
    }

    // MARK: - Filters

    @Test("--session keeps trades closed in that session, including one opened in an earlier session")
    func sessionFilter() throws {
        let trades = try Self.withDirectory { directory in
            try Self.report(Self.database(in: directory, [
                Leg(symbol: "BTC-15M-UP", side: .buy, price: "0.5", size: "2", fee: "0.01", reason: "entry", position: "2", at: "2024-03-04T09:00:00Z"),
                Leg(symbol: "ETH-15M-UP", side: .buy, price: "0.5", size: "2", fee: "0", reason: "entry", position: "2", at: "2024-03-04T09:01:00Z"),
                Leg(symbol: "ETH-15M-UP", side: .sell, price: "0.6", size: "2", fee: "0", reason: "take_profit", realized: "0.2", position: "0", at: "2024-03-04T09:02:00Z"),
                Leg(session: "s2", symbol: "BTC-15M-UP", side: .sell, price: "0.75", size: "2", fee: "0.01", reason: "take_profit", realized: "0.5", position: "0", at: "2024-03-05T09:00:00Z"),
            ]), session: "s2").trades
        }
        #expect(trades.map(\.symbol) == ["BTC-15M-UP"])
        #expect(trades.map(\.pnl) == [Self.decimal("0.48")])
    }

    @Test("--instance and --mode select one account's trades")
    func accountFilter() throws {
        let trades = try Self.withDirectory { directory in
            try Self.report(Self.database(in: directory, [
                Leg(instance: "alpha", mode: .paper, symbol: "X", side: .buy, price: "1", size: "1", fee: "0", reason: "entry", position: "1", at: "2024-03-04T09:00:00Z"),
                Leg(instance: "alpha", mode: .live, symbol: "X", side: .buy, price: "1", size: "1", fee: "0", reason: "entry", position: "1", at: "2024-03-04T09:00:01Z"),
                Leg(instance: "beta", mode: .live, symbol: "X", side: .buy, price: "1", size: "1", fee: "0", reason: "entry", position: "1", at: "2024-03-04T09:00:02Z"),
                Leg(instance: "alpha", mode: .paper, symbol: "X", side: .sell, price: "2", size: "1", fee: "0", reason: "paper_exit", realized: "1", position: "0", at: "2024-03-04T09:01:00Z"),
                Leg(instance: "alpha", mode: .live, symbol: "X", side: .sell, price: "3", size: "1", fee: "0", reason: "live_exit", realized: "2", position: "0", at: "2024-03-04T09:01:01Z"),
                Leg(instance: "beta", mode: .live, symbol: "X", side: .sell, price: "4", size: "1", fee: "0", reason: "beta_exit", realized: "3", position: "0", at: "2024-03-04T09:01:02Z"),
            ]), instance: "alpha", mode: "live").trades
        }
        #expect(trades.map(\.exitReason) == ["live_exit"])
    }

    // MARK: - Command output

    @Test("--json prints one object whose money figures are exact decimal strings")
    func jsonShape() throws {
        let object = try Self.withDirectory { directory -> [String: Any] in
            let path = try Self.database(in: directory, Self.mainScript)
            let output = try ReportCommand.parse(["--db", path, "--json", "--no-html"]).execute()
            return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        }
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["trades"] as? Int == 6)
        #expect(summary["win_rate"] as? String == "0.5")
        #expect(summary["total_pnl"] as? String == "3.6915")
        #expect(summary["fees"] as? String == "0.1085")
        #expect(summary["max_drawdown"] as? String == "3.2605")
        #expect(summary["average_win"] as? String == "2.72066667")
        #expect(summary["average_loss"] as? String == "-1.49016667")
        #expect(summary["profit_factor"] as? String == "1.82574656")
        let markets = try #require(object["by_market"] as? [[String: Any]])
        #expect(markets.map { $0["market"] as? String } == ["BTC-15M", "ETH-15M"])
        let hours = try #require(object["by_hour"] as? [[String: Any]])
        #expect(hours.map { $0["hour"] as? Int } == [9, 10, 14])
        let curve = try #require(object["equity_curve"] as? [[String: Any]])
        #expect(curve.map { $0["cumulative_pnl"] as? String } == ["-0.8225", "-3.2605", "-1.5685", "-0.5885", "4.9015", "3.6915"])
        #expect(curve.first?["time"] as? String == "2024-03-04T09:10:00Z")
        #expect((object["trades"] as? [Any])?.count == 6)
        #expect((object["open_positions"] as? [Any])?.count == 1)
        #expect(object["html"] is NSNull)
    }

    @Test("the terminal summary shows win rate, totals to 2-4 decimals, drawdown and the tables")
    func terminalSummary() throws {
        let text = try Self.withDirectory { directory in
            try ReportCommand.parse(["--db", Self.database(in: directory, Self.mainScript), "--no-html"]).execute()
        }
        #expect(text.contains("trades 6   wins 3   losses 3   win rate 50.00%"))
        #expect(text.contains("total pnl 3.6915   (realized 3.80, fees 0.1085)"))
        #expect(text.contains("max drawdown 3.2605"))
        #expect(text.contains("profit factor 1.8257"))
        #expect(text.contains("current 1 loss"))
        for heading in ["by market", "by hour of day (UTC)", "by weekday (UTC)", "exit reasons", "open positions"] {
            #expect(text.contains("\n\(heading)\n"), "missing \(heading)")
        }
    }

    @Test("an empty database prints no trades yet, and --json gives zero counts")
    func emptyDatabase() throws {
        let (text, json) = try Self.withDirectory { directory -> (String, String) in
            let path = try Self.database(in: directory, [])
            return (try ReportCommand.parse(["--db", path, "--no-html"]).execute(),
                    try ReportCommand.parse(["--db", path, "--no-html", "--json"]).execute())
        }
        #expect(text.contains("no trades yet"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["trades"] as? Int == 0)
        #expect(summary["total_pnl"] as? String == "0")
        #expect(summary["win_rate"] is NSNull)
    }

    @Test("the HTML report is written beside the database with an inline SVG polyline, no script and no external asset")
    func htmlWritten() throws {
        let (output, html) = try Self.withDirectory { directory -> (String, String) in
            try Self.database(in: directory, Self.mainScript)
            let output = try ReportCommand.parse(["--data-dir", directory.path]).execute()
            return (output, try String(contentsOf: directory.appendingPathComponent("report.html"), encoding: .utf8))
        }
        #expect(output.contains("equity curve: "))
        #expect(output.contains("report.html"))
        #expect(html.contains("<svg"))
        #expect(html.contains("<polyline"))
        #expect(html.contains("BTC-15M"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("src="))
        #expect(!html.contains("href="))
    }

    @Test("a missing database exits 74 naming the path and how to fix it, without creating a file")
    func missingDatabase() throws {
        try Self.withDirectory { directory in
            let dataDir = directory.appendingPathComponent("nothing-here").path
            let command = try ReportCommand.parse(["--data-dir", dataDir])
            let failure = try #require(throws: HostFailure.self) { try command.execute() }
            #expect(failure.exit == .storageFailure)
            #expect(failure.exit.rawValue == 74)
            #expect(failure.message.contains(dataDir + "/host.sqlite"))
            #expect(failure.message.contains("--data-dir"))
            #expect(!FileManager.default.fileExists(atPath: dataDir))
        }
    }

    @Test("a file that is not an SQLite database exits 74 and says so")
    func notADatabase() throws {
        try Self.withDirectory { directory in
            let path = directory.appendingPathComponent("host.sqlite")
            try Data(repeating: 0x41, count: 4_096).write(to: path)
            let failure = try #require(throws: HostFailure.self) { try ReportCommand.parse(["--db", path.path, "--no-html"]).execute() }
            #expect(failure.exit == .storageFailure)
            #expect(failure.message.contains("not an SQLite database"))
        }
    }

    @Test("an unknown --session is a usage error that lists stored sessions")
    func unknownSession() throws {
        try Self.withDirectory { directory in
            let path = try Self.database(in: directory, Self.mainScript)
            let failure = try #require(throws: HostFailure.self) { try ReportCommand.parse(["--db", path, "--session", "nope"]).execute() }
            #expect(failure.exit == .usage)
            #expect(failure.message.contains("'nope'"))
            #expect(failure.message.contains("s2, s1"))
        }
    }

    @Test("display money keeps 2 to 4 decimals, rounding half away from zero")
    func moneyFormat() {
        #expect(ReportFormat.money(Self.decimal("12.5")) == "12.50")
        #expect(ReportFormat.money(Self.decimal("-3")) == "-3.00")
        #expect(ReportFormat.money(Self.decimal("0.12345")) == "0.1235")
        #expect(ReportFormat.money(Self.decimal("-0.00004")) == "0.00")
        #expect(ReportFormat.percent(Self.decimal("2") / Self.decimal("3")) == "66.67%")
    }
}
