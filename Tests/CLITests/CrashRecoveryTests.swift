import Foundation
import HostCore
import HostPersistence
import Logging
import Testing

/// Kills a trading host with SIGKILL and restarts it on the same database.
struct CrashRecoveryTests {
    static func config(windows: Int) -> String {
        """
        version: 1
        host: {log_level: notice, book_snapshot_interval_ms: 0}
        feed: {source: updown, seed: 7, assets: [BTC, ETH], window_minutes: 15, windows: \(windows), speed: 0}
        instances:
          - id: ls
            plugin: last_second.so
            mode: paper
            symbols: [BTC-15M-UP, BTC-15M-DOWN, BTC-USD, ETH-15M-UP, ETH-15M-DOWN, ETH-USD]
            risk: {max_order_notional: 25, max_open_orders: 4, max_orders_per_second: 5, price_band_bps: 10000}
        """
    }

    static func committedFills(_ path: String) throws -> [StoredFill] {
        let journal = try SQLiteJournal(path: path, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { journal.close() }
        return try journal.loadFills(instanceID: "ls", mode: .paper)
    }

    @Test("after kill -9 mid-run, a restart restores exactly the cash and positions of every committed fill")
    func killNineAndRestart() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let endless = dir.appendingPathComponent("endless.yaml")
        let short = dir.appendingPathComponent("short.yaml")
        try Self.config(windows: 0).write(to: endless, atomically: true, encoding: .utf8)
        try Self.config(windows: 1).write(to: short, atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("data")
        let database = data.appendingPathComponent("host.sqlite").path

        let process = Process()
        process.executableURL = URL(fileURLWithPath: HostCommandLineTests.host)
        process.arguments = ["run", "--config", endless.path, "--data-dir", data.path, "--quiet", "--log-level", "error"]
        process.currentDirectoryURL = HostCommandLineTests.root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Trade until at least a few fills are committed, then kill without warning.
        var committed: [StoredFill] = []
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.5)
            if FileManager.default.fileExists(atPath: database), let fills = try? Self.committedFills(database), fills.count >= 6 { break }
        }
        #expect(process.isRunning, "the endless run must still be trading when it is killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        committed = try Self.committedFills(database)
        #expect(committed.count >= 6)
        var cash = Decimal(10_000)
        var positions: [String: Decimal] = [:]
        for fill in committed {
            let signed = fill.side == .buy ? fill.size : -fill.size
            cash -= signed * fill.price + fill.fee
            positions[fill.symbol, default: 0] += signed
        }
        let open = positions.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")

        // Engage the kill switch so the restart cannot trade, then restart on the same data.
        let engage = try HostCommandLineTests.run(["kill-switch", "engage", "--data-dir", data.path, "--reason", "crash test"])
        #expect(engage.status == 0, "\(engage.stderr)")
        let restart = try HostCommandLineTests.run(["run", "--config", short.path, "--data-dir", data.path, "--quiet", "--json"])
        #expect(restart.status == 0, "\(restart.stderr)")
        let restored = try #require(restart.stderr.split(separator: "\n").first { $0.contains("Account restored from the journal") })
        #expect(restored.contains("fills=\(committed.count)"))
        #expect(restored.contains("cash=\(cash)"))
        // The log quotes a value with `=` in it (any open position): `positions="BTC-15M-DOWN=10.1"`.
        #expect(restored.contains("positions=\(open)") || restored.contains("positions=\"\(open)\""), "\(restored)")
        #expect(restart.stderr.contains("stays engaged"))
        // Nothing committed before the kill was lost by the restart.
        #expect(try Self.committedFills(database).count >= committed.count)
    }
}
