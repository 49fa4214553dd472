import ArgumentParser
import Foundation
import HostConfig
import HostCore
import HostEngine
import HostExecution
import HostFeeds
import HostPersistence
import HostPlugins
import Logging

/// `host replay <session>`: feeds a recorded session back through the same engine and
/// plugins on the simulated clock and compares the decision stream with the recorded one.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recorded session through the engine and compare its decisions with the recording.",
        discussion: """
        Decisions: orders submitted, every order state change (fills, cancels, denials with their
        reason), and signals, with their times. Prints "identical" or the first divergence with both
        sides. Refuses, naming what differs, when the host version, the configuration file or a
        plugin binary is not the one recorded; --allow-changes replays anyway (to see what a change
        does). Exit codes: 0 identical, 1 diverged or failed, 64 usage, 65/66/67 config/plugin, 74 storage.
        """)

    @Argument(help: "Session id (see `host report` or the run's first line); 'last' for the newest.")
    var session: String

    @Option(name: .long, help: "Data directory holding host.sqlite.")
    var dataDir = "./data"

    @Flag(name: .long, help: "Replay even when the host version, configuration or plugin binaries differ from the recording.")
    var allowChanges = false

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func run() throws {
        try reportingFailures(execute)
    }

    private func execute() throws {
        // Plugins log as they did in the recorded run; only errors matter here.
        HostLogging.configure(level: .error, json: false)
        let silent = Logger(label: "tsh.replay", factory: { _ in SwiftLogNoOpLogHandler() })
        let path = URL(fileURLWithPath: dataDir).appendingPathComponent("host.sqlite").path
        let original: SQLiteJournal
        do { original = try SQLiteJournal.openExisting(path: path, logger: silent) } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        defer { original.close() }
        let sessions: [SessionRow]
        do { sessions = try original.sessions() } catch { throw HostFailure(exit: .storageFailure, message: "error: \(error)") }
        guard let row = session == "last" ? sessions.last : sessions.first(where: { $0.info.id == session }) else {
            let known = sessions.suffix(5).map(\.info.id).joined(separator: ", ")
            throw HostFailure(exit: .usage, message: "error: no session '\(session)' in \(path)\nfix: use one of: \(known.isEmpty ? "(none recorded)" : known), or 'last'")
        }
        let info = row.info

        // What differs from the recording.
        var differences: [String] = []
        if info.hostVersion != HostCommand.version {
            differences.append("host version: recorded \(info.hostVersion), this host \(HostCommand.version)")
        }
        let registry = PluginRegistry()
        var configuration: StrategyConfig
        let fromFiles = info.source.hasPrefix("tardis")  // backtests: symbols come from the data, not the feed section
        let isDefaults = info.configFile.hasPrefix("<defaults for ")
        if isDefaults {
            let plugin = String(info.configFile.dropFirst("<defaults for ".count).dropLast())
            if fromFiles {
                let loaded = try SessionAssembly.loadPlugin(plugin, registry: registry)
                configuration = StrategyConfigLoader.defaults(pluginPath: plugin, kindIDs: loaded.info.kinds.map(\.id),
                                                              symbols: info.instruments.map(\.symbol))
            } else {
                configuration = try SessionAssembly.configuration(configPath: nil, strategy: plugin, registry: registry)
            }
            if configuration.configHash != info.configHash { differences.append("configuration: the defaults of \(plugin) changed") }
        } else if let current = try? StrategyConfigLoader.load(file: info.configFile, checkFeedSymbols: !fromFiles), current.configHash == info.configHash {
            configuration = current
        } else {
            let exists = FileManager.default.fileExists(atPath: info.configFile)
            if exists { differences.append("configuration: \(info.configFile) changed since the recording (hash \(info.configHash) recorded)") }
            do {
                configuration = try allowChanges && exists ? StrategyConfigLoader.load(file: info.configFile, checkFeedSymbols: !fromFiles)
                    : StrategyConfigLoader.parse(info.configText, file: "\(info.configFile) (as recorded)", checkFeedSymbols: !fromFiles)
            } catch {
                throw HostFailure(exit: .invalidConfig, message: "error: the configuration cannot be read\n\(error)")
            }
        }
        for plugin in info.plugins {
            guard let current = SessionAssembly.fileHash(plugin.path) else {
                differences.append("plugin \(plugin.pluginID): \(plugin.path) is missing")
                continue
            }
            if let recorded = plugin.fileHash, recorded != current {
                differences.append("plugin \(plugin.pluginID): \(plugin.path) was rebuilt (file hash \(recorded) recorded, \(current) now)")
            }
        }
        // A backtest recorded the files it read: read them again, with the same filters.
        var dataSet: TardisDataSet?
        if let files = info.dataFiles {
            do {
                let set = try TardisDataSet(directory: files.directory, options: BacktestFeed.options(of: files))
                differences += BacktestFeed.fileDifferences(recorded: files, now: set)
                dataSet = set
            } catch {
                throw HostFailure(exit: .invalidData, message: "error: session \(info.id) read the data files in \(files.directory), which cannot be read now: \(error)")
            }
            if !files.isComplete { differences.append("the backtest did not finish: the digests of its data files were not recorded, so they cannot be verified") }
        }
        if !differences.isEmpty && !allowChanges {
            throw HostFailure(exit: .runtimeFailure, message: "error: session \(info.id) was recorded with a different setup:\n"
                + differences.map { "  - \($0)" }.joined(separator: "\n") + "\nfix: restore them, or pass --allow-changes to replay anyway")
        }

        if fromFiles { SessionAssembly.useData(info.instruments, in: &configuration) }
        // An exchange session took its symbols and instruments from the venue at start: use the
        // recorded ones, never the venue's current answer.
        if configuration.feed.source == .binance || configuration.feed.source == .bybit {
            SessionAssembly.useInstruments(info.instruments, in: &configuration)
        }
        let assembly = try SessionAssembly(config: configuration, registry: registry)
        let names = assembly.symbols.instruments.map(\.symbol)
        let recordedNames = info.instruments.map(\.symbol)
        guard recordedNames.isEmpty || names == recordedNames else {
            throw HostFailure(exit: .runtimeFailure, message: "error: the configuration's symbols \(names) are not the recorded \(recordedNames)\nfix: replay with the recorded configuration")
        }

        // Replay into a scratch database, from the accounts the original run restored.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-replay-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let replayID = "replay-of-\(info.id)"
        let journal: SQLiteJournal
        do {
            journal = try SQLiteJournal(path: scratch.appendingPathComponent("replay.sqlite").path, logger: silent)
            try journal.copyFills(from: path, startedBefore: info.startedAt)
            journal.setSymbols(assembly.symbols)
            try journal.declareRecordTables(assembly.recordTables, at: info.startedAt)
            try journal.beginSession(SessionInfo(id: replayID, startedAt: info.startedAt, hostVersion: HostCommand.version,
                                                 configHash: configuration.configHash, configFile: configuration.file, seed: info.seed,
                                                 plugins: assembly.sessionPlugins))
        } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        defer { journal.close() }
        // Live instances replay against their recorded venue outcomes; nothing is sent anywhere.
        var engineConfiguration = EngineConfiguration(queueCapacity: configuration.host.queueCapacity, paperVenue: assembly.paperVenue,
                                                      allowLive: true)
        engineConfiguration.bookSnapshotInterval = 0
        engineConfiguration.barSettle = SessionAssembly.barSettle(configuration)
        // A live session decided at its inputs' times, starting from its recorded start.
        let clockStart = configuration.feed.source.isLive ? info.startedAt : 0
        let engine = Engine(symbols: assembly.symbols, configuration: engineConfiguration, clock: SimulatedClock(start: clockStart), journal: journal,
                            logger: Logger(label: "tsh.engine"))
        var inputs = 0
        var recordedTimers: [String] = []
        let replayedTimers = TimerLog()
        engine.recorder = replayedTimers
        do {
            for venue in Set(assembly.specs.filter { $0.mode == .live }.map(\.venue)) { engine.attachLiveVenue(RecordedOutcomesVenue(name: venue)) }
            for spec in assembly.specs { try engine.addInstance(spec) }
            try engine.start()
            if let dataSet, let files = info.dataFiles {
                // The same path as `host backtest`: the files, parsed again, into the engine.
                let outcome = BacktestFeed.run(dataSet, engine: engine, journal: journal, totalBytes: 0, progress: nil)
                inputs = Int(outcome.statistics.rowsRead)
                if let failure = outcome.dataFailure { throw HostFailure(exit: .invalidData, message: "error: \(failure)") }
                if let failure = outcome.storageFailure { throw failure }
                let changed = BacktestFeed.contentDifferences(recorded: files, replayed: BacktestFeed.completed(files, with: outcome.statistics))
                if !changed.isEmpty && !allowChanges {
                    throw HostFailure(exit: .runtimeFailure, message: "error: session \(info.id) was recorded with a different setup:\n"
                        + changed.map { "  - \($0)" }.joined(separator: "\n") + "\nfix: restore the files, or pass --allow-changes to replay anyway")
                }
                differences += changed
            } else {
                try original.forEachRecordedBlock(sessionID: info.id) { block in
                    inputs += block.count
                    for control in block.controls {
                        if case .timerFired(let instance, let id, let time) = control.input { recordedTimers.append(TimerLog.line(instance, id, time)) }
                    }
                    engine.process(block)
                }
            }
            engine.requestStop()
            engine.run()
            try journal.flush()
        } catch let failure as HostFailure {
            throw failure
        } catch {
            throw HostFailure(exit: .runtimeFailure, message: "error: the replay failed: \(error)")
        }
        guard inputs > 0 else {
            throw HostFailure(exit: .runtimeFailure, message: "error: session \(info.id) has no recorded inputs\nfix: record sessions with host.record: true (the default); recordings older than host.recording_retention_days are deleted; a backtest replays from its data files, which must still hold rows")
        }

        let recorded: DecisionStream
        let replayed: DecisionStream
        do {
            recorded = try original.decisionStream(sessionID: info.id)
            replayed = try journal.decisionStream(sessionID: replayID)
        } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        var outcome = Self.compare(recorded: recorded, replayed: replayed, cleanEnd: row.exitStatus.map { !$0.hasPrefix(SQLiteJournal.abnormalExit) } ?? false)
        let timerMismatch: Int? = {
            for i in 0..<min(recordedTimers.count, replayedTimers.lines.count) where recordedTimers[i] != replayedTimers.lines[i] { return i }
            return recordedTimers.count > replayedTimers.lines.count ? replayedTimers.lines.count : nil
        }()
        if outcome.identical, let index = timerMismatch {
            outcome = Outcome(identical: false, divergence: Divergence(
                stream: "timer firings", index: index, recorded: index < recordedTimers.count ? recordedTimers[index] : nil,
                replayed: index < replayedTimers.lines.count ? replayedTimers.lines[index] : nil), trailing: 0)
        }
        if json {
            var object: [String: Any] = ["session_id": info.id, "inputs": inputs, "identical": outcome.identical,
                                         "timer_firings": recordedTimers.count,
                                         "decisions_recorded": recorded.count, "decisions_replayed": replayed.count,
                                         "differences_allowed": differences]
            if let d = outcome.divergence {
                object["divergence"] = ["stream": d.stream, "index": d.index, "recorded": d.recorded as Any? ?? NSNull(),
                                        "replayed": d.replayed as Any? ?? NSNull()] as [String: Any]
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for difference in differences { print("note: replaying despite a change: \(difference)") }
            print(outcome.text(session: info.id, inputs: inputs, recorded: recorded, timers: recordedTimers.count))
        }
        if !outcome.identical { throw ExitCode(HostExit.runtimeFailure.rawValue) }
    }

    /// Collects the timer firings of the replaying engine (its only recorded input here).
    final class TimerLog: InputRecorder, @unchecked Sendable {
        // @unchecked: used on the replaying thread only.
        var lines: [String] = []
        static func line(_ instance: Int, _ id: UInt64, _ time: Int64) -> String { "timer \(id) of instance #\(instance) at \(time)" }
        func record(_ events: UnsafeBufferPointer<MarketEvent>) {}
        func record(_ control: EngineInput) {
            if case .timerFired(let instance, let id, let time) = control { lines.append(Self.line(instance, id, time)) }
        }
    }

    struct Divergence {
        var stream: String
        var index: Int
        var recorded: String?
        var replayed: String?
    }

    struct Outcome {
        var identical: Bool
        var divergence: Divergence?
        var trailing: Int

        func text(session: String, inputs: Int, recorded: DecisionStream, timers: Int) -> String {
            guard let d = divergence else {
                var line = "identical: session \(session), \(inputs) inputs, \(recorded.orders.count) orders, \(recorded.updates.count) order updates, \(recorded.signals.count) signals, \(timers) timer firings"
                if trailing > 0 { line += " (the replay adds \(trailing) shutdown decisions after the recording ends: the session did not end cleanly)" }
                return line
            }
            return """
                DIVERGED: session \(session), first difference in \(d.stream) #\(d.index + 1)
                  recorded: \(d.recorded ?? "(nothing)")
                  replayed: \(d.replayed ?? "(nothing)")
                """
        }
    }

    /// Compares stream by stream; a replay of a session that died (no clean end) may add
    /// decisions after the recorded ones (its shutdown), which is not a divergence.
    static func compare(recorded: DecisionStream, replayed: DecisionStream, cleanEnd: Bool) -> Outcome {
        var trailing = 0
        for (name, a, b) in [("orders", recorded.orders, replayed.orders), ("order updates", recorded.updates, replayed.updates),
                             ("signals", recorded.signals, replayed.signals)] {
            for i in 0..<max(a.count, b.count) {
                let left = i < a.count ? a[i] : nil
                let right = i < b.count ? b[i] : nil
                if left == right { continue }
                if left == nil && !cleanEnd {
                    trailing += b.count - i
                    break
                }
                return Outcome(identical: false, divergence: Divergence(stream: name, index: i, recorded: left, replayed: right), trailing: 0)
            }
        }
        return Outcome(identical: true, divergence: nil, trailing: trailing)
    }
}
