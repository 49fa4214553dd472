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

        Binance load runs: --symbols N lists N generated USDT pairs (by falling 24 h volume) instead of the
        three default ones, --rate-multiplier X moves every market X times faster than Binance's 100 ms
        cadence, --weight-limit raises the REST weight budget (default 6000 per minute, as Binance).

        Failure injection (binance): while it runs, one command per line on standard input, each answered
        with `ok <command>` or `error: …` on standard output:
          gap SYMBOL [N]   skip the next N depth diffs of SYMBOL (a sequence gap the client must resync)
          pause | resume   freeze or restart every market (connections stay open)
          drop             close every stream connection
          silent on|off    stop or restart sending frames while the sockets stay open
          shutdown         send serverShutdown on every connection
        """)

    @Argument(help: "binance, bybit or polymarket.")
    var venue: String
    @Option(name: .long, help: "Port to listen on (0 = any free port).")
    var port = 0
    @Option(name: .long, help: "Stop after this many seconds (0 = until SIGINT).")
    var seconds = 0
    @Option(name: .long, help: "Write the feed: keys (YAML) to this file.")
    var feedFile: String?
    @Option(name: .long, help: "binance: list this many generated USDT pairs instead of BTC, ETH and BNB.")
    var symbols: Int?
    @Option(name: .long, help: "binance: markets move this many times faster than the 100 ms cadence.")
    var rateMultiplier: Double = 1
    @Option(name: .long, help: "binance: REST request weight per minute.")
    var weightLimit = 6_000
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
        if venue != "binance" && (symbols != nil || rateMultiplier != 1 || weightLimit != 6_000) {
            throw ValidationError("--symbols, --rate-multiplier and --weight-limit apply to the binance fake only")
        }
        if let symbols, !(1...5_000).contains(symbols) { throw ValidationError("--symbols must be in 1...5000, found \(symbols)") }
        guard rateMultiplier > 0, rateMultiplier <= 1_000 else { throw ValidationError("--rate-multiplier must be in (0, 1000], found \(rateMultiplier)") }
        guard weightLimit > 0 else { throw ValidationError("--weight-limit must be positive, found \(weightLimit)") }
    }

    func run() async throws {
        if venue == "polymarket" {
            var arguments = passthrough
            if seconds > 0 { arguments += ["--seconds", "\(seconds)"] }
            if let feedFile { arguments += ["--feed-file", feedFile] }
            let command = try FakeVenueCommand.parse(arguments)
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
                var configuration = FakeBinanceVenue.Configuration(rateMultiplier: rateMultiplier, weightLimit: weightLimit)
                if let symbols { configuration.symbols = Self.generatedSymbols(symbols) }
                let fake = FakeBinanceVenue(configuration: configuration, logger: logger)
                try await fake.start(port: port)
                Self.acceptCommands { Self.control(fake, $0) }
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

    /// `count` USDT pairs named `S0001USDT`… with prices from 0.5 to 50,000 and 24 h quote
    /// volumes falling with the index (so `top: N` picks the first N).
    static func generatedSymbols(_ count: Int) -> [FakeBinanceSymbol] {
        (0..<count).map { i in
            let base = String(format: "S%04d", i + 1)
            let price = [50_000.0, 3_000.0, 150.0, 12.0, 0.5][i % 5] * (1 + Double(i % 7) / 10)
            return .spot(base, "USDT", price: String(format: "%.2f", price), tick: "0.01", step: "0.00001",
                         quoteVolume24h: Decimal(1_000_000_000 / (i + 1)))
        }
    }

    /// Reads commands from standard input on a thread of its own until end of file (a
    /// terminal, a pipe from a script, or nothing at all under CI).
    static func acceptCommands(_ handle: @escaping @Sendable (String) -> String) {
        let thread = Thread {
            while let line = readLine() {
                let command = line.trimmingCharacters(in: .whitespaces)
                guard !command.isEmpty else { continue }
                FileHandle.standardOutput.write(Data((handle(command) + "\n").utf8))
            }
        }
        thread.name = "tsh.fake-venue.stdin"
        thread.start()
    }

    /// One failure-injection command for the fake Binance; the answer line.
    static func control(_ fake: FakeBinanceVenue, _ command: String) -> String {
        let words = command.split(separator: " ").map(String.init)
        let listed = Set(fake.configuration.symbols.map(\.symbol))
        switch words.first?.lowercased() {
        case "gap":
            guard words.count >= 2, listed.contains(words[1].uppercased()) else { return "error: gap needs a listed symbol, e.g. `gap BTCUSDT 1`" }
            let count = words.count >= 3 ? Int(words[2]) : 1
            guard let count, count > 0 else { return "error: gap: N must be a positive integer, found \(words[2])" }
            fake.injectGap(symbol: words[1].uppercased(), diffs: count)
        case "pause": fake.setPaused(true)
        case "resume": fake.setPaused(false)
        case "drop": fake.dropConnections()
        case "silent":
            guard words.count == 2, ["on", "off"].contains(words[1]) else { return "error: silent takes on or off" }
            fake.setSilent(words[1] == "on")
        case "shutdown": _ = fake.sendServerShutdown()
        default:
            return "error: unknown command '\(command)'; expected gap SYMBOL [N], pause, resume, drop, silent on|off or shutdown"
        }
        return "ok \(command)"
    }
}
