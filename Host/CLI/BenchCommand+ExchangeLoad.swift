import ArgumentParser
import AsyncHTTPClient
import Binance
import BinanceFakes
import Foundation
import HostConfig
import HostCore
import HostEngine
import HostPlugins
import Logging
import NIOCore
import Synchronization
import VenueKit

extension BenchCommand {
    /// What `--suite exchange-load` measured.
    struct LoadResult: Codable {
        var symbols: Int
        var streams: Int
        var rateMultiplier: Double
        var seconds: Double
        var frames: Int64
        var framesPerSecond: Double
        /// Host CPU over the measured window (user + system), percent of one core.
        var cpuPercentOfOneCore: Double
        var feedLag: FeedLag?
        var gapsInjected: Int
        var gapsDetected: Int64
        var resyncs: Int64
        /// Connections opened during the window (0: no reconnect).
        var reconnects: Int64
        var malformed: Int64
        var booksCompared: Int
        var booksDiverged: [String]
        var staleAtEnd: Int
    }

    /// 200 symbols × 3 streams (depth diffs, bookTicker, trades) from the fake Binance run as a
    /// child process (its CPU is not the host's), through the host's own live path
    /// (`LiveExchange`: stream client, book sync, REST snapshots, engine queue) into an engine
    /// with one paper instance on every symbol. After a warm-up, for `--seconds`: the host's
    /// CPU from getrusage, frame-to-engine latency from the engine, and a sequence gap injected
    /// into a rotating symbol every 250 ms. Then the fake's markets are frozen, the engine's
    /// books are compared level by level with the fake's REST snapshots, and every book must be
    /// fresh again.
    func exchangeLoadSuite() async throws -> LoadResult {
        let count = loadSymbols, measured = Double(seconds)
        let logger = Logger(label: "tsh.bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let feedFile = folder.appendingPathComponent("feed.yaml").path

        // The venue: another process, so its CPU is not counted as the host's.
        let fake = try FakeVenueProcess(arguments: [
            "fake-venue", "binance", "--symbols", "\(count)", "--rate-multiplier", "\(rateMultiplier)", "--weight-limit", "10000000",
            "--feed-file", feedFile, "--seconds", "\(Int(measured) + 300)",
        ])
        defer { fake.stop() }
        let keys = try await fake.waitForFeedKeys(file: feedFile)
        guard let rest = keys["rest_url"], let ws = keys["ws_url"] else { throw ValidationError("the fake Binance wrote no rest_url/ws_url to \(feedFile)") }

        // The host side: the live path of `host run`.
        let names = FakeVenueRootCommand.generatedSymbols(count).map(\.symbol)
        var table = SymbolTable()
        let ids = names.map { table.register(Instrument.generic(symbol: $0, venue: "binance")) }
        var feed = FeedSettings(source: .binance)
        feed.symbols = names
        feed.endpoints = ["rest_url": rest, "ws_url": ws]
        let exchangeREST = ExchangeREST(feed: feed, logger: logger, binanceWeightLimit: 10_000_000)
        let registry = PluginRegistry()
        let loaded = try SessionAssembly.loadPlugin("ema_bench.so", registry: registry)
        guard let kind = loaded.kind("noop"), let descriptor = loaded.kindDescriptor("noop") else { throw ValidationError("ema_bench.so has no kind 'noop'") }
        var engineConfiguration = EngineConfiguration(queueCapacity: 1 << 18)
        engineConfiguration.liveGatherNanos = Int64(gatherUs) * 1_000
        let engine = Engine(symbols: table, configuration: engineConfiguration, clock: WallClock(), logger: logger)
        try engine.addInstance(InstanceSpec(id: "load", pluginID: loaded.pluginID, kind: kind, descriptor: descriptor, mode: .paper, venue: "binance",
                                            symbols: ids, parameters: ResolvedParameters(specs: kind.parameters, symbolCount: ids.count),
                                            risk: .defaults, keepAlive: loaded))
        let engineDone = Atomic<Bool>(false)
        let engineThread = Thread {
            do { try engine.start() } catch { engineDone.store(true, ordering: .releasing); return }
            engine.run()
            engineDone.store(true, ordering: .releasing)
        }
        engineThread.name = "tsh.engine"
        engineThread.stackSize = 8 << 20
        engineThread.start()
        let exchange = try LiveExchange.start(symbols: table, feed: feed, file: "bench", rest: exchangeREST, queue: engine.queue, logger: logger)
        let streaming = Task { await exchange.run() }
        let counters = exchange.counters
        if !json { print("exchange-load: \(count) symbols × 3 streams at \(rateMultiplier)× from the fake Binance; warming up…") }

        // Warm-up: every book synchronised once and the connection settled.
        try await Task.sleep(for: .seconds(5))
        let framesBefore = counters.frames.load(ordering: .relaxed)
        let gapsBefore = counters.gaps.load(ordering: .relaxed), resyncsBefore = counters.resyncs.load(ordering: .relaxed)
        let connectsBefore = counters.connects.load(ordering: .relaxed)
        engine.resetFeedLag()
        let cpuBefore = Self.processCPUSeconds(), wallBefore = ContinuousClock.now
        var injected = 0
        while ContinuousClock.now - wallBefore < .seconds(measured) {
            try await Task.sleep(for: .milliseconds(250))
            try await fake.command("gap \(names[(injected * 37) % names.count]) 1")
            injected += 1
        }
        let cpuAfter = Self.processCPUSeconds(), wall = (ContinuousClock.now - wallBefore).inSeconds
        let framesAfter = counters.frames.load(ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(200))  // the snapshot includes the window's last events
        let lag = engine.snapshot().feedLag

        // Freeze the markets; once every resync is done the engine's books must be the venue's.
        try await fake.command("pause")
        try await Task.sleep(for: .seconds(3))
        let gaps = counters.gaps.load(ordering: .relaxed) - gapsBefore, resyncs = counters.resyncs.load(ordering: .relaxed) - resyncsBefore
        let reconnects = counters.connects.load(ordering: .relaxed) - connectsBefore, malformed = counters.malformed.load(ordering: .relaxed)
        // The engine stops first: closing the streams would mark every book stale.
        engine.requestStop()
        while !engineDone.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(10)) }
        exchange.stop()
        await streaming.value
        var diverged: [String] = []
        var stale = 0
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        for (name, id) in zip(names, ids) {
            if engine.isStale(id) { stale += 1 }
            let request = HTTPClientRequest(url: "\(rest)/api/v3/depth?symbol=\(name)&limit=5000")
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 16 << 20)
            let snapshot = try body.withUnsafeReadableBytes { raw throws(StreamParseError) in try BinanceDepthSnapshot.parse(raw) }
            let book = engine.book(id)
            let bids = book.bids.levels().map { BinanceLevel(price: $0.price, size: $0.size) }
            let asks = book.asks.levels().map { BinanceLevel(price: $0.price, size: $0.size) }
            if bids != snapshot.bids || asks != snapshot.asks { diverged.append(name) }
        }
        let result = LoadResult(
            symbols: count, streams: count * 3, rateMultiplier: rateMultiplier, seconds: wall,
            frames: framesAfter - framesBefore, framesPerSecond: Double(framesAfter - framesBefore) / wall,
            cpuPercentOfOneCore: (cpuAfter - cpuBefore) / wall * 100, feedLag: lag, gapsInjected: injected,
            gapsDetected: gaps, resyncs: resyncs, reconnects: reconnects, malformed: malformed, booksCompared: names.count, booksDiverged: diverged, staleAtEnd: stale)
        if !json {
            let us = { (nanos: Int64?) in nanos.map { String(format: "%.0f µs", Double($0) / 1e3) } ?? "-" }
            print(String(format: "exchange-load      %d frames in %.1f s (%.0f frames/s)  host CPU %.1f %% of one core", result.frames, wall,
                         result.framesPerSecond, result.cpuPercentOfOneCore))
            print("exchange-load      frame → engine p50 \(us(lag?.p50Nanos))  p99 \(us(lag?.p99Nanos))  p99.9 \(us(lag?.p999Nanos))  max \(us(lag?.maxNanos))")
            print("exchange-load      gaps injected \(injected), detected \(result.gapsDetected), resyncs \(result.resyncs), reconnects \(result.reconnects); "
                  + "books compared \(result.booksCompared), diverged \(diverged.count), stale at end \(stale), malformed \(result.malformed)")
        }
        guard diverged.isEmpty, stale == 0 else {
            throw HostFailure(exit: .runtimeFailure, message: "error: exchange-load: \(diverged.count) books diverged from the venue (\(diverged.prefix(5).joined(separator: ", "))), \(stale) stale")
        }
        return result
    }

    /// User + system CPU of this process so far, in seconds.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}

