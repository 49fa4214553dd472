import ArgumentParser
import BinanceFakes
import Bybit
import BybitFakes
import Foundation
import Logging

/// `host fake-venue binance|bybit|polymarket [--port P]`: one loopback venue speaking the real
/// protocols with moving markets, so any command can be pointed at it without the internet.
struct FakeVenueRootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-venue",
        abstract: "Run a fake Binance, Bybit or Polymarket on 127.0.0.1 with moving markets (simulated data, no money).",
        discussion: """
        It speaks the venue's real WebSocket and REST protocols and prints the feed: keys that point a host at it
        (`host run --config …` with those keys, `host feed watch`, …). Runs until SIGINT or --seconds.
        `host fake-venue polymarket` takes the options of `host polymarket fake-venue` after the venue name.
        """)

    @Argument(help: "binance, bybit or polymarket.")
    var venue: String
    @Option(name: .long, help: "Port to listen on (0 = any free port).")
    var port = 0
    @Option(name: .long, help: "Stop after this many seconds (0 = until SIGINT).")
    var seconds = 0
    @Option(name: .long, help: "Write the feed: keys (YAML) to this file.")
    var feedFile: String?
    @Argument(parsing: .allUnrecognized, help: "Options for the Polymarket fake (see `host polymarket fake-venue --help`).")
    var passthrough: [String] = []

    func validate() throws {
        guard ["binance", "bybit", "polymarket"].contains(venue) else {
            throw ValidationError("unknown venue '\(venue)'; expected binance, bybit or polymarket")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be in 0...65535, found \(port)") }
        if venue != "polymarket" && !passthrough.isEmpty {
            throw ValidationError("unexpected arguments for the \(venue) fake: \(passthrough.joined(separator: " "))")
        }
    }

    func run() async throws {
        if venue == "polymarket" {
            var arguments = passthrough
            if seconds > 0 { arguments += ["--seconds", "\(seconds)"] }
            if let feedFile { arguments += ["--feed-file", feedFile] }
            var command = try FakeVenueCommand.parse(arguments)
            try await command.run()
            return
        }
        try await reportingFailures {
            let logger = Logger(label: "tsh.fake-venue")
            let yaml: String
            let stopVenue: @Sendable () async -> Void
            let runVenue: Task<Void, Never>
            switch venue {
            case "binance":
                let fake = FakeBinanceVenue(logger: logger)
                try await fake.start(port: port)
                guard let urls = fake.urls else { throw HostFailure(exit: .runtimeFailure, message: "error: the fake Binance did not start") }
                yaml = "  source: binance\n  rest_url: \(urls.rest)\n  ws_url: \(urls.websocket)\n  symbols: [\(fake.configuration.symbols.map(\.symbol).joined(separator: ", "))]"
                stopVenue = { await fake.stop() }
                runVenue = Task { while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) } }
            default:
                let fake = FakeBybitVenue(logger: logger)
                let bound = try await fake.start(port: port)
                let symbols = fake.configuration.instruments.filter { $0.category == .spot }.map(\.symbol)
                yaml = "  source: bybit\n  category: spot\n  rest_url: \(fake.urls.rest)\n  ws_url: ws://127.0.0.1:\(bound)\n  symbols: [\(symbols.joined(separator: ", "))]"
                stopVenue = { await fake.stop() }
                runVenue = Task { await fake.run() }
            }
            // Unbuffered: a script reading the keys from a pipe gets them now, not at exit.
            FileHandle.standardOutput.write(Data("fake \(venue) running on 127.0.0.1 (SIMULATED markets, no money). Point a host at it with these feed: keys:\n\(yaml)\n".utf8))
            if let feedFile { try (yaml + "\n").write(toFile: feedFile, atomically: true, encoding: .utf8) }
            let stop = Task {
                if seconds > 0 { try? await Task.sleep(for: .seconds(seconds)) } else { try? await Task.sleep(for: .seconds(86_400 * 365)) }
            }
            let signals = ShutdownSignals { _ in stop.cancel() }
            _ = await stop.result
            signals.cancel()
            runVenue.cancel()
            await stopVenue()
            await runVenue.value
        }
    }
}
