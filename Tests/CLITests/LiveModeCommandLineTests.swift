import Foundation
import GRDB
import Testing

/// Live trading needs `mode: live`, `--live` and the account in the environment — each refused
/// clearly, before any network access, when missing.
@Suite("live mode opt-in")
struct LiveModeCommandLineTests {
    static func config(mode: String) throws -> URL {
        let dir = try HostCommandLineTests.temporaryDirectory()
        let file = dir.appendingPathComponent("live.yaml")
        try """
        version: 1
        host: {data_dir: \(dir.path)/data}
        feed:
          source: polymarket
          assets: [BTC]
          durations: [5m]
          gamma_url: http://127.0.0.1:9
          clob_url: http://127.0.0.1:9
          market_ws_url: ws://127.0.0.1:9/ws/market
          user_ws_url: ws://127.0.0.1:9/ws/user
          rtds_url: ws://127.0.0.1:9/
        instances:
          - id: ls
            plugin: last_second.so
            mode: \(mode)
            venue: polymarket
            symbols: [BTC-5M-UP, BTC-5M-DOWN, BTC-USD]
            params: {window_seconds: 300}
        """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    static var environmentWithoutAccount: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("POLYMARKET_") }
    }

    @Test("a mode: live instance without --live is refused (exit 1) with the flag to pass")
    func liveNeedsFlag() throws {
        let outcome = try HostCommandLineTests.run(["run", "--config", try Self.config(mode: "live").path, "--quiet"],
                                                   environment: Self.environmentWithoutAccount)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("--live"))
    }

    @Test("--live without the account in the environment is refused (exit 65) naming the variable")
    func liveNeedsAccount() throws {
        let outcome = try HostCommandLineTests.run(["run", "--config", try Self.config(mode: "live").path, "--live", "--quiet"],
                                                   environment: Self.environmentWithoutAccount)
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("POLYMARKET_PRIVATE_KEY"))
    }

    @Test("a live-data session whose discovery fails does not start (exit 1) and says what failed")
    func discoveryFailureStops() throws {
        let outcome = try HostCommandLineTests.run(["run", "--config", try Self.config(mode: "paper").path, "--quiet"],
                                                   environment: Self.environmentWithoutAccount)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("discovery"))
    }
}

/// The whole live path as a user runs it: `host polymarket fake-venue` in one process, `host --live`
/// in another, talking the real protocols over loopback.
@Suite("live mode against the fake venue")
struct LiveAgainstFakeVenueTests {
    static let testAccount = [
        "POLYMARKET_PRIVATE_KEY": "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
        "POLYMARKET_API_KEY": "00000000-0000-4000-8000-00000000fa6e",
        "POLYMARKET_API_SECRET": "ZmFrZS12ZW51ZS1zZWNyZXQtZmFrZS12ZW51ZS1zZWNyZXQ=",
        "POLYMARKET_API_PASSPHRASE": "fake-venue",
    ]

    @Test("host --live trades last_second against the fake venue: orders signed and accepted, live fills committed, clean exit on SIGINT")
    func liveRunCommitsFills() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        let environment = LiveModeCommandLineTests.environmentWithoutAccount.merging(Self.testAccount) { $1 }
        let feedFile = dir.appendingPathComponent("feed.yaml")
        let venue = Process()
        venue.executableURL = URL(fileURLWithPath: HostCommandLineTests.host)
        venue.arguments = ["polymarket", "fake-venue", "--feed-file", feedFile.path, "--seconds", "120"]
        venue.environment = environment
        venue.standardOutput = FileHandle.nullDevice
        venue.standardError = FileHandle.nullDevice
        try venue.run()
        defer { venue.interrupt() }
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: feedFile.path) && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let keys = try String(contentsOf: feedFile, encoding: .utf8)
        let config = dir.appendingPathComponent("live.yaml")
        try """
        version: 1
        host: {data_dir: \(dir.path)/data}
        feed:
          source: polymarket
          assets: [BTC]
          durations: [5m]
        \(keys)
        instances:
          - id: ls-live
            plugin: last_second.so
            mode: live
            venue: polymarket
            symbols: [BTC-5M-UP, BTC-5M-DOWN, BTC-USD]
            params: {window_seconds: 300, trigger_seconds: 300, min_buy_price: 0.01, min_abs_z: 0}
            risk: {max_order_notional: 25, price_band_bps: 10000}
        """.write(to: config, atomically: true, encoding: .utf8)

        let host = Process()
        host.executableURL = URL(fileURLWithPath: HostCommandLineTests.host)
        host.arguments = ["--config", config.path, "--live", "--quiet"]
        host.environment = environment
        let out = Pipe()
        host.standardOutput = out
        host.standardError = FileHandle.nullDevice
        try host.run()
        let database = dir.appendingPathComponent("data/host.sqlite").path
        func liveFills() -> Int {
            guard let queue = try? DatabaseQueue(path: database) else { return 0 }
            return (try? queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM fills WHERE mode = 'live'") ?? 0 }) ?? 0
        }
        let until = Date().addingTimeInterval(60)
        while liveFills() == 0 && Date() < until && host.isRunning { Thread.sleep(forTimeInterval: 0.25) }
        host.interrupt()
        let summary = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        host.waitUntilExit()
        #expect(host.terminationStatus == 0, "\(summary)")
        #expect(liveFills() >= 1, "\(summary)")
        #expect(summary.contains("ls-live [dev.strategyhost.last_second, live]"))
    }
}