/// `host fake-venue …` as a child process: its feed keys, and commands on its standard input
/// answered on its standard output.
final class FakeVenueProcess: Sendable {
    private let process: Process
    private let input: FileHandle
    /// Complete output lines not yet consumed, and whether the output ended.
    private final class Output: Sendable {
        let state = Mutex((lines: [String](), ended: false, partial: Data()))
    }
    private let output = Output()

    init(arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0])
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        let output = output
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            output.state.withLock { state in
                guard !chunk.isEmpty else {
                    state.ended = true
                    handle.readabilityHandler = nil
                    return
                }
                state.partial.append(chunk)
                while let newline = state.partial.firstIndex(of: UInt8(ascii: "\n")) {
                    state.lines.append(String(decoding: state.partial[state.partial.startIndex..<newline], as: UTF8.self))
                    state.partial.removeSubrange(state.partial.startIndex...newline)
                }
            }
        }
        try process.run()
        self.process = process
        self.input = stdin.fileHandleForWriting
    }

    /// The `feed:` keys the fake writes once it listens.
    func waitForFeedKeys(file: String) async throws -> [String: String] {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(60) {
            if let text = try? String(contentsOfFile: file, encoding: .utf8), text.contains("ws_url") {
                var keys: [String: String] = [:]
                for line in text.split(separator: "\n") {
                    let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    if parts.count == 2 { keys[parts[0]] = parts[1] }
                }
                return keys
            }
            guard process.isRunning else { throw ValidationError("the fake venue exited with status \(process.terminationStatus) before listening") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("the fake venue did not start within 60 s")
    }

    /// Sends one command and waits (up to 10 s) for its `ok` answer.
    func command(_ text: String) async throws {
        input.write(Data((text + "\n").utf8))
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(10) {
            let (lines, ended) = output.state.withLock { state in
                defer { state.lines.removeAll() }
                return (state.lines, state.ended)
            }
            for line in lines {
                if line == "ok \(text)" { return }
                if line.hasPrefix("error:") { throw ValidationError("the fake venue refused '\(text)': \(line)") }
            }
            if ended { throw ValidationError("the fake venue exited before answering '\(text)'") }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw ValidationError("the fake venue did not answer '\(text)' within 10 s")
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
