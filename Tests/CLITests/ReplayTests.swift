import Foundation
import GRDB
import Testing

/// `host replay`: a recorded session fed back through the engine gives the same decisions.
struct ReplayTests {
    static func config(tradeSize: Int = 10) -> String {
        """
        version: 1
        host: {log_level: error, book_snapshot_interval_ms: 0}
        feed: {source: updown, seed: 11, assets: [BTC], window_minutes: 15, windows: 6, start_time: 1763683200, speed: 0}
        instances:
          - id: ls
            plugin: last_second.so
            mode: paper
            symbols: [BTC-15M-UP, BTC-15M-DOWN, BTC-USD]
            params: {max_trade_usd: \(tradeSize)}
            risk: {max_order_notional: 25, max_open_orders: 4, max_orders_per_second: 5, price_band_bps: 10000}
        """
    }

    static func recordSession(in dir: URL) throws -> (config: URL, data: URL) {
        let config = dir.appendingPathComponent("ls.yaml")
        try Self.config().write(to: config, atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("data")
        let run = try HostCommandLineTests.run(["run", "--config", config.path, "--data-dir", data.path, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        return (config, data)
    }

    @Test("a recorded simulated last-second session replays to an identical decision stream")
    func identical() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (_, data) = try Self.recordSession(in: dir)
        let replay = try HostCommandLineTests.run(["replay", "last", "--data-dir", data.path, "--json"])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any])
        #expect(object["identical"] as? Bool == true)
        #expect((object["decisions_recorded"] as? Int ?? 0) > 0)
        #expect(object["decisions_recorded"] as? Int == object["decisions_replayed"] as? Int)
    }

    @Test("replay refuses a changed configuration file, naming it, unless --allow-changes")
    func refusesChangedConfig() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (config, data) = try Self.recordSession(in: dir)
        try Self.config(tradeSize: 6).write(to: config, atomically: true, encoding: .utf8)
        let refused = try HostCommandLineTests.run(["replay", "last", "--data-dir", data.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("configuration: \(config.path) changed"))
        #expect(refused.stderr.contains("--allow-changes"))
    }

    @Test("replaying with a changed trade size reports the first divergence with both sides")
    func divergenceShown() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (config, data) = try Self.recordSession(in: dir)
        try Self.config(tradeSize: 6).write(to: config, atomically: true, encoding: .utf8)
        let replay = try HostCommandLineTests.run(["replay", "last", "--data-dir", data.path, "--allow-changes"])
        #expect(replay.status == 1)
        #expect(replay.stdout.contains("DIVERGED"))
        #expect(replay.stdout.contains("recorded: order"))
        #expect(replay.stdout.contains("replayed: order"))
    }

    @Test("an unknown session id is a usage error that lists the stored sessions")
    func unknownSession() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (_, data) = try Self.recordSession(in: dir)
        let replay = try HostCommandLineTests.run(["replay", "nope", "--data-dir", data.path])
        #expect(replay.status == 64)
        #expect(replay.stderr.contains("no session 'nope'"))
    }

    @Test("replay refuses a session recorded by another host version and says which versions differ")
    func otherHostVersion() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (_, data) = try Self.recordSession(in: dir)
        let database = try DatabaseQueue(path: data.appendingPathComponent("host.sqlite").path)
        try database.write { db in try db.execute(sql: "UPDATE sessions SET host_version = '0.0.9'") }
        try database.close()
        let replay = try HostCommandLineTests.run(["replay", "last", "--data-dir", data.path])
        #expect(replay.status == 1)
        #expect(replay.stderr.contains("host version: recorded 0.0.9"))
    }
}
