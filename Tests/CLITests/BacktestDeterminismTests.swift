import Foundation
import GRDB
import HostPersistence
import Logging
import Testing

/// A backtest's decisions depend on its data and configuration only: never on how busy the
/// machine is or how fast the persistence writer writes.
struct BacktestDeterminismTests {
    /// An order every 5th quote (120 orders); the writer may hold only 4 uncommitted rows, so a
    /// slow writer makes the engine wait many times.
    static let config = """
        version: 1
        host: {log_level: error, writer_max_pending_rows: 4}
        instances:
          - id: ema
            plugin: ema_bench.so
            kind: ema
            symbols: [BTCUSDT, ETHUSDT, SOLUSDT]
            params: {period: 20, order_every: 5}
            risk: {max_order_notional: 1000000, price_band_bps: 10000, max_orders_per_second: 1000}
        """

    struct Run {
        var dataDirectory: URL
        var summary: [String: Any]
        var decisions: DecisionStream
    }

    static func backtest(in dir: URL, data: URL = BacktestTests.data, config: String = Self.config,
                         environment: [String: String] = [:]) throws -> Run {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("ema.yaml")
        try config.write(to: file, atomically: true, encoding: .utf8)
        let dataDirectory = dir.appendingPathComponent("data")
        let outcome = try HostCommandLineTests.run(
            ["backtest", "--data", data.path, "--config", file.path, "--data-dir", dataDirectory.path, "--json", "--quiet"],
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new })
        try #require(outcome.status == 0, "\(outcome.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let journal = try SQLiteJournal.openExisting(path: dataDirectory.appendingPathComponent("host.sqlite").path,
                                                     logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { journal.close() }
        let decisions = try journal.decisionStream(sessionID: try #require(summary["session_id"] as? String))
        return Run(dataDirectory: dataDirectory, summary: summary, decisions: decisions)
    }

    /// The summary's figures that follow from the decisions (not times, rates or memory).
    static func outcomeFigures(_ summary: [String: Any]) -> [String] {
        var lines = ["rows \(summary["rows"] ?? "?")", "events \(summary["events_processed"] ?? "?")",
                     "timers \(summary["timers_fired"] ?? "?")", "signals \(summary["signals_delivered"] ?? "?")"]
        for instance in summary["instances"] as? [[String: Any]] ?? [] {
            let keys = ["id", "callbacks", "signals_emitted", "orders_submitted", "orders_denied", "fills", "realized_pnl", "cash",
                        "open_positions", "counters", "gauges"]
            lines.append(keys.map { key -> String in
                let value: String = switch instance[key] {
                case let map as [String: Any]: map.keys.sorted().map { "\($0):\(map[$0]!)" }.joined(separator: ",")
                case let other?: "\(other)"
                case nil: "nil"
                }
                return "\(key)=\(value)"
            }.joined(separator: " "))
        }
        return lines
    }

    /// Keeps both cores busy with `count` spinning processes until `body` returns.
    static func underLoad<T>(_ count: Int = 2, _ body: () throws -> T) throws -> T {
        let spinners = try (0..<count).map { _ -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            // Bounded in time even if the test dies; SIGKILL below (threads of the test runner
            // block SIGTERM, and a spawned child inherits that mask).
            process.arguments = ["-c", "end=$(($(date +%s) + 120)); while [ $(date +%s) -lt $end ]; do :; done"]
            try process.run()
            return process
        }
        defer {
            for spinner in spinners { kill(spinner.processIdentifier, SIGKILL) }
            for spinner in spinners { spinner.waitUntilExit() }
        }
        return try body()
    }

