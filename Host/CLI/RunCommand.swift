import ArgumentParser
import Dispatch
import Foundation
import HostConfig
import HostCore
import HostEngine
import HostFeeds
import HostMetrics
import HostPersistence
import HostPlugins
import HostPolymarket
import HostRedis
import Logging
import Metrics
import Synchronization
import VenueKit

/// `host run` (the default command): load plugins, build the engine, feed it, persist,
/// report progress, shut down cleanly on SIGINT/SIGTERM.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run plugin instances on a feed (paper mode by default).",
        discussion: """
        Examples:
          host --strategy price_move_trigger.so
          host run --config strategies/screener_example.yaml --events 500000
        With --strategy X.so the host uses strategies/X.yaml when it exists, and the plugin's
        declared defaults otherwise (one paper instance per kind on the default symbols).
        """)

    @Option(name: .long, help: "Plugin file to run (name, path, or lib-prefixed; see `host plugins list`).")
    var strategy: String?

    @Option(name: .long, help: "Strategy configuration file (YAML).")
    var config: String?

    @Option(name: .long, help: "Data directory for the SQLite database (overrides host.data_dir).")
    var dataDir: String?

    @Option(name: .long, parsing: .unconditional, help: "Events the simulated feed produces (overrides feed.events; 0 = until stopped).")
    var events: Int?

    @Option(name: .long, help: "Stop after this many seconds of wall time, as on SIGINT (any feed; e.g. collect live data for an hour).")
    var seconds: Double?

    @Option(name: .long, help: "Seed of the simulated feed (overrides feed.seed).")
    var seed: UInt64?

    @Option(name: .long, help: "Feed speed: 0 = unthrottled, 1 = real time, N = N× (overrides feed.speed).")
    var speed: Double?

    @Option(name: .long, help: "Serve Prometheus metrics on 127.0.0.1:<port>/metrics (overrides host.metrics_port).")
    var metricsPort: Int?

    @Option(name: .long, help: "Serve the live web dashboard on <host>:<port> (overrides host.dashboard_port; see --dashboard-host).")
    var dashboardPort: Int?

    @Option(name: .long, help: "The dashboard's bind address (overrides host.dashboard_host; default 127.0.0.1; other than loopback needs a token).")
    var dashboardHost: String?

    @Option(name: .long, help: "Publish the screener's asset state to this Redis (redis://host:port/db; overrides host.redis_url).")
    var redis: String?

    @Option(name: .long, help: "This host's shard (with --shards; overrides host.shard): it runs only the feed symbols the shard owns.")
    var shard: String?

    @Option(name: .long, help: "The group's shard names, comma-separated (overrides host.shards).")
    var shards: String?

    @Flag(name: .long, help: "Allow instances configured with mode: live to trade for real.")
    var live = false

    @Flag(name: .long, help: "Print the final summary as JSON on stdout.")
    var json = false

    @Flag(name: .long, help: "No progress lines.")
    var quiet = false

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (overrides host.log_level).")
    var logLevel: String?

    @Option(name: .long, help: "Log format: text or json.")
    var logFormat: String = "text"

    func validate() throws {
        if let events, events < 0 { throw ValidationError("--events must be >= 0 (0 = until stopped), found \(events)") }
        if strategy != nil && config != nil {
            throw ValidationError("pass --strategy or --config, not both: a configuration names its plugins itself (--strategy X.so alone uses strategies/X.yaml, else the plugin's defaults)")
        }
        if let speed, !(speed >= 0) { throw ValidationError("--speed must be >= 0, found \(speed)") }
        if let seconds, !(seconds > 0) { throw ValidationError("--seconds must be > 0, found \(seconds)") }
        if let metricsPort, !(1...65_535).contains(metricsPort) { throw ValidationError("--metrics-port must be in 1...65535, found \(metricsPort)") }
        if let dashboardPort, !(1...65_535).contains(dashboardPort) { throw ValidationError("--dashboard-port must be in 1...65535, found \(dashboardPort)") }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; found '\(logLevel)'")
        }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json, found '\(logFormat)'") }
    }

    func run() async throws {
        do {
            try await execute()
        } catch let failure as HostFailure {
            FileHandle.standardError.write(Data((failure.message + "\n").utf8))
            throw ExitCode(failure.exit.rawValue)
        }
    }

    private func execute() async throws {
        let registry = PluginRegistry()
        var configuration = try SessionAssembly.configuration(configPath: config, strategy: strategy, registry: registry)
        if let dataDir { configuration.host.dataDirectory = dataDir }
        if events != nil && configuration.feed.source != .simulated {
            throw HostFailure(exit: .usage, message: "error: --events applies to the simulated market feed; this configuration's feed is '\(configuration.feed.source)'\n"
                + "fix: drop --events" + (configuration.feed.source == .updown ? " (the up/down feed runs feed.windows windows per series; 0 = until stopped)" : ""))
        }
        HostLogging.configure(level: Logger.Level(rawValue: logLevel ?? configuration.host.logLevel) ?? .info, json: logFormat == "json")
        let logger = Logger(label: "tsh.host")
        let exchangeREST = configuration.feed.source == .binance || configuration.feed.source == .bybit
            ? ExchangeREST(feed: configuration.feed, logger: logger) : nil
        if let exchangeREST { try await LiveExchange.resolveInstruments(&configuration, rest: exchangeREST, logger: logger) }
        if let shard { configuration.host.shard = shard }
        if let shards { configuration.host.shards = shards.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        try SessionAssembly.applyShard(&configuration, logger: logger)
        let assembly = try SessionAssembly(config: configuration, registry: registry)

        // Metrics first: the engine's metric objects bind to the backend at creation.
        let port = metricsPort ?? configuration.host.metricsPort
        var metricsTask: Task<Void, any Error>?
        if let port {
            metricsTask = try await Self.startMetrics(port: port)
            logger.info("Metrics endpoint enabled", metadata: ["metrics.url": "http://127.0.0.1:\(port)/metrics"])
        }

        // Redis (optional): the asset state of every symbol published as the engine journals
        // signals and fills; Redis being away never touches trading (see RedisPublisher).
        let redisPublisher: RedisPublisher?
        if let text = redis ?? configuration.host.redisURL {
            do { redisPublisher = RedisPublisher(url: try RedisURL(parsing: text), logger: Logger(label: "tsh.redis")) } catch {
                throw HostFailure(exit: .usage, message: "error: \(redis != nil ? "--redis" : "host.redis_url"): \(error)")
            }
        } else {
            redisPublisher = nil
        }
        defer { redisPublisher?.stop() }

        let databasePath = URL(fileURLWithPath: configuration.host.dataDirectory).appendingPathComponent("host.sqlite").path
        let (directoryLock, journal) = try SessionAssembly.openWriter(configuration.host, symbols: assembly.symbols, recordTables: assembly.recordTables)
        defer { withExtendedLifetime(directoryLock) {} }
        // The dashboard's engine snapshot is read through a box: the engine is built below, with the journal tee.
        let engineBox = EngineBox()
        let dashboard = try (dashboardPort ?? configuration.host.dashboardPort).map { port throws(HostFailure) in
            try RunDashboard(configuration: configuration, port: port, host: dashboardHost ?? configuration.host.dashboardHost,
                             assembly: assembly, journal: journal, engine: engineBox, logger: Logger(label: "tsh.dashboard"))
        }
        let observers: [any JournalObserver] = (redisPublisher.map { [AssetStatePublisher(publisher: $0, symbols: assembly.symbols)] } ?? [])
            + (dashboard.map { [$0.board] } ?? [])
        let engineJournal: any EngineJournal = observers.isEmpty ? journal : ObservedJournal(primary: journal, observers: observers)
        let liveData = configuration.feed.source == .polymarket
        let clock: any EngineClock = configuration.feed.source.isLive ? WallClock() : SimulatedClock(start: 0)
        var engineConfiguration = EngineConfiguration(queueCapacity: configuration.host.queueCapacity, paperVenue: assembly.paperVenue, allowLive: live)
        engineConfiguration.bookSnapshotInterval = Int64(configuration.host.bookSnapshotIntervalMs ?? 1_000) * 1_000_000
        engineConfiguration.bookSnapshotDepth = configuration.host.bookSnapshotDepth
        engineConfiguration.barSettle = SessionAssembly.barSettle(configuration)
        engineConfiguration.liveGatherNanos = Int64(configuration.host.liveGatherMicros) * 1_000
        let engine = Engine(symbols: assembly.symbols, configuration: engineConfiguration,
                            clock: clock, journal: engineJournal, logger: Logger(label: "tsh.engine"))
        engineBox.engine = engine
        let polymarket: PolymarketSession?
        do {
            polymarket = liveData
                ? try await LivePolymarket.prepare(assembly: assembly, engine: engine, allowLive: live, clock: clock, logger: logger) : nil
        } catch {
            journal.close()
            throw error
        }
        if let polymarket { dashboard?.attach(polymarket.feed.counters) }  // the market channel's connection state on the health view
        do {
            for spec in assembly.specs { try engine.addInstance(spec) }
        } catch {
            journal.close()
            throw HostFailure(exit: .runtimeFailure, message: "error: \(error)")
        }

        let sessionID = Self.sessionID()
        let feedSeed = seed ?? configuration.feed.seed
        let startedAt = WallClock().now()
        // A live engine decides at input times; before the first input, at the session's
        // recorded start (where its replay's clock starts).
        engine.liveStartTime = startedAt
        do {
            try journal.beginSession(SessionInfo(
                id: sessionID, startedAt: startedAt, hostVersion: HostCommand.version, configHash: configuration.configHash,
                configFile: configuration.file, seed: feedSeed, plugins: assembly.sessionPlugins, configText: configuration.text,
                instruments: assembly.symbols.instruments, source: configuration.feed.source.rawValue))
        } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }

        let startTime = Int64((Date().timeIntervalSince1970 * 1e9).rounded())
        let recorder = configuration.host.record ? SessionRecorder(journal: journal) : nil
        engine.recorder = recorder
        if configuration.host.recordingRetentionDays > 0 {
            do {
                try journal.pruneRecordings(startedBefore: startTime - Int64(configuration.host.recordingRetentionDays) * 86_400_000_000_000)
            } catch {
                throw HostFailure(exit: .storageFailure, message: "error: \(error)")
            }
        }
        if configuration.host.bookSnapshotRetentionDays > 0 {
            let cutoff = startTime - Int64(configuration.host.bookSnapshotRetentionDays) * 86_400_000_000_000
            do {
                let pruned = try journal.pruneBookSnapshots(before: cutoff)
                if pruned > 0 { logger.info("Old book snapshots deleted", metadata: ["rows": "\(pruned)", "retention.days": "\(configuration.host.bookSnapshotRetentionDays)"]) }
            } catch {
                throw HostFailure(exit: .storageFailure, message: "error: \(error)")
            }
        }
        let market = configuration.feed.source.isLive ? nil : assembly.feed(eventsOverride: events, seedOverride: seed, startTime: startTime)
        let exchange = try exchangeREST.map { rest throws(HostFailure) in try LiveExchange.start(assembly: assembly, rest: rest, queue: engine.queue, dashboard: dashboard, logger: logger) }
        var history: [EngineInput] = []
        if let exchangeREST { history = try await LiveExchange.history(assembly: assembly, rest: exchangeREST, nowMs: startTime / 1_000_000, logger: logger) }
        let feedSpeed = speed ?? configuration.feed.speed
        if !quiet {
            Self.status("host \(HostCommand.version) — session \(sessionID)")
            let pace = feedSpeed == 0 ? "unthrottled" : "\(feedSpeed)x"
            if let exchange {
                let f = configuration.feed
                Self.status("feed: LIVE \(exchange.venue) data (\(f.source == .bybit ? f.category + ", " : "")\(f.symbols.joined(separator: ", "))) — paper trading"
                    + (history.isEmpty ? "" : "; \(history.count) history bars first"))
            } else if liveData {
                let f = configuration.feed
                Self.status("feed: LIVE Polymarket data (\(f.assets.joined(separator: ", ")) × \(f.durations.joined(separator: ", ")) up/down windows)"
                    + (polymarket?.venue != nil ? " — LIVE TRADING for instances with mode: live" : " — paper trading only"))
            } else if configuration.feed.source == .updown {
                let f = configuration.feed
                Self.status("feed: SIMULATED Polymarket up/down windows (\(f.assets.joined(separator: ", ")), \(f.windowMinutes)-minute windows, "
                    + "\(f.windows == 0 ? "endless" : "\(f.windows) per series"), seed \(feedSeed), \(pace)) — not real market data")
            } else {
                let limit = events ?? configuration.feed.events
                Self.status("feed: SIMULATED market (seed \(feedSeed), \(limit == 0 ? "endless" : "\(limit) events"), \(pace)) — not real market data")
            }
            for spec in assembly.specs {
                Self.status("instance \(spec.id): \(spec.pluginID)/\(spec.kind.id) \(spec.mode) on \(spec.symbols.compactMap { assembly.symbols.instrument($0)?.symbol }.joined(separator: ","))")
            }
            Self.status("database: \(databasePath)")
        }

        // The engine thread: create/start plugins, then run until the queue is closed.
        let startResult = AsyncResultBox()
        let engineThread = Thread {
            do {
                try engine.start()
                startResult.started()
                engine.run()
                startResult.finished(nil)
            } catch {
                startResult.finished(error)
            }
        }
        engineThread.name = "tsh.engine"
        engineThread.stackSize = 8 << 20

        let feed = FeedThread()
        let queue = engine.queue
        let signals = ShutdownSignals { first in
            if first {
                logger.notice("Shutdown requested: stopping the feed and draining the queue")
                feed.stop()
                polymarket?.stopFeed()
                exchange?.stop()
                queue.close()
            } else {
                logger.warning("Second signal: stopping now")
                engine.requestStop()
            }
        }
        // SIGUSR1 (sent by `host kill-switch engage`) engages the kill switch in this run.
        signal(SIGUSR1, SIG_IGN)
        let killSource = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
        killSource.setEventHandler {
            // The operator's reason, as `host kill-switch engage --reason` stored it.
            let stored = (try? journal.loadTradingState(instanceID: "*")).flatMap { $0 }
            let reason = stored.map { $0.state == .halted ? $0.reason : "SIGUSR1" } ?? "SIGUSR1"
            logger.critical("SIGUSR1: engaging the kill switch", metadata: ["reason": "\(reason)"])
            queue.push(.killSwitch(reason: reason))
        }
        killSource.resume()
        defer { killSource.cancel() }
        // A signal that came between taking the data directory's lock and this handler was
        // ignored: the stored state says whether it was sent (the engine engages it only once).
        if let stored = (try? journal.loadTradingState(instanceID: "*")).flatMap({ $0 }), stored.state == .halted {
            queue.push(.killSwitch(reason: stored.reason))
        }
        engineThread.start()
        if let error = await startResult.waitStarted() {
            signals.cancel()
            metricsTask?.cancel()
            journal.close()
            throw HostFailure(exit: .runtimeFailure, message: "error: \(error)")
        }
        let wallStart = monotonicNanos()
        let liveTask: Task<Void, Never>? = polymarket.map { session in
            Task {
                await session.run()
                queue.close()
            }
        }
        for input in history { _ = queue.push(input) }
        let exchangeTask: Task<Void, Never>? = exchange.map { exchange in
            Task {
                await exchange.run()
                queue.close()
            }
        }
        if let market {
            feed.start(market: market, speed: feedSpeed, sink: { batch in
                dashboard?.observe(batch)
                return queue.push(contentsOf: batch)
            }, onEnd: {
                dashboard?.feedEnded()
                queue.close()
            })
        }
        let printURL = !quiet
        let dashboardTask: Task<Void, Never>? = dashboard.map { dashboard in
            Task { await dashboard.serve(logger: logger) { url in if printURL { Self.status("dashboard: \(url)") } } }
        }

        let timeLimit: Task<Void, Never>? = seconds.map { limit in
            Task {
                guard (try? await Task.sleep(for: .milliseconds(Int64(limit * 1000)))) != nil else { return }
                logger.notice("Time limit reached: stopping the feed and draining the queue", metadata: ["seconds": "\(limit)"])
                feed.stop()
                polymarket?.stopFeed()
                exchange?.stop()
                queue.close()
            }
        }
        // The venue's counters on /metrics: tsh_venue_<counter>{venue="…"}, totals since start.
        let venueMetrics: Task<Void, Never>? = (port != nil ? exchange : nil).map { exchange in
            Task {
                while !Task.isCancelled {
                    for (name, value) in exchange.counters.all {
                        Gauge(label: "tsh_venue_\(name)", dimensions: [("venue", exchange.venue)]).record(Double(value))
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        let progress = quiet ? nil : Task {
            var last = engine.snapshot()
            var lastTime = monotonicNanos()
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let now = monotonicNanos()
                let snap = engine.snapshot()
                let rate = Double(snap.eventsProcessed - last.eventsProcessed) / (Double(now - lastTime) / 1e9)
                Self.status(Self.progressLine(snap, rate: rate))
                last = snap
                lastTime = now
            }
        }
        let runError = await startResult.waitFinished()
        polymarket?.stop()
        await liveTask?.value
        exchange?.stop()
        await exchangeTask?.value
        progress?.cancel()
        venueMetrics?.cancel()
        timeLimit?.cancel()
        signals.cancel()
        let elapsed = Double(monotonicNanos() - wallStart) / 1e9
        let snapshot = engine.snapshot()
        recorder?.finish()
        var flushError: (any Error)?
        do { try journal.flush() } catch { flushError = error }
        journal.endSession(exitStatus: runError == nil && flushError == nil ? "ok" : "failed")
        journal.close()
        metricsTask?.cancel()
        dashboardTask?.cancel()

        var summary = RunSummary(sessionID: sessionID, database: databasePath, seconds: elapsed, snapshot: snapshot)
        let backpressure = journal.backpressure
        summary.writerWaits = (backpressure.waits, backpressure.seconds)
        summary.redis = redisPublisher.map { ($0.url.description, $0.stop()) }
        if json {
            print(summary.json())
        } else {
            print(summary.text())
        }
        if let runError { throw HostFailure(exit: .runtimeFailure, message: "error: \(runError)") }
        if let flushError { throw HostFailure(exit: .storageFailure, message: "error: \(flushError)") }
    }

    static func progressLine(_ s: EngineSnapshot, rate: Double) -> String {
        let signals = s.instances.reduce(0) { $0 + $1.signalsEmitted }
        let orders = s.instances.reduce(0) { $0 + $1.ordersSubmitted }
        let denied = s.instances.reduce(0) { $0 + $1.ordersDenied }
        let fills = s.instances.reduce(0) { $0 + $1.fills }
        let pnl = s.instances.reduce(Decimal(0)) { $0 + $1.realizedPnL }
        var line = "progress: events=\(s.eventsProcessed) rate=\(Int(rate))/s queue=\(s.queueDepth) signals=\(signals) orders=\(orders) denied=\(denied) fills=\(fills)"
        if s.settlements > 0 { line += " windows=\(s.settlements / 2)" }
        line += " pnl=\(pnl)"
        return line
    }

    /// A progress/status line on stderr; `sameLine` rewrites the current terminal line.
    /// Installs Prometheus and opens `/metrics` on loopback `port`; a port that cannot be opened
    /// stops the command at start (exit 64) with the port, the reason and the fix.
    static func startMetrics(port: Int) async throws(HostFailure) -> Task<Void, any Error> {
        do {
            return try await MetricsEndpoint(registry: MetricsEndpoint.bootstrap(), port: port).start(logger: Logger(label: "tsh.metrics"))
        } catch {
            throw HostFailure(exit: .usage, message: "error: \(error)")
        }
    }

    static func status(_ line: String, sameLine: Bool = false) {
        FileHandle.standardError.write(Data((sameLine ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }

    static func sessionID() -> String {
        let stamp = Date().formatted(.iso8601.year().month().day().dateTimeSeparator(.standard).time(includingFractionalSeconds: false))
            .replacingOccurrences(of: ":", with: "")
        return "s-\(stamp)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }
}

/// Hands the engine thread's start and end to async code.
final class AsyncResultBox: Sendable {
    private let state = Mutex<(started: Bool, startError: (any Error)?, finished: Bool, error: (any Error)?,
                               startWaiters: [CheckedContinuation<(any Error)?, Never>], endWaiters: [CheckedContinuation<(any Error)?, Never>])>(
        (false, nil, false, nil, [], []))

    func started() {
        let waiters = state.withLock { s in
            s.started = true
            defer { s.startWaiters = [] }
            return s.startWaiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    func finished(_ error: (any Error)?) {
        let (startWaiters, endWaiters) = state.withLock { s in
            let wasStarted = s.started
            s.started = true
            if !wasStarted { s.startError = error }
            s.finished = true
            s.error = error
            defer { s.startWaiters = []; s.endWaiters = [] }
            return (s.startWaiters, s.endWaiters)
        }
        for waiter in startWaiters { waiter.resume(returning: error) }
        for waiter in endWaiters { waiter.resume(returning: error) }
    }

    func waitStarted() async -> (any Error)? {
        await withCheckedContinuation { continuation in
            let ready: (any Error)?? = state.withLock { s in
                if s.started { return .some(s.startError) }
                s.startWaiters.append(continuation)
                return .none
            }
            if case .some(let error) = ready { continuation.resume(returning: error) }
        }
    }

    func waitFinished() async -> (any Error)? {
        await withCheckedContinuation { continuation in
            let ready: (any Error)?? = state.withLock { s in
                if s.finished { return .some(s.error) }
                s.endWaiters.append(continuation)
                return .none
            }
            if case .some(let error) = ready { continuation.resume(returning: error) }
        }
    }
}

/// SIGINT/SIGTERM: the first asks for a graceful stop, the second for an immediate one.
final class ShutdownSignals: @unchecked Sendable {
    // @unchecked: `sources` is written once in init and only canceled afterwards;
    // DispatchSource is thread-safe but not annotated Sendable.
    private let sources: [any DispatchSourceSignal]
    private let count = Atomic64(0)

    init(_ handler: @escaping @Sendable (_ first: Bool) -> Void) {
        var sources: [any DispatchSourceSignal] = []
        let count = self.count
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { handler(count.add(1) == 1) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() {
        for source in sources { source.cancel() }
        for signalNumber in [SIGINT, SIGTERM] { signal(signalNumber, SIG_DFL) }
    }
}
