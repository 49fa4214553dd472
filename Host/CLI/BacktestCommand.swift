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
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, Self.time(value) == nil { throw ValidationError("\(name) '\(value)' is neither ISO-8601 UTC (2024-01-01T00:10:00Z) nor unix seconds") }
        }
    }

    /// ns since the Unix epoch from ISO-8601 or unix seconds.
    static func time(_ text: String) -> Int64? {
        if let seconds = Double(text) { return Int64(seconds * 1e9) }
        guard let date = try? Date(text, strategy: .iso8601) else { return nil }
        return Int64(date.timeIntervalSince1970 * 1e9)
    }

    func run() throws {
        try reportingFailures(execute)
    }

    private func execute() throws {
        HostLogging.configure(level: Logger.Level(rawValue: logLevel) ?? .warning, json: false)
        let options = TardisOptions(symbols: symbols.isEmpty ? nil : Set(symbols), from: from.flatMap(Self.time), to: to.flatMap(Self.time),
                                    skipMalformed: skipMalformed)
        let dataSet: TardisDataSet
        do { dataSet = try TardisDataSet(directory: data, options: options) } catch {
            throw HostFailure(exit: .invalidData, message: "error: \(error)")
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
        let assembly = try SessionAssembly(config: configuration, registry: registry)
        guard assembly.symbols.instruments.prefix(instruments.count).map(\.symbol) == instruments.map(\.symbol) else {
            throw HostFailure(exit: .runtimeFailure, message: "error: internal: the configuration's symbol order differs from the data's")
        }

        let databasePath = URL(fileURLWithPath: configuration.host.dataDirectory).appendingPathComponent("host.sqlite").path
        let journal: SQLiteJournal
        do { journal = try SQLiteJournal(path: databasePath, logger: Logger(label: "tsh.persistence")) } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        defer { journal.close() }
        journal.setSymbols(assembly.symbols)
        var engineConfiguration = EngineConfiguration(queueCapacity: configuration.host.queueCapacity, paperVenue: assembly.paperVenue)
        engineConfiguration.bookSnapshotInterval = Int64(configuration.host.bookSnapshotIntervalMs) * 1_000_000
        engineConfiguration.bookSnapshotDepth = configuration.host.bookSnapshotDepth
        let engine = Engine(symbols: assembly.symbols, configuration: engineConfiguration, clock: SimulatedClock(start: 0), journal: journal,
                            logger: Logger(label: "tsh.engine"))
        let recorder = configuration.host.record ? SessionRecorder(journal: journal) : nil
        engine.recorder = recorder
        let sessionID = "b-" + RunCommand.sessionID().dropFirst(2)
        do {
            for spec in assembly.specs { try engine.addInstance(spec) }
            try journal.beginSession(SessionInfo(
                id: sessionID, startedAt: WallClock().now(), hostVersion: HostCommand.version, configHash: configuration.configHash,
                configFile: configuration.file, seed: 0, plugins: assembly.sessionPlugins, configText: configuration.text,
                instruments: assembly.symbols.instruments, source: "tardis:\(data)"))
            try engine.start()
        } catch let error as PersistenceError {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        } catch {
            throw HostFailure(exit: .runtimeFailure, message: "error: \(error)")
        }

        let totalBytes = dataSet.files.reduce(Int64(0)) { sum, file in
            let resolved = URL(fileURLWithPath: file.path).resolvingSymlinksInPath().path
            return sum + ((try? FileManager.default.attributesOfItem(atPath: resolved)[.size] as? Int64) ?? 0)
        }
        if !quiet {
            RunCommand.status("host \(HostCommand.version) — backtest session \(sessionID): \(dataSet.files.count) files, "
                + "\(instruments.count) symbols, \(String(format: "%.1f", Double(totalBytes) / 1_048_576)) MiB")
        }
        var replay = dataSet.threadedReplay()
        var batch: [MarketEvent] = []
        batch.reserveCapacity(4_096)
        let start = monotonicNanos()
        var lastProgress = start
        var rows: Int64 = 0
        let interactive = isatty(STDERR_FILENO) != 0
        while true {
            batch.removeAll(keepingCapacity: true)
            while batch.count < 4_096, let event = replay.next() { batch.append(event) }
            if batch.isEmpty { break }
            batch.withUnsafeBufferPointer { engine.process($0) }
            rows += Int64(batch.count)
            let now = monotonicNanos()
            if !quiet, now - lastProgress >= 500_000_000 {
                lastProgress = now
                RunCommand.status(Self.progress(rows: rows, elapsed: now - start, read: replay.statistics.bytesRead, total: totalBytes),
                                  sameLine: interactive)
            }
        }
        let engineSeconds = Double(monotonicNanos() - start) / 1e9
        if !quiet && interactive { RunCommand.status("") }
        engine.requestStop()
        engine.run()
        recorder?.finish()
        if let failure = replay.failure {
            journal.endSession(exitStatus: "failed")
            throw HostFailure(exit: .invalidData, message: "error: \(failure)")
        }
        var flushError: (any Error)?
        do { try journal.flush() } catch { flushError = error }
        journal.endSession(exitStatus: flushError == nil ? "ok" : "failed")

        let statistics = replay.statistics
        let summary = RunSummary(sessionID: sessionID, database: databasePath, seconds: engineSeconds, snapshot: engine.snapshot())
        if json {
            var object = (try? JSONSerialization.jsonObject(with: Data(summary.json().utf8))) as? [String: Any] ?? [:]
            object["rows"] = statistics.rowsRead
            object["rows_skipped"] = statistics.rowsSkipped
            object["rows_per_second"] = Double(statistics.rowsRead) / max(engineSeconds, 1e-9)
            object["data"] = data
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(summary.text())
            print("  rows              \(statistics.rowsRead) read, \(statistics.rowsSkipped) skipped (malformed), "
                + "\(Int(Double(statistics.rowsRead) / max(engineSeconds, 1e-9))) rows/s including parsing")
        }
        if let flushError { throw HostFailure(exit: .storageFailure, message: "error: \(flushError)") }
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