    @Test("five runs of one backtest — alone, on a loaded machine and with a slowed writer — decide identically, deny nothing for writer lag, and each replays identical")
    func identicalUnderLoadAndSlowWriter() throws {
        let root = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        var runs: [Run] = []
        runs.append(try Self.backtest(in: root.appendingPathComponent("alone-1")))
        runs.append(try Self.backtest(in: root.appendingPathComponent("alone-2")))
        try Self.underLoad {
            runs.append(try Self.backtest(in: root.appendingPathComponent("loaded-1")))
            runs.append(try Self.backtest(in: root.appendingPathComponent("loaded-2")))
        }
        // 3 ms per row written: the writer is far slower than the engine, which must wait for it.
        let slow = try Self.backtest(in: root.appendingPathComponent("slow-writer"), environment: ["TSH_WRITER_DELAY_US": "3000"])
        runs.append(slow)
        #expect((slow.summary["writer_waits"] as? Int ?? 0) > 0, "the slowed writer never made the engine wait")

        let reference = runs[0]
        #expect(reference.decisions.orders.count == 120)
        for run in runs {
            #expect(run.decisions == reference.decisions)
            #expect(Self.outcomeFigures(run.summary) == Self.outcomeFigures(reference.summary))
            #expect(!run.decisions.updates.contains { $0.contains("deny=trading_halted") })
            let session = try #require(run.summary["session_id"] as? String)
            let replay = try HostCommandLineTests.run(["replay", session, "--data-dir", run.dataDirectory.path])
            #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
            #expect(replay.stdout.hasPrefix("identical"), "\(replay.stdout)")
        }
    }

    @Test("a backtest stores its decisions and its data files' digests, not copies of its input, unless book snapshots are asked for")
    func storesNoCopiesOfItsInput() throws {
        let root = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let plain = try Self.backtest(in: root.appendingPathComponent("plain"))
        let snapshots = try Self.backtest(in: root.appendingPathComponent("snapshots"),
                                          config: Self.config.replacingOccurrences(of: "writer_max_pending_rows: 4", with: "book_snapshot_interval_ms: 1000"))
        func count(_ table: String, _ run: Run) throws -> Int {
            let queue = try DatabaseQueue(path: run.dataDirectory.appendingPathComponent("host.sqlite").path)
            return try queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
        }
        #expect(try count("input_events", plain) == 0)
        #expect(try count("book_snapshots", plain) == 0)
        #expect(try count("orders", plain) == 120)
        #expect(try count("book_snapshots", snapshots) > 0)
        #expect(plain.summary["recorded"] as? String == "data files")

        let queue = try DatabaseQueue(path: plain.dataDirectory.appendingPathComponent("host.sqlite").path)
        let text = try #require(try queue.read { try String.fetchOne($0, sql: "SELECT data_files FROM sessions") })
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let files = try #require(manifest["files"] as? [[String: Any]])
        #expect(files.count == 7)
        for file in files {
            #expect((file["digest"] as? String)?.count == 16)
            #expect(file["bytes_read"] as? Int == file["size"] as? Int)
        }
    }

    @Test("a replay of a backtest whose data file changed since is refused, naming the file")
    func changedDataFileRefused() throws {
        let root = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("tardis")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: BacktestTests.data.path) where name.hasSuffix(".csv") {
            try FileManager.default.copyItem(at: BacktestTests.data.appendingPathComponent(name), to: data.appendingPathComponent(name))
        }
        let run = try Self.backtest(in: root.appendingPathComponent("run"), data: data)
        // The same size, one digit different: only the digest can tell.
        let file = data.appendingPathComponent("binance_trades_2024-01-01_ETHUSDT.csv")
        var bytes = [UInt8](try Data(contentsOf: file))
        let index = try #require(bytes.lastIndex { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "8") })
        bytes[index] += 1
        try Data(bytes).write(to: file)
        let session = try #require(run.summary["session_id"] as? String)
        let replay = try HostCommandLineTests.run(["replay", session, "--data-dir", run.dataDirectory.path])
        #expect(replay.status == 1)
        #expect(replay.stderr.contains("binance_trades_2024-01-01_ETHUSDT.csv changed since the recording"), "\(replay.stderr)")
        #expect(replay.stderr.contains("fix:"))
    }
}
