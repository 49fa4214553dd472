import ArgumentParser
import Binance
import Foundation
import HostCore
import HostEngine
import HostFeeds
import Histogram
import HostPersistence
import HostPlugins
import Logging
import VenueKit

/// `host bench`: events per second through the engine into a loaded plugin. Build in
/// release mode (`swift build -c release`) before trusting the figures.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure engine throughput into loaded plugins (release build).",
        discussion: """
        Suites (--suite, default engine):
          engine       'none' (engine with no instance), then each --kind of --plugin, each fed
                       through the bounded inbound queue by a producer thread ('queue') and straight
                       into the engine on one thread ('direct'). Events: a pre-generated simulated
                       market (75% quotes, 25% trades) over --symbols symbols, replayed until --events.
          last-second  last_second.so on pre-generated simulated up/down windows (BTC and ETH,
                       --windows per series), direct and through the queue, without and with the
                       SQLite journal; reports events/s and decisions (plugin callbacks)/s.
          persistence  the SQLite writer: --rows rows of each kind queued, then committed (rows/s).
          backtest     `host backtest --data DIR --data-types … --strategy ema_bench.so` as a child
                       process with default options, timed from spawn to exit with its peak memory
                       (best and median of --repeats), for the generator's quotes+trades and its L2
                       file; then parsing alone and the engine alone (kind ema / ema_l2) in-process.
          polymarket   the live venue: market-channel parse rate on recorded price_change frames
                       (--fixtures, default ../shared/fixtures/polymarket), order build + EIP-712 +
                       secp256k1 signing latency, and tick-to-order through the fake venue on
                       loopback (market-channel frame sent → signed POST /order received), p50/p99.
          exchanges    Binance depth diffs (1–7 levels), Binance bookTicker and Bybit orderbook deltas
                       parsed and applied to the host's books on one core, frames/s, best of --repeats.
          exchange-load  --load-symbols (200) × 3 streams (depth diffs, bookTicker, trades) from `host
                       fake-venue binance` in a child process at --rate-multiplier (10) × its 100 ms
                       cadence, through the host's live path (stream client, book sync, REST snapshots,
                       engine queue) into a paper instance on every symbol; after a 5 s warm-up, for
                       --seconds (20): the host's CPU (getrusage), frame-to-engine p50/p99 from the engine,
                       a sequence gap injected every 250 ms; then the markets freeze and every engine book
                       must equal the fake's REST snapshot (non-zero exit otherwise).
          screener     triggers.so (five kinds), then with qde.so, one instance each over 200 symbols, on 1m
                       bars the engine builds from one trade per symbol per minute (500,000 bars, 0.1 %
                       moves a minute); bars/s of engine time, best of --repeats.
          latency      tick-to-order inside the process: a Binance bookTicker frame's bytes handed to
                       the live parser and feed processor → the order handed to the paper venue
                       (ema_bench `ema` ordering on every quote, host risk on), then the same for a
                       depth diff of 1–7 levels applied to the synchronised book (`ema_l2` ordering on
                       every book message); p50/p99/p99.9 from an HdrHistogram.
        """)

    enum Suite: String, ExpressibleByArgument, CaseIterable {
        case engine, lastSecond = "last-second", persistence, latency, backtest, polymarket, exchanges, exchangeLoad = "exchange-load", screener, all
    }

    @Option(name: .long, help: "backtest: directory of Tardis CSV files (from ../shared/bench/gen_tardis.py --out DIR).")
    var data: String?

    @Option(name: .long, help: "polymarket: folder of recorded Polymarket messages (price_change frames).")
    var fixtures: String?

    @Option(name: .long, help: "engine, last-second, persistence, latency, backtest, polymarket, exchanges, exchange-load, screener or all.")
    var suite: Suite = .engine

    @Option(name: .long, help: "last-second: windows per series.")
    var windows = 16

    @Option(name: .long, help: "persistence: rows to journal.")
    var rows = 1_000_000

    @Option(name: .long, help: "Plugin file with the benchmark kinds.")
    var plugin = "ema_bench.so"

    @Option(name: .long, parsing: .upToNextOption, help: "Kinds to measure.")
    var kinds: [String] = ["noop", "ema"]

    @Option(name: .long, help: "Events per scenario.")
    var events = 20_000_000

    @Option(name: .long, help: "Symbols in the generated market.")
    var symbols = 3

    @Option(name: .long, help: "exchange-load: symbols listed by the fake Binance (3 streams each).")
    var loadSymbols = 200

    @Option(name: .long, help: "exchange-load: markets move this many times faster than Binance's 100 ms cadence.")
    var rateMultiplier = 10.0

    @Option(name: .long, help: "exchange-load: seconds measured after a 5 s warm-up.")
    var seconds = 20

    @Option(name: .long, help: "exchange-load: the engine's input gathering after a busy batch, µs (the host.live_gather_us key).")
    var gatherUs = 0

    @Option(name: .long, help: "Repetitions per scenario (the best is reported).")
    var repeats = 3

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        guard events > 0, symbols > 0, repeats > 0 else { throw ValidationError("--events, --symbols and --repeats must be positive") }
        guard (1...5_000).contains(loadSymbols), rateMultiplier > 0, rateMultiplier <= 1_000, seconds > 0 else {
            throw ValidationError("--load-symbols must be in 1...5000, --rate-multiplier in (0, 1000] and --seconds positive")
        }
    }

    struct Result: Encodable {
        var scenario: String
        var path: String
        var events: Int
        var seconds: Double
        var eventsPerSecond: Double
        var nanosPerEvent: Double
        var unit = "events"
        var decisionsPerSecond: Double?
        var peakMemoryMiB: Double?
    }

    func run() async throws {
        HostLogging.configure(level: .warning, json: false)
        var results: [Result] = []
        if suite == .engine || suite == .all { results += try engineSuite() }
        if suite == .lastSecond || suite == .all { results += try lastSecondSuite() }
        if suite == .persistence || suite == .all { results += try persistenceSuite() }
        if suite == .latency || suite == .all { try latencySuite() }
        if suite == .backtest || (suite == .all && data != nil) { results += try backtestSuite() }
        if suite == .polymarket || suite == .all { results += try await polymarketSuite() }
        if suite == .exchanges || suite == .all { results += exchangesSuite(frames: 2_000_000, repeats: repeats) }
        if suite == .screener || suite == .all { results += try screenerSuite(symbols: 200, minutes: 2_500) }
        if suite == .exchangeLoad || suite == .all {
            let load = try await exchangeLoadSuite()
            if json && suite == .exchangeLoad {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                print(String(decoding: try encoder.encode(load), as: UTF8.self))
                return
            }
        }
        if json && !(suite == .latency && results.isEmpty) {  // the latency suite printed its own document
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        }
    }

    func report(_ result: Result) {
        guard !json else { return }
        var line = "\(result.scenario.padding(toLength: 18, withPad: " ", startingAt: 0)) \(result.path.padding(toLength: 6, withPad: " ", startingAt: 0)) "
            + "\(String(format: "%6.2f", result.eventsPerSecond / 1e6)) M \(result.unit)/s  \(String(format: "%7.1f", result.nanosPerEvent)) ns/\(result.unit.dropLast())"
        if let decisions = result.decisionsPerSecond { line += String(format: "  %.2f M decisions/s", decisions / 1e6) }
        if let memory = result.peakMemoryMiB { line += String(format: "  peak %.1f MiB", memory) }
        print(line)
    }

    /// Tick-to-order latency: frame bytes → parser → engine → plugin → risk → venue handoff,
    /// for a Binance `bookTicker` frame (kind `ema`, a quote) and a Binance depth diff of 1–7
    /// levels applied to the synchronised local book (kind `ema_l2`, book rows), both through
    /// the live path's own parser and feed processor.
    private func latencySuite() throws {
        let names = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
        var random = SplitMix64(seed: 5)
        var mids = [60_000.0, 3_000.0, 150.0]
        let tickerFrames: [[UInt8]] = (0..<200_000).map { i in
            let k = i % 3
            mids[k] *= 1 + 0.0002 * random.normal()
            let bid = (mids[k] * 100).rounded(.down) / 100
            let text = #"{"stream":"\#(names[k].lowercased())@bookTicker","data":{"u":\#(400_000_000 + i),"s":"\#(names[k])","b":"\#(String(format: "%.8f", bid))","B":"\#(String(format: "%.8f", 0.5 + random.unit()))","a":"\#(String(format: "%.8f", bid + 0.01))","A":"\#(String(format: "%.8f", 0.5 + random.unit()))"}}"#
            return Array(text.utf8)
        }
        // Depth diffs as Binance sends them: contiguous update ids per symbol, 1–7 levels within
        // ±50 ticks of a 200-level snapshot's mid, one in six a deletion.
        let startMids = [60_000.0, 3_000.0, 150.0]
        var nextID = [Int64](repeating: 1_000_001, count: 3)
        let depthFrames: [[UInt8]] = (0..<200_000).map { i in
            let k = i % 3
            func level() -> String {
                let offset = Double(Int(random.unit() * 100) - 50) * 0.01
                let size = random.unit() < 1.0 / 6 ? 0 : 0.1 + random.unit()
                return #"["\#(String(format: "%.2f", startMids[k] + offset))","\#(String(format: "%.8f", size))"]"#
            }
            let levels = 1 + Int(random.unit() * 7) % 7
            let bids = Int(random.unit() * Double(levels + 1)) % (levels + 1)
            let first = nextID[k], last = first + Int64(levels) - 1
            nextID[k] = last + 1
            let text = #"{"stream":"\#(names[k].lowercased())@depth@100ms","data":{"e":"depthUpdate","E":1700000000000,"s":"\#(names[k])","U":\#(first),"u":\#(last),"b":[\#((0..<bids).map { _ in level() }.joined(separator: ","))],"a":[\#((0..<(levels - bids)).map { _ in level() }.joined(separator: ","))]}}"#
            return Array(text.utf8)
        }
        let snapshots: [BinanceDepthSnapshot] = try startMids.map { mid in
            let side = { (sign: Double) in (1...200).map { #"["\#(String(format: "%.2f", mid + sign * (0.5 + Double($0) * 0.01)))","1.00000000"]"# }.joined(separator: ",") }
            let body = #"{"lastUpdateId":1000000,"bids":[\#(side(-1))],"asks":[\#(side(1))]}"#
            return try Array(body.utf8).withUnsafeBytes { raw throws(StreamParseError) in try BinanceDepthSnapshot.parse(raw) }
        }

        var parser = BinanceStreamParser()
        var effects: [BinanceFeedProcessor.Effect] = []
        var ticker = BinanceFeedProcessor(symbols: names.enumerated().map { (SymbolID(UInt32($0.offset)), $0.element) })
        let ticks = try tickToOrder(kind: "ema", names: names, frames: tickerFrames, prepare: { _ in }) { frame, received, events in
            effects.removeAll(keepingCapacity: true)
            guard let message = try frame.withUnsafeBytes({ raw throws(StreamParseError) in try parser.parse(raw) }) else { return }
            ticker.process(message, tsRecv: received, events: &events, effects: &effects)
        }
        var depth = BinanceFeedProcessor(symbols: names.enumerated().map { (SymbolID(UInt32($0.offset)), $0.element) })
        let diffs = try tickToOrder(kind: "ema_l2", names: names, frames: depthFrames, prepare: { engine in
            var events: [MarketEvent] = []
            for (name, snapshot) in zip(names, snapshots) { depth.applySnapshot(snapshot, venueSymbol: name, tsRecv: 0, events: &events, effects: &effects) }
            for event in events { engine.process(event) }
        }) { frame, received, events in
            effects.removeAll(keepingCapacity: true)
            guard let message = try frame.withUnsafeBytes({ raw throws(StreamParseError) in try parser.parse(raw) }) else { return }
            depth.process(message, tsRecv: received, events: &events, effects: &effects)
            // Every diff continues its symbol's book: a resync would mean the frames are wrong.
            if effects.contains(where: { if case .status(_, stale: false, _) = $0 { false } else { true } }) { throw ValidationError("tick-to-order (depth): unexpected \(effects)") }
        }
        if json {
            let objects: [[String: Any]] = [("bookTicker", ticks), ("depth", diffs)].map { name, histogram in
                ["suite": "latency", "frames": name, "samples": histogram.totalCount, "p50_ns": histogram.valueAtPercentile(50),
                 "p99_ns": histogram.valueAtPercentile(99), "p999_ns": histogram.valueAtPercentile(99.9), "max_ns": histogram.max]
            }
            print(String(decoding: try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys]), as: UTF8.self))
        }
    }

    /// Feeds `frames` through `decode` (frame bytes → engine events) into one paper instance of
    /// ema_bench's `kind` ordering on every message, and records frame-to-order-handoff times
    /// (after 10,000 frames of warm-up) for the frames that produced an order.
    private func tickToOrder(kind name: String, names: [String], frames: [[UInt8]], prepare: (Engine) -> Void,
                             decode: (_ frame: [UInt8], _ received: Int64, _ events: inout [MarketEvent]) throws -> Void) throws -> Histogram<UInt64> {
        let registry = PluginRegistry()
        let loaded = try SessionAssembly.loadPlugin("ema_bench.so", registry: registry)
        guard let kind = loaded.kind(name), let descriptor = loaded.kindDescriptor(name) else { throw ValidationError("ema_bench.so has no kind '\(name)'") }
        var table = SymbolTable()
        let ids = names.map { table.register(Instrument.generic(symbol: $0, venue: "binance")) }
        var limits = RiskLimits.defaults
        limits.maxOrdersPerSecond = 1_000_000_000
        limits.priceBandBps = 10_000
        limits.maxOrderNotional = 1_000_000_000
        var parameters = ResolvedParameters(specs: kind.parameters, symbolCount: ids.count)
        parameters.set("order_every", .int(1))
        let engine = Engine(symbols: table, configuration: EngineConfiguration(startingCash: 100_000_000), clock: SimulatedClock(),
                            logger: Logger(label: "tsh.bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        try engine.addInstance(InstanceSpec(id: "latency", pluginID: loaded.pluginID, kind: kind, descriptor: descriptor, mode: .paper,
                                            venue: "binance", symbols: ids, parameters: parameters, risk: limits, keepAlive: loaded))
        prepare(engine)
        engine.probeOrderHandoff = true
        try engine.start()
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000)
        var events: [MarketEvent] = []
        events.reserveCapacity(16)
        var failures = 0
        let base: Int64 = 1_700_000_000_000_000_000
        for (i, frame) in frames.enumerated() {
            let before = engine.lastOrderHandoff
            let t0 = monotonicNanos()
            events.removeAll(keepingCapacity: true)
            do { try decode(frame, base + Int64(i) * 1_000_000, &events) } catch {
                if failures == 0 { print("tick-to-order (\(name)): frame \(i): \(error)") }
                failures += 1
                continue
            }
            events.withUnsafeBufferPointer { engine.process($0) }
            let handoff = engine.lastOrderHandoff
            if handoff != before && i >= 10_000 { _ = histogram.record(UInt64(max(0, handoff - t0))) }
        }
        engine.requestStop()
        engine.run()
        guard failures == 0 else { throw ValidationError("tick-to-order (\(name)): \(failures) frames did not parse") }
        guard histogram.totalCount > 0 else { throw ValidationError("tick-to-order (\(name)): no order was handed to the venue") }
        if !json {
            let label = name == "ema" ? "tick-to-order bookTicker" : "tick-to-order depth diff"
            print("\(label)  \(histogram.totalCount) samples  p50 \(histogram.valueAtPercentile(50)) ns  p99 \(histogram.valueAtPercentile(99)) ns  "
                  + "p99.9 \(histogram.valueAtPercentile(99.9)) ns  max \(histogram.max) ns")
        }
        return histogram
    }

    /// The SQLite writer: fill events journaled on this thread, committed by the writer thread.
    private func persistenceSuite() throws -> [Result] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var results: [Result] = []
        for kind in SQLiteJournal.BenchmarkRow.allCases {
            var best = (rate: 0.0, enqueue: Double.infinity)
            for i in 0..<repeats {
                let measured = try SQLiteJournal.benchmark(path: directory.appendingPathComponent("bench-\(kind)-\(i).sqlite").path, rows: rows, row: kind)
                best = (max(best.rate, measured.writerRowsPerSecond), min(best.enqueue, measured.enqueueNanosPerRow))
            }
            let writer = Result(scenario: "writer \(kind.rawValue)", path: "batch", events: rows, seconds: Double(rows) / best.rate,
                                eventsPerSecond: best.rate, nanosPerEvent: 1e9 / best.rate, unit: "rows")
            let enqueue = Result(scenario: "enqueue \(kind.rawValue)", path: "engine", events: rows, seconds: best.enqueue * Double(rows) / 1e9,
                                 eventsPerSecond: 1e9 / best.enqueue, nanosPerEvent: best.enqueue, unit: "rows")
            report(writer)
            report(enqueue)
            results += [writer, enqueue]
        }
        return results
    }

    /// last_second.so on simulated up/down windows.
    private func lastSecondSuite() throws -> [Result] {
        let registry = PluginRegistry()
        let loaded = try SessionAssembly.loadPlugin("last_second.so", registry: registry)
        guard let kind = loaded.info.kinds.first, let descriptor = loaded.kindDescriptor(kind.id) else {
            throw ValidationError("last_second.so offers no kind")
        }
        var table = SymbolTable()
        let series = ["BTC", "ETH"].map { UpDownSimulation.series(asset: $0, windowMinutes: 15, registeringIn: &table) }
        var feed = UpDownSimulation(configuration: .init(seed: 42, series: series, windowMinutes: 15, startTime: 1_763_683_200_000_000_000,
                                                         windows: windows))
        var pool: [MarketEvent] = []
        while let event = feed.next() { pool.append(event) }
        let ids = series.flatMap { [$0.up, $0.down, $0.oracle] }
        var results: [Result] = []
        for persisted in [false, true] {
            for path in ["direct", "queue"] {
                var best = (seconds: Double.infinity, decisions: 0)
                for _ in 0..<repeats {
                    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-bench-\(UUID().uuidString)")
                    defer { try? FileManager.default.removeItem(at: directory) }
                    let journal = persisted ? try SQLiteJournal(path: directory.appendingPathComponent("host.sqlite").path,
                                                                logger: Logger(label: "tsh.bench", factory: { _ in SwiftLogNoOpLogHandler() })) : nil
                    journal?.setSymbols(table)
                    var configuration = EngineConfiguration(queueCapacity: 1 << 16, startingCash: 10_000)
                    configuration.bookSnapshotInterval = persisted ? 1_000_000_000 : 0
                    let engine = Engine(symbols: table, configuration: configuration, clock: SimulatedClock(), journal: journal,
                                        logger: Logger(label: "tsh.bench", factory: { _ in SwiftLogNoOpLogHandler() }))
                    var limits = RiskLimits.defaults
                    limits.priceBandBps = 10_000
                    try engine.addInstance(InstanceSpec(
                        id: "bench-last-second", pluginID: loaded.pluginID, kind: kind, descriptor: descriptor, mode: .paper, venue: "polymarket",
                        symbols: ids, parameters: ResolvedParameters(specs: kind.parameters, symbolCount: ids.count), risk: limits, keepAlive: loaded))
                    let seconds = try measure(engine: engine, pool: pool, events: pool.count, span: 0, path: path)
                    try journal?.flush()
                    journal?.close()
                    let decisions = engine.snapshot().instances.first?.callbacks ?? 0
                    if seconds < best.seconds { best = (seconds, decisions) }
                }
                let result = Result(scenario: persisted ? "last_second+sqlite" : "last_second", path: path, events: pool.count,
                                    seconds: best.seconds, eventsPerSecond: Double(pool.count) / best.seconds,
                                    nanosPerEvent: best.seconds * 1e9 / Double(pool.count), unit: "events",
                                    decisionsPerSecond: Double(best.decisions) / best.seconds)
                report(result)
                results.append(result)
            }
        }
        return results
    }

    private func engineSuite() throws -> [Result] {
        let registry = PluginRegistry()
        let loaded = try SessionAssembly.loadPlugin(plugin, registry: registry)
        var table = SymbolTable()
        let names = ["BTCUSDT", "ETHUSDT", "SOLUSDT"] + (3..<max(3, symbols)).map { "SYM\($0)USDT" }
        let ids = names.prefix(symbols).map { table.register(Instrument.generic(symbol: $0, venue: "bench")) }
        var market = SimulatedMarket(symbols: ids.map { .init(id: $0, startPrice: 100, tickSize: 0.01, lotSize: 0.0001) },
                                     seed: 7, volatility: 0.6, startTime: 1_700_000_000_000_000_000, limit: 0)
        let pool = (0..<1_000_000).map { _ in market.next()! }
        let span: Int64 = market.time - 1_700_000_000_000_000_000

        var results: [Result] = []
        for scenario in ["none"] + kinds {
            for path in ["queue", "direct"] {
                var best: Double = .infinity
                for _ in 0..<repeats {
                    let engine = Engine(symbols: table, configuration: EngineConfiguration(queueCapacity: 1 << 16), clock: SimulatedClock(),
                                        logger: Logger(label: "tsh.bench"))
                    if scenario != "none" {
                        guard let kind = loaded.kind(scenario), let descriptor = loaded.kindDescriptor(scenario) else {
                            throw ValidationError("plugin \(loaded.pluginID) has no kind '\(scenario)'; it offers \(loaded.info.kinds.map(\.id))")
                        }
                        try engine.addInstance(InstanceSpec(
                            id: "bench-\(scenario)", pluginID: loaded.pluginID, kind: kind, descriptor: descriptor, mode: .paper,
                            venue: "bench", symbols: ids, parameters: ResolvedParameters(specs: kind.parameters, symbolCount: ids.count),
                            risk: RiskLimits(), keepAlive: loaded))
                    }
                    best = min(best, try measure(engine: engine, pool: pool, events: events, span: span, path: path))
                }
                let result = Result(scenario: scenario, path: path, events: events, seconds: best,
                                    eventsPerSecond: Double(events) / best, nanosPerEvent: best * 1e9 / Double(events))
                results.append(result)
                report(result)
            }
        }
        return results
    }

    /// Seconds to push `events` inputs through the engine, plugins created and started beforehand.
    private func measure(engine: Engine, pool: [MarketEvent], events: Int, span: Int64, path: String) throws -> Double {
        let total = events
        let box = TimingBox()
        let thread = Thread {
            do {
                try engine.start()
            } catch {
                box.fail("\(error)")
                return
            }
            box.ready()
            if path == "direct" {
                var events = pool
                let t0 = monotonicNanos()
                var sent = 0
                while sent < total {
                    let n = min(events.count, total - sent)
                    events.withUnsafeBufferPointer { engine.process(UnsafeBufferPointer(rebasing: $0[0..<n])) }
                    sent += n
                    Self.shift(&events, by: span + 1)
                }
                box.finish(monotonicNanos() - t0)
                engine.requestStop()
                engine.run()
                box.engineDone(monotonicNanos())
            } else {
                engine.run()
                box.engineDone(monotonicNanos())
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
        guard box.waitReady() else { throw ValidationError("engine failed to start: \(box.failure ?? "")") }
        if path == "queue" {
            var events = pool
            let t0 = monotonicNanos()
            var sent = 0
            while sent < total {
                let n = min(events.count, total - sent)
                events.withUnsafeBufferPointer { buffer in
                    var start = 0
                    while start < n {
                        let end = min(n, start + 4_096)
                        engine.queue.push(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<end]))
                        start = end
                    }
                }
                sent += n
                Self.shift(&events, by: span + 1)
            }
            engine.queue.close()
            let end = box.waitEngineDone()
            return Double(end - t0) / 1e9
        }
        let elapsed = box.waitFinished()
        _ = box.waitEngineDone()  // the final snapshot (callback counts) is published by then
        return Double(elapsed) / 1e9
    }

    /// Moves every event later in time, so replayed laps keep the clock moving forward.
    static func shift(_ events: inout [MarketEvent], by offset: Int64) {
        for i in events.indices {
            switch events[i] {
            case .quote(var q): q.tsRecv += offset; q.tsEvent += offset; events[i] = .quote(q)
            case .trade(var t): t.tsRecv += offset; t.tsEvent += offset; events[i] = .trade(t)
            default: break
            }
        }
    }
}

/// Cross-thread hand-offs for the benchmark (condition-based, no polling).
final class TimingBox: @unchecked Sendable {
    // @unchecked: every field is read and written under `condition`.
    private let condition = NSCondition()
    private var isReady = false
    private var elapsed: Int64?
    private var engineEnd: Int64?
    private(set) var failure: String?

    func ready() { signal { isReady = true } }
    func fail(_ message: String) { signal { failure = message; isReady = true } }
    func finish(_ nanos: Int64) { signal { elapsed = nanos } }
    func engineDone(_ time: Int64) { signal { engineEnd = time } }

    func waitReady() -> Bool { wait { isReady }; return failure == nil }
    func waitFinished() -> Int64 { wait { elapsed != nil }; return elapsed! }
    func waitEngineDone() -> Int64 { wait { engineEnd != nil }; return engineEnd! }

    private func signal(_ change: () -> Void) {
        condition.lock()
        change()
        condition.broadcast()
        condition.unlock()
    }

    private func wait(_ done: () -> Bool) {
        condition.lock()
        while !done() { condition.wait() }
        condition.unlock()
    }
}
