import Foundation
import Testing

/// `host backtest` on bad input: exit 68 with a message saying what to do, or a usage error
/// (exit 64) — issue 11, items 5 and 6 and the misleading messages.
struct BacktestInputErrorTests {
    /// A copy of the committed small data set in a fresh temporary directory (the original is never changed).
    static func copyOfData() throws -> (dir: URL, data: URL) {
        let dir = try HostCommandLineTests.temporaryDirectory()
        let data = dir.appendingPathComponent("tardis")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: BacktestTests.data.path) where name.hasSuffix(".csv") {
            try FileManager.default.copyItem(at: BacktestTests.data.appendingPathComponent(name), to: data.appendingPathComponent(name))
        }
        return (dir, data)
    }

    static func backtest(_ dir: URL, data: String, _ extra: [String] = []) throws -> HostCommandLineTests.Outcome {
        let config = dir.appendingPathComponent("ema.yaml")
        try BacktestTests.config.write(to: config, atomically: true, encoding: .utf8)
        return try HostCommandLineTests.run(["backtest", "--data", data, "--config", config.path,
                                             "--data-dir", dir.appendingPathComponent("db").path, "--json", "--quiet"] + extra)
    }

    /// Replaces line `number` (1-based) of `file`.
    static func replaceLine(_ number: Int, of file: URL, with text: String) throws {
        var lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
        lines[number - 1] = text
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    }

    /// Line `number` of `file` split into fields.
    static func fields(_ number: Int, of file: URL) throws -> [String] {
        try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")[number - 1].components(separatedBy: ",")
    }

    @Test("two exchanges for one symbol exit 68 naming both files and how to filter, not an internal error")
    func twoExchangesOneSymbol() throws {
        let (dir, data) = try Self.copyOfData()
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = data.appendingPathComponent("binance_quotes_2024-01-01_BTCUSDT.csv")
        let text = try String(contentsOf: original, encoding: .utf8)
        let bybit = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { $0.offset == 0 ? String($0.element) : String($0.element).replacingOccurrences(of: "binance,", with: "bybit,") }
            .joined(separator: "\n")
        try bybit.write(to: data.appendingPathComponent("bybit_quotes_2024-01-01_BTCUSDT.csv"), atomically: true, encoding: .utf8)
        let outcome = try Self.backtest(dir, data: data.path)
        #expect(outcome.status == 68, "\(outcome.stderr)")
        #expect(!outcome.stderr.contains("internal"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("binance_quotes_2024-01-01_BTCUSDT.csv"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("bybit_quotes_2024-01-01_BTCUSDT.csv"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("--symbols"), "\(outcome.stderr)")
    }

    @Test("a crossed quote stops the backtest with exit 68 naming file:line")
    func crossedQuoteFails() throws {
        let (dir, data) = try Self.copyOfData()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = data.appendingPathComponent("binance_quotes_2024-01-01_ETHUSDT.csv")
        var row = try Self.fields(5, of: file)
        (row[5], row[6]) = (row[6], row[5])  // bid above ask
        try Self.replaceLine(5, of: file, with: row.joined(separator: ","))
        let outcome = try Self.backtest(dir, data: data.path)
        #expect(outcome.status == 68, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("binance_quotes_2024-01-01_ETHUSDT.csv:5"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("crossed"), "\(outcome.stderr)")
    }

    @Test("with --skip-malformed an empty price and a negative amount are skipped and counted in rows_skipped")
    func garbageSkippedAndCounted() throws {
        let (dir, data) = try Self.copyOfData()
        defer { try? FileManager.default.removeItem(at: dir) }
        let quotes = data.appendingPathComponent("binance_quotes_2024-01-01_BTCUSDT.csv")
        var row = try Self.fields(3, of: quotes)
        row[6] = ""  // bid_price empty, bid_amount present
        try Self.replaceLine(3, of: quotes, with: row.joined(separator: ","))
        let trades = data.appendingPathComponent("binance_trades_2024-01-01_SOLUSDT.csv")
        var trade = try Self.fields(4, of: trades)
        trade[7] = "-" + trade[7]
        try Self.replaceLine(4, of: trades, with: trade.joined(separator: ","))
        let outcome = try Self.backtest(dir, data: data.path, ["--skip-malformed"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let summary = try #require((try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))) as? [String: Any])
        #expect(summary["rows_skipped"] as? Int == 2)
        #expect(summary["rows"] as? Int == 1_140)
    }

    @Test("--from equal to or after --to is a usage error (exit 64) that says so",
          arguments: [("2024-01-01T00:10:00Z", "2024-01-01T00:10:00Z"), ("2024-01-01T00:20:00Z", "2024-01-01T00:10:00Z")])
    func fromNotBeforeTo(from: String, to: String) throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let outcome = try Self.backtest(dir, data: BacktestTests.data.path, ["--from", from, "--to", to])
        #expect(outcome.status == 64, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("--from") && outcome.stderr.contains("earlier than --to"), "\(outcome.stderr)")
    }

    @Test("--data naming a file says it is a file, not that the directory does not exist")
    func dataIsAFile() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = BacktestTests.data.appendingPathComponent("binance_trades_2024-01-01_BTCUSDT.csv").path
        let outcome = try Self.backtest(dir, data: file)
        #expect(outcome.status == 68, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("not a directory"), "\(outcome.stderr)")
        #expect(!outcome.stderr.contains("does not exist"), "\(outcome.stderr)")
    }

    @Test("a malformed row's fix names the --skip-malformed flag of host backtest")
    func malformedFixNamesFlag() throws {
        let (dir, data) = try Self.copyOfData()
        defer { try? FileManager.default.removeItem(at: dir) }
        let trades = data.appendingPathComponent("binance_trades_2024-01-01_BTCUSDT.csv")
        var row = try Self.fields(2, of: trades)
        row[6] = "-"
        try Self.replaceLine(2, of: trades, with: row.joined(separator: ","))
        let outcome = try Self.backtest(dir, data: data.path)
        #expect(outcome.status == 68, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("binance_trades_2024-01-01_BTCUSDT.csv:2"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("--skip-malformed") && !outcome.stderr.contains("skip_malformed"), "\(outcome.stderr)")
    }
}
