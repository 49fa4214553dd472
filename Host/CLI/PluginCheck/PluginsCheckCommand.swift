import ArgumentParser
import Foundation
import HostConfig
import HostCore
import HostEngine
import HostFeeds
import HostPlugins
import HostTesting
import Logging
import Synchronization

/// The options `host plugins check` and its child share.
struct CheckOptions: ParsableArguments {
    @Argument(help: "The plugin file (a path, or a name the host searches for).")
    var plugin: String

    @Option(name: .long, help: "Drive it with recorded Tardis CSV files from this directory (at most --events of them).")
    var data: String?

    @Option(name: .long, help: "Drive it with a market script (time_ms,symbol,quote|trade|signal,...; see docs/PLUGINS.md).")
    var script: String?

    @Option(name: .long, help: "A strategy configuration for symbols and parameters; its instances of this plugin are run (default: every kind with default parameters).")
    var config: String?

    @Option(name: .long, help: "Market events to feed (default 5000; the whole script with --script).")
    var events: Int = 5_000

    @Option(name: .long, help: "Seed of the simulated feed (without --data or --script).")
    var seed: UInt64 = 42

    @Option(name: .long, help: "Signal names that must be emitted (repeatable); the check fails when one is not.")
    var expectSignal: [String] = []

    func validate() throws {
        if data != nil && script != nil { throw ValidationError("pass --data or --script, not both: the check runs one feed") }
        guard events > 0 else { throw ValidationError("--events must be at least 1") }
    }
}

/// What the child reports, and the parent prints.
struct CheckReport: Codable {
    struct Signal: Codable { var name: String; var count: Int; var first: String }
    struct Instance: Codable {
        var instance: String
        var kind: String
        var callbacks: [String: CallbackProbe.Timing]
        var errors: Int
        var firstErrors: [String]
    }
    var plugin: String
    var pluginID: String?
    var version: String?
    var kinds: [String] = []
    var feed: String = ""
    var events = 0
    var ok = false
    /// load, configuration, create, start, run or crash: where it failed.
    var failedAt: String?
    var problem: String?
    var fix: String?
    var instances: [Instance] = []
    var signals: [Signal] = []
    var orders = 0
    var ordersDenied = 0
    var fills = 0
    var missingSignals: [String] = []
    /// For a crash: the terminating signal, the callback it was in and the last event.
    var crash: Crash?

    struct Crash: Codable {
        var signal: Int32
        var signalName: String
        var callback: String?
        var instance: String?
        var lastEvent: String?
        var callbacksEntered: UInt64?
    }
}

