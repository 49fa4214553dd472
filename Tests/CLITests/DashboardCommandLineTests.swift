import Foundation
import GRDB
import Testing
@testable import HostCLI
import HostConfig
import HostDashboard
import VenueKit

/// The dashboard's start-up rules, as a user meets them on the command line.
struct DashboardCommandLineTests {
    @Test("binding the dashboard to a non-loopback address without a token refuses to start, exit 64, saying how to fix it")
    func nonLoopbackWithoutTokenRefused() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("last_second.yaml")
        try DashboardBrowserTests.config(data: dir.appendingPathComponent("data")).write(to: config, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["TSH_DASHBOARD_TOKEN"] = nil
        let outcome = try HostCommandLineTests.run(
            ["run", "--config", config.path, "--dashboard-port", "\(try DashboardBrowserTests.freePort())", "--dashboard-host", "0.0.0.0", "--seconds", "5"],
            environment: environment)
        #expect(outcome.status == 64, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("not loopback"))
        #expect(outcome.stderr.contains("TSH_DASHBOARD_TOKEN"))
    }

    @Test("the dashboard token of the configuration file is not stored in the session's recorded configuration")
    func dashboardTokenNotPersisted() async throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        let token = "never-stored-0123456789abcdef"
        let config = dir.appendingPathComponent("last_second.yaml")
        try DashboardBrowserTests.config(data: data)
            .replacingOccurrences(of: "  data_dir: \(data.path)\n", with: "  data_dir: \(data.path)\n  dashboard_token: \(token)\n")
            .write(to: config, atomically: true, encoding: .utf8)
        #expect(try String(contentsOf: config, encoding: .utf8).contains(token))
        let outcome = try await CollectCommandTests.host(["run", "--config", config.path, "--seconds", "2", "--quiet"])  // on its own thread, not the pool's
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let database = try DatabaseQueue(path: data.appendingPathComponent("host.sqlite").path)
        let stored = try #require(try await database.read { try String.fetchOne($0, sql: "SELECT config_text FROM sessions") })
        #expect(!stored.contains(token))
        #expect(stored.contains("dashboard_token: \"[redacted]\""))
    }

    @Test("the per-cohort CVD uses the thresholds an instance gives a symbol, its override first, and the defaults elsewhere")
    func cohortThresholdsFromTheConfiguration() throws {
        let configuration = try StrategyConfigLoader.parse("""
            version: 1
            instances:
              - id: flow
                plugin: orderflow.so
                symbols: [BTCUSDT, ETHUSDT]
                params: {whale_notional: 5000, dolphin_notional: 1000}
                overrides:
                  ETHUSDT: {whale_notional: 2000}
            """, file: "test.yaml", checkFeedSymbols: false)
        let thresholds = RunDashboard.cohortThresholds(configuration, symbols: ["BTCUSDT", "ETHUSDT", "SOLUSDT"])
        #expect(thresholds["BTCUSDT"] == CohortThresholds(whale: 5_000, dolphin: 1_000))
        #expect(thresholds["ETHUSDT"] == CohortThresholds(whale: 2_000, dolphin: 1_000))
        #expect(thresholds["SOLUSDT"] == nil)
    }

    @Test("a live feed's health reads connected while connections are open, with the lost ones, gaps and resyncs")
    func liveFeedConnectionState() {
        #expect(FeedStateBox.connection(connects: 0, disconnects: 0, gaps: 0, resyncs: 0, breakerOpenings: 0) == "connecting")
        #expect(FeedStateBox.connection(connects: 2, disconnects: 0, gaps: 0, resyncs: 0, breakerOpenings: 0) == "connected (2 connections)")
        #expect(FeedStateBox.connection(connects: 3, disconnects: 1, gaps: 2, resyncs: 1, breakerOpenings: 0)
            == "connected (2 connections) · 1 connection lost · 2 sequence gaps · 1 book resync")
        #expect(FeedStateBox.connection(connects: 2, disconnects: 2, gaps: 0, resyncs: 0, breakerOpenings: 1)
            == "disconnected, reconnecting · 2 connections lost · 1 circuit breaker opening")
    }

    @Test("a feed that ended says so whatever its counters")
    func endedFeedSaysEnded() {
        let box = FeedStateBox()
        box.counters = VenueCounters(venue: "binance")
        box.state = "ended"
        #expect(box.description == "ended")
    }
}
