import Foundation
import Testing

/// `host candles materialize` / `export` on the small committed Tardis data set, with
/// strategies/smart_candles.yaml (iceberg.so + orderflow.so).
struct CandlesCommandTests {
    static let config = HostCommandLineTests.root.appendingPathComponent("strategies/smart_candles.yaml").path
    static let header = "symbol,timeframe,candle_time,open,high,low,close,volume,quote_volume,buy_volume,sell_volume,trades,vwap,"
        + "session_vwap,vwap_deviation,rsi_14,atr_14,volume_z_20,flow_whale_delta,flow_dolphin_delta,flow_minnow_delta,flow_whale_cvd,"
        + "flow_dolphin_cvd,flow_minnow_cvd,ofi,i1_last,i1_mean,microprice,i10,vpin,wall_whale_vol,wall_dolphin_vol,absorbed_whale_vol,"
        + "absorbed_dolphin_vol,absorbed_total_vol"

    static func materialize(_ dir: URL, extra: [String] = []) throws -> HostCommandLineTests.Outcome {
        try HostCommandLineTests.run(["candles", "materialize", "--data", BacktestTests.data.path, "--config", config,
                                      "--data-dir", dir.appendingPathComponent("data").path, "--quiet", "--json"] + extra)
    }

    static func export(_ dir: URL, _ arguments: [String]) throws -> HostCommandLineTests.Outcome {
        try HostCommandLineTests.run(["candles", "export", "--data-dir", dir.appendingPathComponent("data").path] + arguments)
    }

