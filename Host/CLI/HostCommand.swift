import ArgumentParser
import Foundation
import HostCore
import HostPlugins

/// The `host` command line.
public struct HostCommand: AsyncParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Strategy host: feeds, engine, risk, paper/live execution and persistence for plugins loaded through a C ABI.",
        discussion: """
        SDK ABI \(HostABI.versionString). Exit codes: \(HostExit.allCases.map { "\($0.rawValue) \($0.meaning)" }.joined(separator: "; ")).
        """,
        version: version,
        subcommands: [RunCommand.self, PluginsCommand.self, CandlesCommand.self, CollectCommand.self, IcebergsCommand.self, BenchCommand.self, KillSwitchCommand.self, ReportCommand.self, ReplayCommand.self, FeedCommand.self,
                      BacktestCommand.self, PolymarketCommand.self, FakeVenueRootCommand.self],
        defaultSubcommand: RunCommand.self)

    public init() {}
}

/// Entry point for the `host` executable: parses arguments, runs, exits with the
/// documented codes.
public enum HostMain {
    /// Monotonic ns when `main` started: commands report their time from here.
    nonisolated(unsafe) public private(set) static var startNanos = monotonicNanos()

    public static func run() async {
        startNanos = monotonicNanos()
        // SIGUSR1 is `host kill-switch engage`'s signal to a process holding a data directory's
        // lock: never the default action (terminate), even before a run installs its handler.
        signal(SIGUSR1, SIG_IGN)
        await HostCommand.main()
    }
}
