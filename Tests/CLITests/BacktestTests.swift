import Foundation
import GRDB
import HostPersistence
import Logging
import Testing

/// `host backtest` on a small committed Tardis data set (made by ../shared/bench/gen_tardis.py
/// --quotes 600 --trades 200 --l2-updates 300 --l2-levels 20 --seed 3).
struct BacktestTests {
    static let data = HostCommandLineTests.root.appendingPathComponent("Tests/CLITests/Data/tardis")

    static let config = """
        version: 1
        host: {log_level: error, book_snapshot_interval_ms: 0}
        instances:
          - id: ema
            plugin: ema_bench.so
            kind: ema
            symbols: [BTCUSDT, ETHUSDT, SOLUSDT]
            params: {period: 20, order_every: 50}
            risk: {max_order_notional: 1000000, price_band_bps: 10000, max_orders_per_second: 1000}
        """

    /// Rows of one CSV file as dictionaries (a plain split: the generator writes no quotes or commas in fields).
    static func rows(_ name: String) throws -> [[String: String]] {
        let text = try String(contentsOf: data.appendingPathComponent(name), encoding: .utf8)
        let lines = text.split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        return lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
    }

    static func run(_ dir: URL, extra: [String] = []) throws -> (HostCommandLineTests.Outcome, [String: Any]) {
        let config = dir.appendingPathComponent("ema.yaml")
        try Self.config.write(to: config, atomically: true, encoding: .utf8)
        let outcome = try HostCommandLineTests.run(["backtest", "--data", data.path, "--config", config.path,
                                                    "--data-dir", dir.appendingPathComponent("data").path, "--json", "--quiet"] + extra)
        let object = (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))) as? [String: Any] ?? [:]
        return (outcome, object)
    }

    @Test("a backtest's final EMA and VWAP per symbol equal values computed independently from the CSV files")
    func finalValues() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (outcome, summary) = try Self.run(dir)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(summary["rows"] as? Int == 1_140)  // 600 quotes, 200 trades, 340 L2 rows
        let instance = try #require((summary["instances"] as? [[String: Any]])?.first)
        let gauges = try #require(instance["gauges"] as? [String: Double])
        let alpha = 2.0 / 21.0
        for symbol in ["BTCUSDT", "ETHUSDT", "SOLUSDT"] {
            var ema = Double.nan
            for row in try Self.rows("binance_quotes_2024-01-01_\(symbol).csv") {
                let mid = (Double(row["bid_price"]!)! + Double(row["ask_price"]!)!) / 2
                ema = ema.isNaN ? mid : ema + alpha * (mid - ema)
            }
            var notional = 0.0, volume = 0.0
            for row in try Self.rows("binance_trades_2024-01-01_\(symbol).csv") {
                notional += Double(row["price"]!)! * Double(row["amount"]!)!
                volume += Double(row["amount"]!)!
            }
            let reportedEMA = try #require(gauges["ema.\(symbol)"])
            let reportedVWAP = try #require(gauges["vwap.\(symbol)"])
            #expect(abs(reportedEMA - ema) <= 1e-9 * abs(ema), "\(symbol) ema \(reportedEMA) vs \(ema)")
            #expect(abs(reportedVWAP - notional / volume) <= 1e-9 * abs(notional / volume), "\(symbol) vwap")
        }
    }

    @Test("the same backtest run twice gives identical decision streams")
    func deterministic() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (first, a) = try Self.run(dir)
        let (second, b) = try Self.run(dir)
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)\(second.stderr)")
        let journal = try SQLiteJournal(path: dir.appendingPathComponent("data/host.sqlite").path,
                                        logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { journal.close() }
        let streamA = try journal.decisionStream(sessionID: try #require(a["session_id"] as? String))
        let streamB = try journal.decisionStream(sessionID: try #require(b["session_id"] as? String))
        #expect(streamA.orders.count == 12)  // 600 quotes, an order every 50th
        #expect(streamA == streamB)
    }

    @Test("a recorded backtest replays to an identical decision stream")
    func replayable() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (outcome, summary) = try Self.run(dir)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let session = try #require(summary["session_id"] as? String)
        let replay = try HostCommandLineTests.run(["replay", session, "--data-dir", dir.appendingPathComponent("data").path])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        #expect(replay.stdout.hasPrefix("identical"))
    }

    @Test("the whole screener chain (strategies/screener_backtest.yaml: triggers, QDE, trader, icebergs, smart candles) replays identical")
    func screenerChainReplays() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = HostCommandLineTests.root.appendingPathComponent("strategies/screener_backtest.yaml").path
        let dataDir = dir.appendingPathComponent("data").path
        let outcome = try HostCommandLineTests.run(["backtest", "--data", Self.data.path, "--config", config, "--data-dir", dataDir, "--json", "--quiet"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let summary = (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))) as? [String: Any] ?? [:]
        let session = try #require(summary["session_id"] as? String)
        let replay = try HostCommandLineTests.run(["replay", session, "--data-dir", dataDir])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        #expect(replay.stdout.hasPrefix("identical"))
        let candles = try HostCommandLineTests.run(["candles", "export", "--timeframe", "1m", "--data-dir", dataDir])
        #expect(candles.status == 0 && candles.stdout.split(separator: "\n").count > 1, "\(candles.stderr)")
    }

    @Test("a missing data directory exits 68 naming the directory and the fix")
    func missingData() throws {
        let outcome = try HostCommandLineTests.run(["backtest", "--data", "/nonexistent/tardis", "--strategy", "ema_bench.so", "--quiet"])
        #expect(outcome.status == 68)
        #expect(outcome.stderr.contains("/nonexistent/tardis"))
        #expect(outcome.stderr.contains("fix"))
    }

    @Test("a malformed row stops the backtest with file and line, or is skipped and counted with --skip-malformed")
    func malformedRow() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("tardis")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        var text = try String(contentsOf: Self.data.appendingPathComponent("binance_quotes_2024-01-01_SOLUSDT.csv"), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[5] = "binance,SOLUSDT,oops"
        text = lines.joined(separator: "\n")
        try text.write(to: copy.appendingPathComponent("binance_quotes_2024-01-01_SOLUSDT.csv"), atomically: true, encoding: .utf8)
        let stop = try HostCommandLineTests.run(["backtest", "--data", copy.path, "--strategy", "ema_bench.so", "--quiet",
                                                 "--data-dir", dir.appendingPathComponent("d1").path])
        #expect(stop.status == 68)
        #expect(stop.stderr.contains("binance_quotes_2024-01-01_SOLUSDT.csv:6"))
        let skip = try HostCommandLineTests.run(["backtest", "--data", copy.path, "--strategy", "ema_bench.so", "--quiet", "--json",
                                                 "--skip-malformed", "--data-dir", dir.appendingPathComponent("d2").path])
        #expect(skip.status == 0, "\(skip.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(skip.stdout.utf8)) as? [String: Any])
        #expect(summary["rows_skipped"] as? Int == 1)
    }
}
