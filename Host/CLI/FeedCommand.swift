import ArgumentParser
import Binance
import Bybit
import Foundation
import HostConfig
import HostCore
import HostEngine
import Logging
import Synchronization
import VenueKit

/// `host feed …`: audit and debugging tools for exchange market data.
struct FeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "Audit and watch exchange market data (Binance, Bybit).",
        subcommands: [ReplayFramesCommand.self, WatchCommand.self])
}

/// `host feed replay-frames`: recorded raw frames through the same parser and book code as live.
struct ReplayFramesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-frames",
        abstract: "Run recorded raw venue frames through the live parser and book code and print the final book and counts.",
        discussion: """
        FILE holds one JSON message per line as the venue sent it (for Binance, combined-stream or raw payloads; a
        `<timestamp>: <json>` prefix is accepted). For Binance, --snapshot gives the REST depth snapshot(s) the live
        client would have fetched. Prints each book's top --depth levels, level counts and last update id, and the
        counts of frames, applied updates, updates dropped as stale, gaps, resyncs and malformed frames.
        """)

    @Option(name: .long, help: "binance or bybit.")
    var venue: String
    @Option(name: .long, help: "File of recorded frames, one JSON message per line.")
    var frames: String
    @Option(name: .long, help: "Binance: a REST /api/v3/depth snapshot file.")
    var snapshot: String?
    @Option(name: .long, help: "Levels per side to print.")
    var depth = 10
    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        guard ["binance", "bybit"].contains(venue) else { throw ValidationError("--venue must be binance or bybit, found '\(venue)'") }
        guard depth >= 1 else { throw ValidationError("--depth must be >= 1, found \(depth)") }
        if venue == "bybit" && snapshot != nil { throw ValidationError("--snapshot applies to Binance (Bybit sends its snapshots on the stream)") }
    }

    func run() throws {
        do {
            guard FileManager.default.isReadableFile(atPath: frames) else {
                throw HostFailure(exit: .invalidData, message: "error: --frames \(frames): no such readable file\nfix: pass a file of recorded frames, one JSON message per line")
            }
            if let snapshot, !FileManager.default.isReadableFile(atPath: snapshot) {
                throw HostFailure(exit: .invalidData, message: "error: --snapshot \(snapshot): no such readable file\nfix: pass the REST depth snapshot file, or leave --snapshot out")
            }
            switch venue {
            case "binance":
                let report: BinanceReplayReport
                do { report = try BinanceFrameReplay.run(framesFile: frames, snapshotFile: snapshot, depth: depth) } catch {
                    throw HostFailure(exit: .invalidData, message: "error: \(error)\nfix: check the files: frames one JSON message per line, the snapshot a /api/v3/depth body")
                }
                print(json ? try report.json() : report.text)
            default:
                let report: BybitFrameReplayReport
                do { report = try BybitFrameReplay.run(file: frames, depth: depth) } catch {
                    throw HostFailure(exit: .invalidData, message: "error: \(error)\nfix: pass a file of recorded Bybit frames, one JSON message per line")
                }
                print(json ? try report.json() : report.text)
            }
        } catch let failure as HostFailure {
            FileHandle.standardError.write(Data((failure.message + "\n").utf8))
            throw ExitCode(failure.exit.rawValue)
        }
    }
}

