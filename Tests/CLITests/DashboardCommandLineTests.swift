import Foundation
import Testing

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
}
