import Foundation
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