/// `host feed watch`: live top of book and message rates of an exchange feed.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Show live top of book and message rates for symbols of Binance or Bybit.",
        discussion: "Point it at a fake with --rest-url/--ws-url (see `host fake-venue`). Runs until SIGINT or --seconds.")

    @Option(name: .long, help: "binance or bybit.")
    var venue: String
    @Option(name: .long, parsing: .upToNextOption, help: "Venue symbols, e.g. BTCUSDT ETHUSDT.")
    var symbols: [String]
    @Option(name: .long, help: "Bybit: spot or linear.")
    var category = "spot"
    @Option(name: .long, help: "REST base URL (default: the venue's production URL).")
    var restURL: String?
    @Option(name: .long, help: "WebSocket base URL (default: the venue's production URL).")
    var wsURL: String?
    @Option(name: .long, help: "Stop after this many seconds (0 = until SIGINT).")
    var seconds = 0
    @Flag(name: .long, help: "One JSON object per line instead of text.")
    var json = false

    func validate() throws {
        guard ["binance", "bybit"].contains(venue) else { throw ValidationError("--venue must be binance or bybit, found '\(venue)'") }
        guard !symbols.isEmpty else { throw ValidationError("--symbols needs at least one symbol") }
        guard ["spot", "linear"].contains(category) else { throw ValidationError("--category must be spot or linear, found '\(category)'") }
    }

    func run() async throws {
        try await reportingFailures {
            var feed = FeedSettings(source: venue == "bybit" ? .bybit : .binance)
            feed.symbols = symbols.map { $0.uppercased() }
            feed.category = category
            if let restURL { feed.endpoints["rest_url"] = restURL }
            if let wsURL { feed.endpoints["ws_url"] = wsURL }
            var configuration = StrategyConfig(file: "(host feed watch)", feed: feed, instances: [], configHash: "")
            let logger = Logger(label: "tsh.feed.watch")
            let rest = ExchangeREST(feed: configuration.feed, logger: logger)
            try await LiveExchange.resolveInstruments(&configuration, rest: rest, logger: logger)
            var table = SymbolTable()
            for name in configuration.feed.symbols {
                table.register(SessionAssembly.instrument(name, settings: configuration.instruments[name], feed: configuration.feed))
            }
            let queue = InboundQueue(capacity: 1 << 16)
            let exchange = try LiveExchange.start(symbols: table, feed: configuration.feed, file: configuration.file, rest: rest, queue: queue, logger: logger)
            let task = Task { await exchange.run() }
            let finished = StopFlag()
            let deadline = seconds > 0 ? monotonicNanos() + Int64(seconds) * 1_000_000_000 : Int64.max
            let signals = ShutdownSignals { _ in finished.set() }
            var books = Array(repeating: OrderBook(), count: table.count)
            var batch = InboundQueue.Batch()
            var lastPrint = monotonicNanos()
            var lastFrames: Int64 = 0
            var stale = Set<Int>()
            while !finished.isSet && monotonicNanos() < deadline {
                _ = queue.drain(into: &batch, deadline: Date(timeIntervalSinceNow: 0.2))
                for event in batch.events where event.symbol.index < books.count {
                    switch event {
                    case .bookDelta(let delta): books[delta.symbol.index].apply(delta)
                    case .quote(let quote) where books[quote.symbol.index].bids.best == nil: books[quote.symbol.index].apply(quote)
                    default: break
                    }
                }
                for control in batch.controls {
                    if case .feedStatus(let symbol, let isStale, _) = control.input {
                        if isStale { stale.insert(symbol.index) } else { stale.remove(symbol.index) }
                    }
                }
                let now = monotonicNanos()
                guard now - lastPrint >= 1_000_000_000 else { continue }
                let frames = exchange.counters.frames.load(ordering: .relaxed)
                let rate = Double(frames - lastFrames) / (Double(now - lastPrint) / 1e9)
                lastPrint = now
                lastFrames = frames
                for (index, name) in configuration.feed.symbols.enumerated() where index < books.count {
                    let bid = books[index].bids.best, ask = books[index].asks.best
                    if json {
                        print("{\"venue\":\"\(venue)\",\"symbol\":\"\(name)\",\"bid\":\"\(bid?.price.description ?? "")\",\"bid_size\":\"\(bid?.size.description ?? "")\","
                            + "\"ask\":\"\(ask?.price.description ?? "")\",\"ask_size\":\"\(ask?.size.description ?? "")\",\"stale\":\(stale.contains(index)),\"frames_per_s\":\(Int(rate))}")
                    } else {
                        print("\(venue) \(name): bid \(bid.map { "\($0.size) @ \($0.price)" } ?? "-")  ask \(ask.map { "\($0.size) @ \($0.price)" } ?? "-")"
                            + "\(stale.contains(index) ? "  STALE" : "")  \(Int(rate)) frames/s")
                    }
                }
                let c = exchange.counters
                if !json {
                    print("  counters: " + c.all.map { "\($0.name)=\($0.value)" }.joined(separator: " "))
                }
            }
            signals.cancel()
            exchange.stop()
            await task.value
        }
    }
}

/// Set once from a signal handler, read by a loop.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