/// `host plugins check FILE.so`: loads and validates a plugin, drives it with a short simulated,
/// scripted or recorded feed in a child process, and reports what it emitted, its callback times
/// and any error or crash. Exit 0 only when it loaded, ran without a callback error and emitted
/// every expected signal.
struct CheckPlugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load, validate and run a plugin on a short feed in a child process; report its signals, orders, callback times, errors or crash.",
        discussion: "Exit codes: 0 passed; 1 a callback failed, it crashed or an expected signal was missing; 65 invalid configuration; 66 not found; 67 refused; 68 bad --data/--script.")

    @OptionGroup var options: CheckOptions

    @Option(name: .long, help: "Seconds before the child is killed (a plugin that hangs fails the check).")
    var timeout: Double = 120

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let progress = scratch.appendingPathComponent("progress").path
        let result = scratch.appendingPathComponent("result.json").path

        var arguments = ["plugins", "check-child", options.plugin, "--progress", progress, "--result", result,
                         "--events", String(options.events), "--seed", String(options.seed)]
        if let data = options.data { arguments += ["--data", data] }
        if let script = options.script { arguments += ["--script", script] }
        if let config = options.config { arguments += ["--config", config] }
        for name in options.expectSignal { arguments += ["--expect-signal", name] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: HostExecutable.path)
        process.arguments = arguments
        // The Swift runtime's crash backtracer would spend seconds symbolicating a plugin's
        // crash; the parent reports it from the probe's record instead.
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderrData = Mutex(Data())
        let reader = Thread { stderrData.withLock { $0 = errors.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                process.terminate()
                Thread.sleep(forTimeInterval: 1)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.waitUntilExit()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        let childErrors = String(decoding: stderrData.withLock { $0 }, as: UTF8.self)

        var report: CheckReport
        if let data = FileManager.default.contents(atPath: result), let decoded = try? JSONDecoder().decode(CheckReport.self, from: data) {
            report = decoded
        } else {
            report = CheckReport(plugin: options.plugin)
        }
        var exit = process.terminationStatus
        if process.terminationReason == .uncaughtSignal || timedOut {
            let symbols = (try? String(contentsOfFile: progress + ".symbols", encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
            let last = CallbackProbe.read(progressFile: progress, symbolNames: symbols)
            let signal = timedOut ? SIGKILL : process.terminationStatus
            report.ok = false
            report.failedAt = timedOut ? "timeout" : "crash"
            report.crash = CheckReport.Crash(signal: signal, signalName: Self.signalName(signal), callback: last?.callback, instance: last?.instance,
                                             lastEvent: last?.event, callbacksEntered: last?.callbacksEntered)
            if timedOut {
                report.problem = "the plugin did not finish within \(Int(timeout)) s\(last.map { " — it was in \($0.callback) of instance '\($0.instance)'\($0.event.map { " on the \($0)" } ?? "")" } ?? "")"
                report.fix = "a callback must return quickly: no blocking I/O, sleeping or waiting on other threads on the engine thread (docs/PLUGINS.md \"Never\")"
            } else {
                report.problem = "the plugin crashed with \(Self.signalName(signal))\(last.map { " in \($0.callback) of instance '\($0.instance)'\($0.event.map { ", handling the \($0)" } ?? "")" } ?? " before any callback (in its library constructor or tsh_plugin_entry)")"
                let replayArguments = arguments.map { $0 == progress ? "/tmp/tsh-check.progress" : $0 == result ? "/tmp/tsh-check.json" : $0 }
                report.fix = "run the same check under a debugger (gdb --args \(HostExecutable.path) \(replayArguments.joined(separator: " "))) and look at that callback; the host survives such a crash only here, not in a run"
            }
            exit = 1
        } else if report.failedAt == nil && !report.ok && report.problem == nil {
            report.failedAt = "run"
            report.problem = childErrors.isEmpty ? "the check's child process failed with exit code \(exit)" : childErrors.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.text(report))
        }
        if !report.ok { throw ExitCode(exit == 0 ? 1 : exit) }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: "SIGSEGV (segmentation fault: a bad pointer)"
        case SIGABRT: "SIGABRT (abort: an assertion, a Swift runtime trap or abort())"
        case SIGILL: "SIGILL (illegal instruction: a Swift trap such as a force-unwrapped nil or an overflow)"
        case SIGFPE: "SIGFPE (arithmetic error: an integer division by zero)"
        case SIGBUS: "SIGBUS (bus error: a misaligned or unmapped access)"
        case SIGKILL: "SIGKILL (killed)"
        case SIGTRAP: "SIGTRAP (trap: a Swift runtime failure)"
        default: "signal \(signal)"
        }
    }

    static func text(_ r: CheckReport) -> String {
        var out: [String] = []
        out.append("\(r.ok ? "PASS" : "FAIL") \(r.pluginID.map { "\($0) \(r.version ?? "")" } ?? r.plugin)\(r.kinds.isEmpty ? "" : "  kinds: \(r.kinds.joined(separator: ", "))")")
        if !r.feed.isEmpty { out.append("feed: \(r.feed), \(r.events) market events") }
        if let failedAt = r.failedAt, let problem = r.problem {
            out.append("failed at \(failedAt): \(problem)")
        }
        if let crash = r.crash {
            out.append("  signal:     \(crash.signalName)")
            out.append("  callback:   \(crash.callback ?? "none (before the first callback)")\(crash.instance.map { " of instance '\($0)'" } ?? "")")
            if let last = crash.lastEvent { out.append("  last event: \(last)") }
            if let n = crash.callbacksEntered { out.append("  callbacks entered: \(n)") }
        }
        if let fix = r.fix { out.append("fix: \(fix)") }
        for instance in r.instances {
            out.append("instance \(instance.instance) (kind \(instance.kind)): \(instance.errors) callback error\(instance.errors == 1 ? "" : "s")")
            for name in CallbackProbe.Callback.allCases.map(\.name) {
                guard let t = instance.callbacks[name], t.calls > 0 else { continue }
                let average = Double(t.totalNanos) / Double(t.calls) / 1_000
                let label = name.padding(toLength: 9, withPad: " ", startingAt: 0)
                out.append("  \(label)" + String(format: " %8d calls  avg %9.2f µs  max %9.2f µs", t.calls, average, Double(t.maxNanos) / 1_000))
            }
            for error in instance.firstErrors { out.append("  error: \(error)") }
        }
        if r.pluginID != nil && (r.failedAt == nil || r.failedAt == "run") {
            out.append("signals: \(r.signals.reduce(0) { $0 + $1.count })")
            for s in r.signals { out.append("  \(s.name) ×\(s.count)   first: \(s.first)") }
            out.append("orders: \(r.orders) (\(r.ordersDenied) denied), fills: \(r.fills)")
        }
        if !r.missingSignals.isEmpty { out.append("missing expected signals: \(r.missingSignals.joined(separator: ", "))") }
        return out.joined(separator: "\n")
    }
}

