import Foundation
import HostPersistence
import Testing

/// One writer per data directory, and a kill switch that signals only a proven host.
struct DataDirectoryLockTests {
    static let endless = """
        version: 1
        host: {log_level: error, book_snapshot_interval_ms: 0}
        feed: {source: updown, seed: 7, assets: [BTC], window_minutes: 15, windows: 0, speed: 1}
        instances:
          - id: ls
            plugin: last_second.so
            mode: paper
            symbols: [BTC-15M-UP, BTC-15M-DOWN, BTC-USD]
            risk: {max_order_notional: 25, max_open_orders: 4, max_orders_per_second: 5, price_band_bps: 10000}
        """

    /// A host run on `data` until the test ends it (SIGKILL).
    static func startHost(_ dir: URL, data: URL) throws -> Process {
        let config = dir.appendingPathComponent("endless.yaml")
        try Self.endless.write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: HostCommandLineTests.host)
        process.arguments = ["run", "--config", config.path, "--data-dir", data.path, "--quiet", "--log-level", "error"]
        process.currentDirectoryURL = HostCommandLineTests.root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && process.isRunning && DataDirectoryLock.runningHost(dataDirectory: data.path) != process.processIdentifier {
            Thread.sleep(forTimeInterval: 0.1)
        }
        return process
    }

    static func stop(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @Test("kill-switch engage never signals a process whose pid is merely written in the data directory")
    func strangerIsNeverSignalled() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        let (made, _) = try BacktestTests.run(dir)  // leaves a database (and a released lock) in data/
        try #require(made.status == 0, "\(made.stderr)")
        let stranger = Process()
        stranger.executableURL = URL(fileURLWithPath: "/bin/sleep")
        stranger.arguments = ["60"]
        try stranger.run()
        defer { Self.stop(stranger) }
        try "\(stranger.processIdentifier)\n".write(to: data.appendingPathComponent(DataDirectoryLock.fileName), atomically: false, encoding: .utf8)
        try "\(stranger.processIdentifier)\n".write(to: data.appendingPathComponent("host.pid"), atomically: false, encoding: .utf8)

        let engage = try HostCommandLineTests.run(["kill-switch", "engage", "--data-dir", data.path])
        #expect(engage.status == 0, "\(engage.stderr)")
        #expect(engage.stdout.contains("no running host found"))
        Thread.sleep(forTimeInterval: 0.2)
        #expect(stranger.isRunning, "the stranger was signalled")
    }

    @Test("a second host on a data directory is refused with the first one's pid, while readers still work")
    func secondHostRefused() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        let first = try Self.startHost(dir, data: data)
        defer { Self.stop(first) }
        try #require(first.isRunning)
        #expect(DataDirectoryLock.runningHost(dataDirectory: data.path) == first.processIdentifier)

        let second = try HostCommandLineTests.run(["backtest", "--data", BacktestTests.data.path, "--strategy", "ema_bench.so", "--quiet",
                                                   "--data-dir", data.path])
        #expect(second.status == 74)
        #expect(second.stderr.contains("another host (pid \(first.processIdentifier))"), "\(second.stderr)")
        #expect(second.stderr.contains("--data-dir"))

        let report = try HostCommandLineTests.run(["report", "--data-dir", data.path, "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(first.isRunning)
    }

    @Test("kill-switch engage signals the host that holds the data directory, which keeps the operator's reason")
    func engageSignalsTheRealHost() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        let host = try Self.startHost(dir, data: data)
        defer { Self.stop(host) }
        try #require(host.isRunning)

        let engage = try HostCommandLineTests.run(["kill-switch", "engage", "--data-dir", data.path, "--reason", "desk says stop"])
        #expect(engage.status == 0, "\(engage.stderr)")
        #expect(engage.stdout.contains("running host pid \(host.processIdentifier) halted"), "\(engage.stdout)")
        // The running host handles SIGUSR1 and stores its own halt: the operator's words stay.
        Thread.sleep(forTimeInterval: 2)
        #expect(host.isRunning)
        let status = try HostCommandLineTests.run(["kill-switch", "status", "--data-dir", data.path]).stdout
        #expect(status.contains("desk says stop"), "\(status)")
        #expect(!status.contains("SIGUSR1"), "\(status)")
    }

    @Test("kill-switch release of an instance the database does not know is an error listing the known ones")
    func releaseUnknownInstance() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (made, _) = try BacktestTests.run(dir)
        try #require(made.status == 0, "\(made.stderr)")
        let release = try HostCommandLineTests.run(["kill-switch", "release", "--instance", "emma", "--data-dir", dir.appendingPathComponent("data").path])
        #expect(release.status == 64)
        #expect(release.stderr.contains("no instance 'emma'"))
        #expect(release.stderr.contains("ema"))
    }
}
