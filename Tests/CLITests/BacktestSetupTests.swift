import ArgumentParser
import Foundation
import HostPersistence
import Testing
@testable import HostCLI

/// `host backtest` opens its database on a thread of its own while the plugins load
/// (`SessionAssembly.PendingWriter`): a setup that fails must still leave the data directory
/// to the next run.
struct BacktestSetupTests {
    @Test("a backtest whose plugin is missing exits with the plugin error and leaves its data directory unlocked for the next run")
    func failedSetupReleasesTheDataDirectory() throws {
        let (dir, data) = try BacktestInputErrorTests.copyOfData()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("db").path
        let missing = try CommandLineMessageTests.write(BacktestTests.config.replacingOccurrences(of: "ema_bench.so", with: "no_such_plugin.so"), "missing.yaml", in: dir)
        let failure = try #require(throws: HostFailure.self) {
            try BacktestCommand.parse(["--data", data.path, "--config", missing, "--data-dir", db, "--quiet", "--json"]).execute()
        }
        #expect(failure.exit == .pluginNotFound, "\(failure.message)")
        #expect(failure.message.contains("no_such_plugin.so"), "\(failure.message)")
        // In the same process: a lock still held would refuse this run (exit 74).
        #expect(DataDirectoryLock.runningHost(dataDirectory: db) == nil)
        let good = try CommandLineMessageTests.write(BacktestTests.config, "ema.yaml", in: dir)
        try BacktestCommand.parse(["--data", data.path, "--config", good, "--data-dir", db, "--quiet", "--json"]).execute()
    }

    @Test("a backtest on a data directory another writer holds exits 74 naming the holder, after loading its plugins")
    func lockedDataDirectoryIsAStorageFailure() throws {
        let (dir, data) = try BacktestInputErrorTests.copyOfData()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("db").path
        let holder = try DataDirectoryLock.acquire(dataDirectory: db)
        defer { withExtendedLifetime(holder) {} }
        let config = try CommandLineMessageTests.write(BacktestTests.config, "ema.yaml", in: dir)
        let failure = try #require(throws: HostFailure.self) {
            try BacktestCommand.parse(["--data", data.path, "--config", config, "--data-dir", db, "--quiet", "--json"]).execute()
        }
        #expect(failure.exit == .storageFailure, "\(failure.message)")
        #expect(failure.message.contains("--data-dir"), "\(failure.message)")
    }
}
