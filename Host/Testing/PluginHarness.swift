import Foundation
// Re-exported: an author's test that imports HostTesting reads signals, orders, parameter values
// (HostCore) and instance statistics (HostEngine) without naming host modules.
@_exported import HostCore
@_exported import HostEngine
import HostPlugins
import Logging

/// Runs one plugin `.so` in the host's real engine, in process, for a test: market scripts in,
/// signals, orders and errors out. What plugin authors use instead of writing a host.
///
/// ```swift
/// var harness = try PluginHarness(plugin: try PluginHarness.builtLibrary(named: "my_trigger", packageRoot: root),
///                                 kind: "my_trigger", symbols: ["BTCUSDT"], parameters: ["threshold_bps": .double(5)])
/// let outcome = try harness.run(script: "test/script.csv")
/// #expect(outcome.signals.map(\.name).contains("trigger.my_trigger"))
/// ```
///
/// The engine runs on a simulated clock (event times drive it, timers fire in order), paper
/// venue, `RecordingJournal`; `signal` lines of a script are published by `ScriptSignalSource` as
/// if another plugin emitted them.
public struct PluginHarness {
    /// What one run produced.
    public struct Outcome: Sendable {
        /// Signals the plugin emitted (the script's own are left out), in order.
        public var signals: [SignalRecord]
        public var orders: [OrderRequest]
        public var orderUpdates: [OrderUpdate]
        public var fills: [FillRecord]
        /// One line per failed callback kind: the count and the last message ("3 callback errors, last: …").
        public var errors: [String]
        /// The engine's counters of the plugin's instance (callbacks, sampled times, …).
        public var statistics: InstanceStatistics?
    }

    public let plugin: LoadedPlugin
    public let kind: KindSpec
    public var symbols: [String]
    public var parameters: [String: ParameterValue]
    public var risk: RiskLimits

    /// Loads (and fully validates) the plugin at `path`; `kind` must be one of its kinds.
    /// - Throws: `PluginLoadError` for a file the host would refuse; `HarnessError` for an unknown kind.
    public init(plugin path: String, kind: String, symbols: [String], parameters: [String: ParameterValue] = [:],
                risk: RiskLimits = RiskLimits()) throws {
        plugin = try PluginLoader(logger: Logger(label: "tsh.harness", factory: { _ in SwiftLogNoOpLogHandler() })).load(path: path)
        guard let spec = plugin.kind(kind) else {
            throw HarnessError("plugin \(plugin.pluginID) has no kind '\(kind)'; it offers: \(plugin.info.kinds.map(\.id).joined(separator: ", "))")
        }
        self.kind = spec
        self.symbols = symbols
        self.parameters = parameters
        self.risk = risk
    }

    /// The library a SwiftPM package at `packageRoot` built for product `name`: the newest of
    /// `.build/{debug,release}/lib<name>.so`.
    public static func builtLibrary(named name: String, packageRoot: String) throws -> String {
        let candidates = ["debug", "release"].map { "\(packageRoot)/.build/\($0)/lib\(name).so" }
        let existing = candidates.compactMap { path -> (String, Date)? in
            guard let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else { return nil }
            return (path, date)
        }
        guard let newest = existing.max(by: { $0.1 < $1.1 }) else {
            throw HarnessError("no built library: looked for \(candidates.joined(separator: " and ")); build it first with `swift build --product \(name)`")
        }
        return newest.0
    }

    /// Runs the script in the file at `path` (see `MarketScriptFile`).
    public func run(script path: String) throws -> Outcome {
        try run(MarketScriptFile.load(path))
    }

    /// Runs `script` from a fresh engine: create, start, every event, stop, destroy.
    public func run(_ script: MarketScriptFile) throws -> Outcome {
        var table = SymbolTable()
        var ids: [String: SymbolID] = [:]
        for name in symbols + script.symbols where ids[name] == nil {
            ids[name] = table.register(Instrument.generic(symbol: name, venue: "test"))
        }
        var resolved = ResolvedParameters(specs: kind.parameters, symbolCount: symbols.count)
        for (name, value) in parameters {
            guard kind.parameter(named: name) != nil else {
                throw HarnessError("kind \(kind.id) has no parameter '\(name)'; it has: \(kind.parameters.map(\.name).joined(separator: ", "))")
            }
            resolved.set(name, value)
        }
        let journal = RecordingJournal()
        let engine = Engine(symbols: table, configuration: EngineConfiguration(), clock: SimulatedClock(), journal: journal,
                            logger: Logger(label: "tsh.harness", factory: { _ in SwiftLogNoOpLogHandler() }))
        let signals = script.lines.compactMap { line -> ScriptSignalSource.Pending? in
            guard case .signal(let ms, let symbol, let name, let direction, let value, let confidence) = line, let id = ids[symbol] else { return nil }
            return ScriptSignalSource.Pending(time: ms * 1_000_000, symbol: id, name: name, direction: direction, value: value, confidence: confidence)
        }
        if !signals.isEmpty {
            _ = try engine.addInstance(InstanceSpec(
                id: ScriptSignalSource.instanceID, pluginID: ScriptSignalSource.pluginID, kind: ScriptSignalSource.kind,
                descriptor: ScriptSignalSource.descriptor(signals: signals), mode: .paper, venue: "test",
                symbols: script.symbols.compactMap { ids[$0] }, parameters: ResolvedParameters(specs: [], symbolCount: 0),
                risk: RiskLimits(), keepAlive: nil))
        }
        let index = try engine.addInstance(InstanceSpec(
            id: kind.id, pluginID: plugin.pluginID, kind: kind, descriptor: plugin.kindDescriptor(kind.id)!, mode: .paper, venue: "test",
            symbols: symbols.compactMap { ids[$0] }, parameters: resolved, risk: risk, keepAlive: plugin))
        try engine.start()
        for line in script.lines {
            guard let id = ids[line.symbol] else { continue }
            switch line {
            case .quote(let ms, _, let bid, let ask, let size):
                let t = ms * 1_000_000
                engine.process(.market(.quote(QuoteTick(symbol: id, tsEvent: t, tsRecv: t, bidPrice: bid, bidSize: size, askPrice: ask, askSize: size))))
            case .trade(let ms, _, let price, let size, let aggressor):
                let t = ms * 1_000_000
                engine.process(.market(.trade(TradeTick(symbol: id, tsEvent: t, tsRecv: t, price: price, size: size, aggressor: aggressor))))
            case .signal:
                continue // published by ScriptSignalSource at the next market event
            }
        }
        engine.requestStop()
        engine.run()
        let recorded = journal.recorded
        let statistics = engine.snapshot().instances.first { $0.instanceID == kind.id }
        _ = index
        var errors: [String] = []
        if let statistics, statistics.callbackErrors > 0 {
            errors.append("\(statistics.callbackErrors) callback error\(statistics.callbackErrors == 1 ? "" : "s"), last: \(statistics.lastError ?? "no message")")
        }
        return Outcome(signals: recorded.signals.filter { $0.sourceInstanceID != ScriptSignalSource.instanceID }, orders: recorded.orders,
                       orderUpdates: recorded.updates, fills: recorded.fills, errors: errors, statistics: statistics)
    }
}

/// A harness used wrongly (unknown kind or parameter, library not built).
public struct HarnessError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