/// The hidden child of `host plugins check`: runs the plugin and writes the report.
struct CheckPluginChild: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-child", abstract: "Internal: the child process of `host plugins check`.",
                                                    shouldDisplay: false)

    @OptionGroup var options: CheckOptions

    @Option(name: .long) var progress: String
    @Option(name: .long) var result: String

    func run() throws {
        HostLogging.configure(level: .critical, json: false)
        var report = CheckReport(plugin: options.plugin)
        let outcome = Result { () throws(HostFailure) -> HostExit in try execute(&report) }
        var exit = HostExit.ok
        switch outcome {
        case .success(let code): exit = code
        case .failure(let failure):
            report.ok = false
            if report.failedAt == nil { report.failedAt = "configuration" }
            let lines = failure.message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            report.problem = lines.filter { !$0.hasPrefix("fix: ") }.joined(separator: "\n")
                .replacingOccurrences(of: "error: ", with: "", options: .anchored)
            report.fix = lines.first { $0.hasPrefix("fix: ") }.map { String($0.dropFirst(5)) }
            exit = failure.exit
        }
        let encoder = JSONEncoder()
        try encoder.encode(report).write(to: URL(fileURLWithPath: result))
        if exit != .ok { throw ExitCode(exit.rawValue) }
    }

    private func execute(_ report: inout CheckReport) throws(HostFailure) -> HostExit {
        // 1. Load and validate (the ELF checks, the Swift toolchain, the whole manifest).
        let registry = PluginRegistry()
        let loader = registry.loader
        let plugin: LoadedPlugin
        do {
            plugin = try registry.load(path: loader.locator.locate(options.plugin))
        } catch {
            report.failedAt = "load"
            report.problem = error.description.split(separator: "\n").filter { !$0.hasPrefix("fix: ") }.joined(separator: "\n")
            report.fix = error.fix
            return error.code == .notFound ? .pluginNotFound : .pluginRejected
        }
        report.pluginID = plugin.pluginID
        report.version = plugin.info.version
        report.kinds = plugin.info.kinds.map(\.id)
        report.plugin = plugin.path

        // 2. The feed's symbols and the configuration.
        var script: MarketScriptFile?
        var dataSet: TardisDataSet?
        var feedSymbols: [String] = []
        if let path = options.script {
            do { script = try MarketScriptFile.load(path) } catch {
                throw HostFailure(exit: .invalidData, message: "error: \(error)")
            }
            feedSymbols = script!.symbols
            report.feed = "script \(path)"
        } else if let directory = options.data {
            do { dataSet = try TardisDataSet(directory: directory, options: TardisOptions()) } catch {
                throw HostFailure(exit: .invalidData, message: "error: \(error)")
            }
            feedSymbols = dataSet!.symbols.instruments.map(\.symbol)
            report.feed = "recorded data \(directory)"
        } else {
            report.feed = "simulated (seed \(options.seed))"
        }
        var configuration: StrategyConfig
        if let path = options.config {
            configuration = try SessionAssembly.configuration(configPath: path, strategy: nil, registry: registry, checkFeedSymbols: false)
            let mine = configuration.instances.filter { instance in
                (try? loader.locator.locate(instance.plugin)).map { Self.samePath($0, plugin.path) } ?? false
                    || instance.plugin == options.plugin || Self.stem(instance.plugin) == Self.stem(plugin.path)
            }
            let names = configuration.instances.map(\.plugin)
            configuration.instances = mine.map { instance in
                var copy = instance
                copy.plugin = plugin.path
                return copy
            }
            guard !configuration.instances.isEmpty else {
                throw HostFailure(exit: .invalidConfig, message: """
                    error: \(path) has no instance of \(plugin.path) (its instances use \(names.joined(separator: ", ")))
                    fix: name the plugin in an instance's `plugin:` (by name, lib name or path), or leave --config out to check every kind with its defaults
                    """)
            }
        } else {
            configuration = StrategyConfigLoader.defaults(pluginPath: plugin.path, kindIDs: plugin.info.kinds.map(\.id),
                                                          symbols: feedSymbols.isEmpty ? FeedSettings.defaults.symbols : feedSymbols)
        }
        if let dataSet {
            SessionAssembly.useData(dataSet.symbols.instruments, in: &configuration)
        } else if !feedSymbols.isEmpty {
            configuration.feed.symbols = feedSymbols
        }
        configuration.instances = configuration.instances.map { $0.expandingEveryFeedSymbol(configuration.feed.symbols) }
        for instance in configuration.instances {
            let missing = instance.symbols.filter { !configuration.feed.symbols.contains($0) }
            if !missing.isEmpty {
                throw HostFailure(exit: .invalidConfig, message: "error: instance '\(instance.id)' trades \(missing.joined(separator: ", ")), which the feed does not have (it has \(configuration.feed.symbols.joined(separator: ", ")))\nfix: change the instance's symbols, or use a script or data with those symbols")
            }
        }
        let assembly = try SessionAssembly(config: configuration, registry: registry)
        let names = assembly.symbols.instruments.map(\.symbol)
        CallbackProbe.setSymbolNames(names)
        try? names.joined(separator: "\n").write(toFile: progress + ".symbols", atomically: false, encoding: .utf8)
        do { try CallbackProbe.attach(progressFile: progress) } catch {
            throw HostFailure(exit: .storageFailure, message: "error: cannot write the progress file \(progress): \(error)")
        }

        // 3. The engine, every instance's callbacks behind the probe.
        let journal = RecordingJournal()
        var engineConfiguration = EngineConfiguration(paperVenue: assembly.paperVenue)
        engineConfiguration.barSettle = SessionAssembly.barSettle(configuration)
        let engine = Engine(symbols: assembly.symbols, configuration: engineConfiguration, clock: SimulatedClock(start: 0), journal: journal,
                            logger: Logger(label: "tsh.check"))
        var kindOfInstance: [String: String] = [:]
        do {
            if let script, script.lines.contains(where: { if case .signal = $0 { true } else { false } }) {
                let pending = script.lines.compactMap { line -> ScriptSignalSource.Pending? in
                    guard case .signal(let ms, let symbol, let name, let direction, let value, let confidence) = line,
                          let id = assembly.symbols.id(of: symbol) else { return nil }
                    return ScriptSignalSource.Pending(time: ms * 1_000_000, symbol: id, name: name, direction: direction, value: value, confidence: confidence)
                }
                _ = try engine.addInstance(InstanceSpec(
                    id: ScriptSignalSource.instanceID, pluginID: ScriptSignalSource.pluginID, kind: ScriptSignalSource.kind,
                    descriptor: ScriptSignalSource.descriptor(signals: pending), mode: .paper, venue: "script",
                    symbols: script.symbols.compactMap { assembly.symbols.id(of: $0) },
                    parameters: ResolvedParameters(specs: [], symbolCount: names.count), risk: RiskLimits(), keepAlive: nil))
            }
            for var spec in assembly.specs {
                spec.descriptor = CallbackProbe.wrap(spec.descriptor)
                kindOfInstance[spec.id] = spec.kind.id
                _ = try engine.addInstance(spec)
            }
        } catch {
            throw HostFailure(exit: .runtimeFailure, message: "error: \(error)")
        }
        func collect() {
            report.instances = CallbackProbe.reports.map {
                CheckReport.Instance(instance: $0.instance, kind: kindOfInstance[$0.instance] ?? "", callbacks: $0.timings, errors: $0.errors,
                                     firstErrors: $0.firstErrors)
            }
        }
        do {
            try engine.start()
        } catch {
            collect()
            report.failedAt = error.code == .createFailed ? "create" : "start"
            report.problem = error.description
            report.fix = error.code == .createFailed
                ? "fix what the plugin's message says (create runs before any market data: parameters, memory, saved state); return an error from create only when the instance cannot run at all"
                : "fix what the plugin's message says; start runs once before market data and must return TSH_OK for the run to begin"
            return .runtimeFailure
        }

        // 4. The feed.
        var fed = 0
        if let script {
            for line in script.lines {
                guard let id = assembly.symbols.id(of: line.symbol) else { continue }
                switch line {
                case .quote(let ms, _, let bid, let ask, let size):
                    engine.process(.market(.quote(QuoteTick(symbol: id, tsEvent: ms * 1_000_000, tsRecv: ms * 1_000_000, bidPrice: bid, bidSize: size,
                                                            askPrice: ask, askSize: size))))
                case .trade(let ms, _, let price, let size, let aggressor):
                    engine.process(.market(.trade(TradeTick(symbol: id, tsEvent: ms * 1_000_000, tsRecv: ms * 1_000_000, price: price, size: size,
                                                            aggressor: aggressor))))
                case .signal:
                    continue // published by ScriptSignalSource at the next market event
                }
                fed += 1
            }
        } else if let dataSet {
            var replay = dataSet.replay()
            while fed < options.events, let event = replay.next() {
                engine.process(.market(event))
                fed += 1
            }
            if let failure = replay.failure {
                throw HostFailure(exit: .invalidData, message: "error: \(failure)")
            }
        } else {
            var market = assembly.simulatedMarket(eventsOverride: options.events, seedOverride: options.seed, startTime: 1_704_067_200_000_000_000)
            while let event = market.next() {
                engine.process(.market(event))
                fed += 1
            }
        }
        report.events = fed
        engine.requestStop()
        engine.run()
        collect()

        // 5. What it emitted.
        let recorded = journal.recorded
        var signals: [String: CheckReport.Signal] = [:]
        var order: [String] = []
        for signal in recorded.signals where signal.sourceInstanceID != ScriptSignalSource.instanceID {
            if signals[signal.name] == nil {
                order.append(signal.name)
                let first = "\(signal.symbol ?? "-") at \(signal.time) ns, direction \(signal.direction), value \(signal.value), confidence \(signal.confidence)"
                signals[signal.name] = CheckReport.Signal(name: signal.name, count: 0, first: first)
            }
            signals[signal.name]!.count += 1
        }
        report.signals = order.map { signals[$0]! }
        report.orders = recorded.orders.count
        report.ordersDenied = recorded.updates.filter { $0.status == .denied }.count
        report.fills = recorded.fills.count
        report.missingSignals = options.expectSignal.filter { signals[$0] == nil }
        let errors = report.instances.reduce(0) { $0 + $1.errors }
        report.ok = errors == 0 && report.missingSignals.isEmpty
        if errors > 0 {
            report.failedAt = "run"
            report.problem = "\(errors) callback\(errors == 1 ? "" : "s") returned an error (the host logs and counts each, and keeps delivering events)"
            report.fix = "return TSH_OK from callbacks unless something is really wrong; the first errors are listed per instance"
        } else if !report.missingSignals.isEmpty {
            report.failedAt = "run"
            report.problem = "expected signal\(report.missingSignals.count == 1 ? "" : "s") not emitted: \(report.missingSignals.joined(separator: ", "))"
            report.fix = "check the feed reaches the plugin's conditions (parameters in --config, the script's prices) and the signal's name"
        }
        return report.ok ? .ok : .runtimeFailure
    }

    /// A plugin file's name without folder, `lib` prefix and `.so` suffix: `my_trigger` for
    /// `plugins/libmy_trigger.so`, so a configuration naming the plugin matches the checked file.
    static func stem(_ path: String) -> String {
        var name = URL(fileURLWithPath: path).lastPathComponent
        if name.hasSuffix(".so") { name.removeLast(3) }
        if name.hasPrefix("lib") { name.removeFirst(3) }
        return name
    }

    static func samePath(_ a: String, _ b: String) -> Bool {
        (a as NSString).resolvingSymlinksInPath == (b as NSString).resolvingSymlinksInPath
    }
}
