import ArgumentParser
import Foundation
import HostConfig
import HostCore
import HostEngine
import HostFeeds
import HostPersistence
import HostPlugins
import Logging

/// `host backtest --data DIR --strategy X.so`: Tardis CSV files through the same engine,
/// paper venue and risk as a live run, persisted and recorded as a session.
struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Run plugins over Tardis-format CSV files (quotes, trades, incremental_book_L2; .csv or .csv.gz).",
        discussion: """
        Examples:
          host backtest --data ./tardis --strategy ema_bench.so --config strategies/ema_bench.yaml
          host backtest --data ./tardis --strategy ema_bench.so --symbols BTCUSDT --from 2024-01-01T00:10:00Z --json
        The files' rows are merged in local_timestamp order (ties: quotes, trades, L2; then symbol)
        and parsed on a second thread. The run is a session in the database (--data-dir), with
        its inputs recorded for `host replay`. Without --config, one paper instance per kind of
        the plugin trades every symbol in the data.
        """)

    @Option(name: .long, help: "Directory of Tardis CSV files ({exchange}_{data_type}_{date}_{symbol}.csv[.gz]).")
    var data: String

    @Option(name: .long, help: "Plugin file (when there is no --config, or to pick strategies/<name>.yaml).")
    var strategy: String?

    @Option(name: .long, help: "Strategy configuration (YAML); its instances must trade symbols of the data.")
    var config: String?

    @Option(name: .long, parsing: .upToNextOption, help: "Only these symbols.")
    var symbols: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: "Only these data types: quotes, trades, incremental_book_L2.")
    var dataTypes: [String] = []

    @Option(name: .long, help: "Start (inclusive) on local_timestamp: ISO-8601 UTC or unix seconds.")
    var from: String?

    @Option(name: .long, help: "End (exclusive) on local_timestamp: ISO-8601 UTC or unix seconds.")
    var to: String?

    @Flag(name: .long, help: "Skip malformed rows and count them, instead of stopping at the first.")
    var skipMalformed = false

    @Option(name: .long, help: "Data directory for the SQLite database (default: host.data_dir of the config, else ./data).")
    var dataDir: String?

    @Flag(name: .long, help: "Print the summary as JSON on stdout.")
    var json = false

    @Flag(name: .long, help: "No progress line.")
    var quiet = false

    @Option(name: .long, help: "Log level (default warning).")
    var logLevel: String = "warning"

    func validate() throws {
        guard strategy != nil || config != nil else { throw ValidationError("pass --strategy <plugin.so> or --config <file.yaml>") }
        if strategy != nil && config != nil {
            throw ValidationError("pass --strategy or --config, not both: a configuration names its plugins itself")
        }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
        for type in dataTypes where TardisDataType(rawValue: type) == nil {
            throw ValidationError("--data-types '\(type)' is not one of \(TardisDataType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, Self.time(value) == nil { throw ValidationError("\(name) '\(value)' is neither ISO-8601 UTC (2024-01-01T00:10:00Z) nor unix seconds") }
        }
        if let from, let to, let start = Self.time(from), let end = Self.time(to), start >= end {
            throw ValidationError("--from '\(from)' must be earlier than --to '\(to)' (--from is inclusive, --to exclusive): no row can be in between")
        }
    }

    /// ns since the Unix epoch from ISO-8601 or unix seconds.
    static func time(_ text: String) -> Int64? {
        if let seconds = Double(text) { return Int64(seconds * 1e9) }
        guard let date = try? Date(text, strategy: .iso8601) else { return nil }
        return Int64(date.timeIntervalSince1970 * 1e9)
    }

    func run() throws {
        try reportingFailures { try execute() }
    }

    /// What a command built on a backtest (`host candles materialize`) adds to one.
    struct Hooks {
        /// Adjusts the configuration before it is assembled.
        var configure: (inout StrategyConfig) throws -> Void = { _ in }
        /// With the database open and the plugins assembled, before the session starts.
        var beforeRun: (SQLiteJournal, SessionAssembly) throws -> Void = { _, _ in }
        /// After the run is flushed and summarized, with the engine's final counters.
        var afterRun: (EngineSnapshot) throws -> Void = { _ in }
    }

    func execute(hooks: Hooks = Hooks()) throws {
        let processStart = HostMain.startNanos
        HostLogging.configure(level: Logger.Level(rawValue: logLevel) ?? .warning, json: false)
        let directory = URL(fileURLWithPath: data).standardizedFileURL.path
        let options = TardisOptions(symbols: symbols.isEmpty ? nil : Set(symbols),
                                    dataTypes: dataTypes.isEmpty ? nil : Set(dataTypes.compactMap(TardisDataType.init(rawValue:))),
                                    from: from.flatMap(Self.time), to: to.flatMap(Self.time), skipMalformed: skipMalformed)
        let dataSet: TardisDataSet
        do { dataSet = try TardisDataSet(directory: directory, options: options) } catch {
            throw HostFailure(exit: .invalidData, message: "error: \(error)")
        }
        if let (symbol, files) = dataSet.symbolsOnSeveralExchanges.first {
            let exchanges = Array(Set(files.map(\.exchange))).sorted()
            let names = files.map { URL(fileURLWithPath: $0.path).lastPathComponent }
            throw HostFailure(exit: .invalidData, message: """
                error: \(data): symbol \(symbol) comes from \(exchanges.count) exchanges (\(exchanges.joined(separator: ", "))): \
                \(names.joined(separator: ", ")); a backtest names instruments by symbol alone, so it takes one exchange per symbol
                fix: move the other exchanges' files to another directory, or leave \(symbol) out with --symbols
                """)
        }
        let instruments = dataSet.symbols.instruments
        guard !instruments.isEmpty else {
            throw HostFailure(exit: .invalidData, message: "error: \(data): no Tardis files match\nfix: check --data and the --symbols filter")
        }

        // The configuration, with the data's symbols as the feed's (so ids agree).
        let registry = PluginRegistry()
        var configuration: StrategyConfig
        if let config {
            configuration = try SessionAssembly.configuration(configPath: config, strategy: nil, registry: registry, checkFeedSymbols: false)
        } else {
            let plugin = try SessionAssembly.loadPlugin(strategy!, registry: registry)
            configuration = StrategyConfigLoader.defaults(pluginPath: strategy!, kindIDs: plugin.info.kinds.map(\.id), symbols: instruments.map(\.symbol))
        }
        SessionAssembly.useData(instruments, in: &configuration)
        for instance in configuration.instances {
            let missing = instance.symbols.filter { !configuration.feed.symbols.contains($0) }
            if !missing.isEmpty {
                throw HostFailure(exit: .invalidConfig, message: "error: instance '\(instance.id)' trades \(missing.joined(separator: ", ")), which the data in \(data) does not have (it has \(configuration.feed.symbols.joined(separator: ", ")))\nfix: change the instance's symbols or the --symbols filter")
            }
        }
        if let dataDir { configuration.host.dataDirectory = dataDir }
        try hooks.configure(&configuration)
        // The database opens (for a new data directory: is created and migrated) while the
        // plugins load.
        let pendingWriter = SessionAssembly.PendingWriter(configuration.host)
        let assembly: SessionAssembly
        do {
            assembly = try SessionAssembly(config: configuration, registry: registry)
        } catch {
            pendingWriter.abandon()
            throw error
        }
        guard assembly.symbols.instruments.prefix(instruments.count).map(\.symbol) == instruments.map(\.symbol) else {
            pendingWriter.abandon()
            throw HostFailure(exit: .runtimeFailure, message: "error: internal: the configuration's symbol order differs from the data's")
        }

        let databasePath = URL(fileURLWithPath: configuration.host.dataDirectory).appendingPathComponent("host.sqlite").path
        let (directoryLock, journal) = try pendingWriter.finish(symbols: assembly.symbols, recordTables: assembly.recordTables)
        defer { withExtendedLifetime(directoryLock) {} }
        defer { journal.close() }
        // A backtest's inputs are files: it stores its decisions, not copies of its input,
        // unless book snapshots are asked for.
        var engineConfiguration = EngineConfiguration(queueCapacity: configuration.host.queueCapacity, paperVenue: assembly.paperVenue)
        engineConfiguration.bookSnapshotInterval = Int64(configuration.host.bookSnapshotIntervalMs ?? 0) * 1_000_000
        engineConfiguration.bookSnapshotDepth = configuration.host.bookSnapshotDepth
        engineConfiguration.barSettle = SessionAssembly.barSettle(configuration)
        let engine = Engine(symbols: assembly.symbols, configuration: engineConfiguration, clock: SimulatedClock(start: 0), journal: journal,
                            logger: Logger(label: "tsh.engine"))
        let manifest = configuration.host.record ? BacktestFeed.manifest(dataSet) : nil
        let sessionID = "b-" + RunCommand.sessionID().dropFirst(2)
        try hooks.beforeRun(journal, assembly)
        do {
            for spec in assembly.specs { try engine.addInstance(spec) }
            try journal.beginSession(SessionInfo(
                id: sessionID, startedAt: WallClock().now(), hostVersion: HostCommand.version, configHash: configuration.configHash,
                configFile: configuration.file, seed: 0, plugins: assembly.sessionPlugins, configText: configuration.text,
                instruments: assembly.symbols.instruments, source: "tardis:\(directory)", dataFiles: manifest))
            try engine.start()
        } catch let error as PersistenceError {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        } catch {
            throw HostFailure(exit: .runtimeFailure, message: "error: \(error)")
        }

        let totalBytes = dataSet.files.reduce(Int64(0)) { $0 + (BacktestFeed.fileSize($1.path) ?? 0) }
        if !quiet {
            RunCommand.status("host \(HostCommand.version) — backtest session \(sessionID): \(dataSet.files.count) files, "
                + "\(instruments.count) symbols, \(String(format: "%.1f", Double(totalBytes) / 1_048_576)) MiB")
        }
        let interactive = isatty(STDERR_FILENO) != 0
        let setupEnd = monotonicNanos()
        let outcome = BacktestFeed.run(dataSet, engine: engine, journal: journal, totalBytes: totalBytes, progress: quiet ? nil : { rows, elapsed, read, total in
            RunCommand.status(Self.progress(rows: rows, elapsed: elapsed, read: read, total: total), sameLine: interactive)
        })
        if !quiet && interactive { RunCommand.status("") }
        engine.requestStop()
        engine.run()
        if let failure = outcome.dataFailure {
            journal.endSession(exitStatus: "failed")
            throw HostFailure(exit: .invalidData, message: "error: \(failure)")
        }
        if let manifest { journal.recordDataFiles(BacktestFeed.completed(manifest, with: outcome.statistics)) }
        var flushError: (any Error)? = outcome.storageFailure
        if flushError == nil {
            do { try journal.flush() } catch { flushError = error }
        }
        journal.endSession(exitStatus: flushError == nil ? "ok" : "failed")
        if flushError == nil {
            do { try journal.flush() } catch { flushError = error }
        }
        let finished = monotonicNanos()

        let timing = BacktestTiming(setup: Double(setupEnd - processStart) / 1e9, run: outcome.seconds,
                                    finish: Double(finished - setupEnd) / 1e9 - outcome.seconds, total: Double(finished - processStart) / 1e9)
        let statistics = outcome.statistics
        let backpressure = journal.backpressure
        let summary = RunSummary(sessionID: sessionID, database: databasePath, seconds: outcome.seconds, snapshot: engine.snapshot())
        let rows = statistics.rowsRead
        if json {
            var object = summary.jsonObject()
            object["rows"] = rows
            object["rows_skipped"] = statistics.rowsSkipped
            object["rows_per_second"] = Double(rows) / max(outcome.seconds, 1e-9)
            object["rows_per_second_start_to_end"] = Double(rows) / max(timing.total, 1e-9)
            object["seconds_setup"] = timing.setup
            object["seconds_run"] = timing.run
            object["seconds_finish"] = timing.finish
            object["seconds_start_to_end"] = timing.total
            object["writer_waits"] = backpressure.waits
            object["writer_wait_seconds"] = backpressure.seconds
            object["recorded"] = manifest == nil ? "nothing" : "data files"
            object["data"] = directory
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(summary.text())
            print("  rows              \(rows) read, \(statistics.rowsSkipped) skipped (malformed)")
            print("  time              \(String(format: "%.3f", timing.total)) s from start to here: setup \(String(format: "%.3f", timing.setup)) s "
                + "(plugins, data files, database), parse + engine \(String(format: "%.3f", timing.run)) s, "
                + "stop + flush \(String(format: "%.3f", timing.finish)) s")
            print("  rate              \(Int(Double(rows) / max(timing.total, 1e-9))) rows/s start to end; "
                + "\(Int(Double(rows) / max(timing.run, 1e-9))) rows/s parse + engine")
            print("  writer            " + (backpressure.waits == 0 ? "never waited on the persistence writer"
                : "the engine waited on the persistence writer \(backpressure.waits) times, \(String(format: "%.3f", backpressure.seconds)) s in all "
                    + "(first after \(backpressure.firstAtRow) rows journaled); simulated time does not race it"))
            print("  recorded          " + (manifest == nil ? "nothing (host.record: false): this session cannot be replayed"
                : "\(dataSet.files.count) data files by size and XXH3 digest, for `host replay \(sessionID)`"))
        }
        if let flushError { throw HostFailure(exit: .storageFailure, message: "error: \(flushError)") }
        try hooks.afterRun(engine.snapshot())
    }

    /// Where a backtest's wall time went, seconds.
    struct BacktestTiming {
        /// From the start of `main` until the first row: configuration, plugins, data files, database, plugin start.
        var setup: Double
        /// The feed loop: parse thread and engine.
        var run: Double
        /// Stopping the engine, flushing the database.
        var finish: Double
        var total: Double
    }

    static func progress(rows: Int64, elapsed: Int64, read: Int64, total: Int64) -> String {
        let seconds = Double(elapsed) / 1e9
        let rate = Double(rows) / max(seconds, 1e-9)
        let fraction = total > 0 ? min(1, Double(read) / Double(total)) : 0
        let eta = fraction > 0 ? seconds * (1 - fraction) / fraction : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        return "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] "
            + "\(String(format: "%3.0f", fraction * 100))% rows=\(rows) \(String(format: "%.2f", rate / 1e6)) M rows/s ETA \(String(format: "%.0f", eta)) s"
    }
}
