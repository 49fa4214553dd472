import Foundation
import Testing

/// Messages that used to mislead: each says what is wrong and what to do.
struct CommandLineMessageTests {
    static func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let file = dir.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test("a negative --events is a usage error that says the allowed range, not 'Missing value'")
    func negativeEvents() throws {
        let outcome = try HostCommandLineTests.run(["run", "--strategy", "ema_bench.so", "--events", "-5"])
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains("--events must be >= 0"), "\(outcome.stderr)")
        #expect(!outcome.stderr.contains("Missing value"))
    }

    @Test("--strategy together with --config is refused instead of ignored")
    func strategyWithConfig() throws {
        for command in [["run"], ["backtest", "--data", BacktestTests.data.path]] {
            let outcome = try HostCommandLineTests.run(command + ["--strategy", "ema_bench.so", "--config", "strategies/demo.yaml"])
            #expect(outcome.status == 64, "\(command): \(outcome.stderr)")
            #expect(outcome.stderr.contains("not both"), "\(outcome.stderr)")
        }
    }

    @Test("--events on the up/down feed is refused instead of ignored")
    func eventsOnUpDownFeed() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try Self.write("""
            version: 1
            feed: {source: updown, assets: [BTC], window_minutes: 15, windows: 1}
            instances:
              - {id: ls, plugin: last_second.so, symbols: [BTC-15M-UP, BTC-15M-DOWN, BTC-USD]}
            """, "updown.yaml", in: dir)
        let outcome = try HostCommandLineTests.run(["run", "--config", config, "--events", "100", "--data-dir", dir.appendingPathComponent("data").path])
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains("--events applies to the simulated market feed"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("feed.windows"))
    }

    @Test("a decimal too large for exact arithmetic says it is out of range, not that it is not a decimal")
    func hugeDecimal() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try Self.write("""
            version: 1
            instances:
              - {id: e, plugin: ema_bench.so, kind: ema, symbols: [BTCUSDT], risk: {price_band_bps: 1e308}}
            """, "huge.yaml", in: dir)
        let outcome = try HostCommandLineTests.run(["run", "--config", config, "--data-dir", dir.appendingPathComponent("data").path])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("1e308 is out of range"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("price_band_bps"))
    }

    @Test("a replay of a directory without a database names the data directory option that exists")
    func replayWithoutDatabase() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let outcome = try HostCommandLineTests.run(["replay", "last", "--data-dir", dir.path])
        #expect(outcome.status == 74)
        #expect(outcome.stderr.contains("--data-dir"))
        #expect(!outcome.stderr.contains("--db"), "\(outcome.stderr)")
    }

    @Test("problems of the file and of plugin parameters are reported together, in one run")
    func everyProblemAtOnce() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try Self.write("""
            version: 1
            host: {log_levl: error}
            instances:
              - {id: e, plugin: ema_bench.so, kind: ema, symbols: [BTCUSDT], params: {perod: 20}}
            """, "two.yaml", in: dir)
        let outcome = try HostCommandLineTests.run(["run", "--config", config, "--data-dir", dir.appendingPathComponent("data").path])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("log_levl"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("perod"), "\(outcome.stderr)")
    }
}