    /// CSV rows as dictionaries by header name.
    static func table(_ csv: String) -> [[String: String]] {
        let lines = csv.split(separator: "\n")
        guard let first = lines.first else { return [] }
        let names = first.split(separator: ",").map(String.init)
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(names, $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init))) }
    }

    @Test("the 1m export has §7's header and each candle's OHLC, volume and trades equal the trades of its exchange-time minute")
    func exportMatchesTrades() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Self.materialize(dir)
        #expect(run.status == 0, "\(run.stderr)")
        let out = try Self.export(dir, ["--timeframe", "1m", "--symbol", "BTCUSDT", "--format", "csv"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.split(separator: "\n").first.map(String.init) == Self.header)
        let candles = Self.table(out.stdout)
        // Independent: bucket the trades file by exchange timestamp (µs) into minutes.
        var minutes: [Int64: (open: String, close: String, volume: Double, trades: Int)] = [:]
        for row in try BacktestTests.rows("binance_trades_2024-01-01_BTCUSDT.csv") {
            let minute = Int64(row["timestamp"]!)! / 60_000_000 * 60
            var m = minutes[minute] ?? (row["price"]!, row["price"]!, 0, 0)
            m.close = row["price"]!
            m.volume += Double(row["amount"]!)!
            m.trades += 1
            minutes[minute] = m
        }
        let traded = candles.filter { $0["trades"] != "0" }
        #expect(traded.count == minutes.count)
        for candle in traded {
            let date = try Date(candle["candle_time"]!, strategy: .iso8601)
            let m = try #require(minutes[Int64(date.timeIntervalSince1970)], "\(candle["candle_time"]!)")
            #expect(candle["open"] == m.open && candle["close"] == m.close && candle["trades"] == String(m.trades))
            #expect(abs(Double(candle["volume"]!)! - m.volume) <= 1e-9 * m.volume)
        }
        // Empty minutes between trades are bars carrying the previous close (§1).
        #expect(candles.count > traded.count)
        #expect(candles.allSatisfy { !$0["candle_time"]!.contains(".") && $0["candle_time"]!.hasSuffix(":00Z") })
    }

    @Test("materializing the same range again replaces its rows: the export is identical")
    func rematerializingIsIdempotent() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try Self.materialize(dir).status == 0)
        let first = try Self.export(dir, ["--timeframe", "1m"])
        #expect(try Self.materialize(dir).status == 0)
        let second = try Self.export(dir, ["--timeframe", "1m"])
        #expect(first.status == 0 && !first.stdout.isEmpty)
        #expect(first.stdout == second.stdout)
    }

    @Test("JSON export to a file: an array of objects with null for empty values, written whole")
    func jsonExportToFile() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try Self.materialize(dir).status == 0)
        let file = dir.appendingPathComponent("btc_1h.json")
        let out = try Self.export(dir, ["--timeframe", "1h", "--symbol", "BTCUSDT", "--format", "json", "--output", file.path])
        #expect(out.status == 0, "\(out.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [[String: Any]])
        #expect(!array.isEmpty)
        #expect(array.first?["symbol"] as? String == "BTCUSDT" && array.first?["timeframe"] as? String == "1h")
        #expect(array.first?["rsi_14"] is NSNull)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy { !$0.contains("partial") })
    }

    @Test("an export of a timeframe never materialized is exit 68 with a fix, and writes nothing")
    func unmaterializedTimeframe() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try Self.materialize(dir).status == 0)
        let out = try Self.export(dir, ["--timeframe", "5m"])
        #expect(out.status == 68)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains("no 5m smart candles") && out.stderr.contains("fix:"))
    }

    @Test("a materializer range with no data is a clear error with a non-zero exit")
    func emptyRange() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try Self.materialize(dir, extra: ["--from", "2030-01-01T00:00:00Z", "--to", "2030-01-02T00:00:00Z"])
        #expect(out.status != 0)
        #expect(out.stderr.contains("error:"), "\(out.stderr)")
    }

    @Test("a recorded (simulated) session materializes from its recorded inputs; a backtest session is pointed to its files")
    func materializeRecordedSession() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataDir = dir.appendingPathComponent("data").path
        let config = dir.appendingPathComponent("of.yaml")
        try """
            version: 1
            instances:
              - {id: orderflow, plugin: orderflow.so, kind: orderflow, symbols: [BTCUSDT, ETHUSDT], params: {timeframes: "1m"}}
            """.write(to: config, atomically: true, encoding: .utf8)
        let run = try HostCommandLineTests.run(["run", "--config", HostCommandLineTests.root.appendingPathComponent("strategies/triggers.yaml").path,
                                                "--events", "100000", "--data-dir", dataDir, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let out = try HostCommandLineTests.run(["candles", "materialize", "--session", "last", "--config", config.path, "--data-dir", dataDir, "--quiet", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let summary = (try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8))) as? [String: Any] ?? [:]
        #expect(summary["inputs"] as? Int == 100_000)
        let export = try Self.export(dir, ["--timeframe", "1m", "--symbol", "ETHUSDT"])
        #expect(export.status == 0 && export.stdout.split(separator: "\n").count > 1, "\(export.stderr)")
        // A backtest session replays from its files: materialize those instead.
        #expect(try Self.materialize(dir).status == 0)
        let backtest = try HostCommandLineTests.run(["candles", "materialize", "--session", "last", "--config", config.path, "--data-dir", dataDir, "--quiet"])
        #expect(backtest.status == 68 && backtest.stderr.contains("materialize from the files"), "\(backtest.stderr)")
    }

    @Test("a configuration without an orderflow instance is refused before anything is written")
    func configWithoutOrderflow() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("ice.yaml")
        try """
            version: 1
            instances:
              - {id: ice, plugin: iceberg.so, kind: iceberg, symbols: [BTCUSDT]}
            """.write(to: config, atomically: true, encoding: .utf8)
        let out = try HostCommandLineTests.run(["candles", "materialize", "--data", BacktestTests.data.path, "--config", config.path,
                                                "--data-dir", dir.appendingPathComponent("data").path, "--quiet"])
        #expect(out.status == 65)
        #expect(out.stderr.contains("no instance writes smart_candles"), "\(out.stderr)")
    }
}
