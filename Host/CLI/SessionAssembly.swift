import Foundation
import Binance
import Bybit
import HostConfig
import HostCore
import HostEngine
import HostExecution
import HostFeeds
import HostPersistence
import HostPlugins
import Logging

/// Turns a configuration into loaded plugins, a symbol table and engine instance specs —
/// every check that can fail happens here, before any plugin code runs.
struct SessionAssembly {
    var config: StrategyConfig
    var plugins: [LoadedPlugin] = []
    var symbols = SymbolTable()
    var specs: [InstanceSpec] = []

    /// FNV-1a 64 of a plugin file's bytes (recorded per session; replays compare it).
    static func fileHash(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return data.withUnsafeBytes { StrategyConfigLoader.fnv1a($0.bindMemory(to: UInt8.self)) }
    }

    /// The session manifest's plugin list. The file hash is the fingerprint the loader took of
    /// the bytes it validated — the same FNV-1a 64 of the whole file, in the same 16 hex digits,
    /// as `fileHash(_:)` (which replays compare it with): reading and hashing each plugin file a
    /// second time cost a backtest ~3 ms a plugin at its start.
    var sessionPlugins: [SessionPlugin] {
        plugins.map { SessionPlugin(pluginID: $0.pluginID, version: $0.info.version, path: $0.path,
                                    fileFingerprint: $0.info.fileFingerprint, fileHash: $0.info.fileFingerprint) }
    }

    /// Where `host --strategy X.so` looks for a configuration first.
    static func defaultConfigPath(forStrategy strategy: String, in directory: String) -> String {
        var name = URL(fileURLWithPath: strategy).lastPathComponent
        if name.hasSuffix(".so") { name.removeLast(3) }
        if name.hasPrefix("lib") { name.removeFirst(3) }
        return URL(fileURLWithPath: directory).appendingPathComponent("strategies/\(name).yaml").path
    }

    /// Reads the configuration: `--config`, else `strategies/<name>.yaml` for
    /// `--strategy`, else the plugin's declared defaults.
    static func configuration(configPath: String?, strategy: String?, registry: PluginRegistry,
                              checkFeedSymbols: Bool = true) throws(HostFailure) -> StrategyConfig {
        if let configPath { return try load(configPath, checkFeedSymbols: checkFeedSymbols) }
        guard let strategy else {
            throw HostFailure(exit: .usage, message: "error: nothing to run.\nfix: pass --strategy <plugin.so> or --config <file.yaml> (see `host --help`)")
        }
        let candidate = defaultConfigPath(forStrategy: strategy, in: FileManager.default.currentDirectoryPath)
        if FileManager.default.fileExists(atPath: candidate) { return try load(candidate, checkFeedSymbols: checkFeedSymbols) }
        let plugin = try loadPlugin(strategy, registry: registry)
        return StrategyConfigLoader.defaults(pluginPath: strategy, kindIDs: plugin.info.kinds.map(\.id), symbols: FeedSettings.defaults.symbols)
    }

    private static func load(_ path: String, checkFeedSymbols: Bool) throws(HostFailure) -> StrategyConfig {
        do {
            return try StrategyConfigLoader.load(file: path, checkFeedSymbols: checkFeedSymbols)
        } catch {
            // Every problem at once: the file's own, and those of the plugin parameters of the
            // instances that could be read.
            let problems = error.problems + (error.partial.map(parameterProblems) ?? [])
            throw HostFailure(exit: .invalidConfig, message: "error: invalid configuration\n\(ConfigError(problems: ConfigError.sorted(problems)))")
        }
    }

    /// The parameter problems of every instance whose plugin loads (a plugin that does not load
    /// is reported when the configuration is otherwise valid).
    static func parameterProblems(_ config: StrategyConfig) -> [ConfigProblem] {
        let registry = PluginRegistry()
        var problems: [ConfigProblem] = []
        for (index, instance) in config.instances.enumerated() {
            guard let path = try? registry.loader.locator.locate(instance.plugin), let plugin = try? registry.load(path: path) else { continue }
            let kinds = plugin.info.kinds
            guard let kind = instance.kind.flatMap({ plugin.kind($0) }) ?? (kinds.count == 1 ? kinds[0] : nil) else {
                if let wanted = instance.kind {
                    problems.append(ConfigProblem(file: config.file, line: instance.line, keyPath: "instances[\(index)].kind",
                                                  message: "plugin \(plugin.pluginID) has no kind '\(wanted)'; it offers: \(kinds.map(\.id).joined(separator: ", "))"))
                }
                continue
            }
            do { _ = try instance.resolveParameters(kind: kind, file: config.file) } catch { problems += error.problems }
        }
        return problems
    }

    static func loadPlugin(_ name: String, registry: PluginRegistry) throws(HostFailure) -> LoadedPlugin {
        do {
            let path = try registry.loader.locator.locate(name)
            return try registry.load(path: path)
        } catch {
            throw HostFailure(exit: error.code == .notFound ? .pluginNotFound : .pluginRejected, message: "error: \(error)")
        }
    }

    /// Loads every plugin, resolves kinds and parameters, registers instruments.
    init(config original: StrategyConfig, registry: PluginRegistry) throws(HostFailure) {
        var config = original
        config.instances = config.instances.map { $0.expandingEveryFeedSymbol(config.feed.symbols) }
        self.config = config
        var problems: [ConfigProblem] = []
        var resolved: [(InstanceConfig, LoadedPlugin, KindSpec, ResolvedParameters)] = []
        for (index, instance) in config.instances.enumerated() {
            let plugin = try Self.loadPlugin(instance.plugin, registry: registry)
            if !plugins.contains(where: { $0 === plugin }) { plugins.append(plugin) }
            let kinds = plugin.info.kinds
            let kind: KindSpec
            if let wanted = instance.kind {
                guard let found = plugin.kind(wanted) else {
                    problems.append(ConfigProblem(file: config.file, line: instance.line, keyPath: "instances[\(index)].kind",
                                                  message: "plugin \(plugin.pluginID) has no kind '\(wanted)'; it offers: \(kinds.map(\.id).joined(separator: ", "))"))
                    continue
                }
                kind = found
            } else if kinds.count == 1 {
                kind = kinds[0]
            } else {
                problems.append(ConfigProblem(file: config.file, line: instance.line, keyPath: "instances[\(index)].kind",
                                              message: "plugin \(plugin.pluginID) offers several kinds; name one with `kind:` — one of \(kinds.map(\.id).joined(separator: ", "))"))
                continue
            }
            do {
                resolved.append((instance, plugin, kind, try instance.resolveParameters(kind: kind, file: config.file)))
            } catch {
                problems += error.problems
            }
        }
        guard problems.isEmpty else {
            throw HostFailure(exit: .invalidConfig, message: "error: invalid configuration\n\(ConfigError(problems: problems))")
        }
        // Symbols: the feed's first (stable ids), then any an instance adds.
        var names = config.feed.symbols
        for instance in config.instances { for symbol in instance.symbols where !names.contains(symbol) { names.append(symbol) } }
        for name in names { symbols.register(Self.instrument(name, settings: config.instruments[name], feed: config.feed)) }
        for (instance, plugin, kind, parameters) in resolved {
            let ids = instance.symbols.compactMap {
                symbols.id(venue: Self.instrument($0, settings: config.instruments[$0], feed: config.feed).venue, symbol: $0)
            }
            var spec = InstanceSpec(
                id: instance.id, pluginID: plugin.pluginID, kind: kind, descriptor: plugin.kindDescriptor(kind.id)!,
                mode: instance.mode, venue: instance.venue, symbols: ids, parameters: parameters, risk: instance.risk, keepAlive: plugin)
            spec.bars = instance.bars
            specs.append(spec)
        }
    }

    static func instrument(_ symbol: String, settings: InstrumentSettings?, feed: FeedSettings? = nil) -> Instrument {
        var instrument = Instrument.generic(symbol: symbol, venue: settings?.venue ?? "simulated")
        if let feed, feed.source == .updown || feed.source == .polymarket {
            let windows = feed.source == .updown ? [feed.windowMinutes] : feed.durations.compactMap { FeedSettings.durationMinutes[$0] }
            for minutes in windows {
                if let asset = feed.assets.first(where: { FeedSettings.upDownSymbols(asset: $0, windowMinutes: minutes).contains(symbol) }),
                   let known = UpDownSimulation.instruments(asset: asset, windowMinutes: minutes).first(where: { $0.symbol == symbol }) {
                    instrument = known
                    if let venue = settings?.venue { instrument.venue = venue }
                    break
                }
            }
        }
        if let settings {
            if let base = settings.base { instrument.baseAsset = base }
            if let quote = settings.quote { instrument.quoteAsset = quote }
            if let tick = settings.tickSize { instrument.tickSize = tick }
            if let lot = settings.lotSize { instrument.lotSize = lot; instrument.minSize = lot }
            if let minSize = settings.minSize { instrument.minSize = minSize }
            if let minNotional = settings.minNotional { instrument.minNotional = minNotional }
            if let minimums = settings.minimums { instrument.minimums = minimums }
        }
        return instrument
    }

    /// Keeps the feed symbols this host's shard owns (`host.shard` of `host.shards`, by
    /// rendezvous hashing) and each instance's share of them; an instance left with none is
    /// not run. Call after the feed's symbols are known (a venue's top N resolved).
    static func applyShard(_ configuration: inout StrategyConfig, logger: Logger) throws(HostFailure) {
        if (configuration.host.shard == nil) != (configuration.host.shards == nil) {
            throw HostFailure(exit: .usage, message: "error: a shard needs both its name and the group's names: --shard NAME --shards A,B (or host.shard and host.shards)")
        }
        guard let shard = configuration.host.shard, let names = configuration.host.shards else { return }
        let map: ShardMap
        do { map = try ShardMap(shards: names) } catch {
            throw HostFailure(exit: .invalidConfig, message: "error: \(configuration.file): host.shards: \(error)")
        }
        guard names.contains(shard) else {
            throw HostFailure(exit: .invalidConfig, message: "error: \(configuration.file): host.shard '\(shard)' is not one of host.shards \(names.joined(separator: ","))")
        }
        let all = configuration.feed.symbols
        let mine = map.symbols(of: shard, among: all)
        guard !mine.isEmpty else {
            throw HostFailure(exit: .invalidConfig, message: """
                error: \(configuration.file): shard '\(shard)' of \(names.count) owns none of the feed's \(all.count) symbols
                fix: give the feed more symbols, or run fewer shards
                """)
        }
        let owned = Set(mine)
        configuration.feed.symbols = mine
        configuration.instances = configuration.instances.compactMap { instance in
            var copy = instance
            guard instance.symbols != [InstanceConfig.everyFeedSymbol] else {
                copy.overrides = instance.overrides.filter { owned.contains($0.key) }
                return copy
            }
            copy.symbols = instance.symbols.filter(owned.contains)
            copy.overrides = instance.overrides.filter { owned.contains($0.key) }
            if copy.symbols.isEmpty {
                logger.notice("Instance not run on this shard: none of its symbols is this shard's", metadata: ["instance.id": "\(instance.id)", "shard": "\(shard)"])
                return nil
            }
            return copy
        }
        logger.notice("Shard \(shard) of \(names.joined(separator: ",")): \(mine.count) of \(all.count) symbols", metadata: ["symbols": "\(mine.joined(separator: ","))"])
    }

    /// Takes the data directory's writer lock (one host per directory, held while the returned
    /// lock lives), opens the database, and marks sessions that never ended (a killed host) as
    /// ended abnormally.
    static func openWriter(_ host: HostSettings, symbols: SymbolTable, recordTables: [RecordTableDeclaration] = []) throws(HostFailure)
        -> (DataDirectoryLock, SQLiteJournal)
    {
        let (lock, journal) = try openStore(host)
        try prepare(journal, symbols: symbols, recordTables: recordTables)
        return (lock, journal)
    }

    /// The data directory's lock and its database, migrated, with the sessions an earlier host
    /// never ended closed: the part of `openWriter` that needs no plugin.
    static func openStore(_ host: HostSettings) throws(HostFailure) -> (DataDirectoryLock, SQLiteJournal) {
        let path = URL(fileURLWithPath: host.dataDirectory).appendingPathComponent("host.sqlite").path
        do {
            let lock = try DataDirectoryLock.acquire(dataDirectory: host.dataDirectory)
            let journal = try SQLiteJournal(path: path, logger: Logger(label: "tsh.persistence"), maxPendingRows: host.writerMaxPendingRows)
            for id in try journal.closeAbandonedSessions() {
                Logger(label: "tsh.persistence").warning("An earlier session never ended (its host was killed?): marked as ended abnormally",
                                                         metadata: ["session.id": "\(id)"])
            }
            return (lock, journal)
        } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
    }

    /// The rest of `openWriter`: the session's symbols and the instances' record tables.
    static func prepare(_ journal: SQLiteJournal, symbols: SymbolTable, recordTables: [RecordTableDeclaration]) throws(HostFailure) {
        journal.setSymbols(symbols)
        do {
            try journal.declareRecordTables(recordTables, at: WallClock().now())
        } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
    }

    /// `openStore` on a thread of its own, so that opening (and, for a new directory, creating
    /// and migrating) the database overlaps the caller's loading of plugins (a smart-candle
    /// backtest's median setup 34.0 → 28.2 ms in 12 + 12 alternating runs). `finish` or
    /// `abandon` must be called once.
    final class PendingWriter: @unchecked Sendable {
        // @unchecked: `result` is written by the opening thread before `done` is signalled and
        // read by the caller only after waiting for it.
        private let done = DispatchSemaphore(value: 0)
        private var result: Result<(DataDirectoryLock, SQLiteJournal), HostFailure>?

        init(_ host: HostSettings) {
            let thread = Thread { [self] in
                result = Result { () throws(HostFailure) in try SessionAssembly.openStore(host) }
                done.signal()
            }
            thread.name = "tsh.open-store"
            thread.start()
        }

        /// Waits for the store and prepares it for the session (see `prepare`).
        func finish(symbols: SymbolTable, recordTables: [RecordTableDeclaration]) throws(HostFailure) -> (DataDirectoryLock, SQLiteJournal) {
            done.wait()
            let (lock, journal) = try result!.get()
            do {
                try SessionAssembly.prepare(journal, symbols: symbols, recordTables: recordTables)
            } catch {
                journal.close()
                throw error
            }
            return (lock, journal)
        }

        /// Waits for the store and closes it unused: the setup failed elsewhere.
        func abandon() {
            done.wait()
            if case .success(let (lock, journal)) = result {
                journal.close()
                withExtendedLifetime(lock) {}
            }
        }
    }

    /// The record tables (`tsh.records/1`) of the configured instances' kinds.
    var recordTables: [RecordTableDeclaration] {
        specs.flatMap { spec in spec.kind.recordTables.map { RecordTableDeclaration(table: $0, pluginID: spec.pluginID, kindID: spec.kind.id) } }
    }

    /// The paper venue the configuration asks for (Polymarket's fee curve with the up/down feed
    /// unless configured otherwise).
    var paperVenue: PaperVenueConfig {
        let host = config.host
        let model = host.paperFeeModel ?? (config.feed.source == .updown || config.feed.source == .polymarket ? "polymarket" : "notional")
        // The venue's own schedule when trading on its live data, else 0.1 % taker, 0 maker.
        let venueFees: (taker: Decimal, maker: Decimal) = switch config.feed.source {
        case .binance: Binance.spotFees
        case .bybit: (Bybit.Category(rawValue: config.feed.category) ?? .spot).fees
        default: (Decimal(string: "0.001")!, 0)
        }
        let fees: FeeModel = switch model {
        case "polymarket": .polymarket(rate: host.paperTakerFee ?? Decimal(string: "0.07")!)
        case "none": .none
        default: .notional(taker: host.paperTakerFee ?? venueFees.taker, maker: host.paperMakerFee ?? venueFees.maker)
        }
        return PaperVenueConfig(feeModel: fees, latencyNs: Int64(host.paperLatencyMs) * 1_000_000)
    }

    /// The bar settling delay of a session in ns: `host.bar_settle_ms`, else 2 s on live data
    /// and 0 otherwise (backtests, simulated runs) — the same rule for a run and its replay.
    static func barSettle(_ configuration: StrategyConfig) -> Int64 {
        Int64(configuration.host.barSettleMs ?? (configuration.feed.source.isLive ? 2_000 : 0)) * 1_000_000
    }

    /// Makes a recorded instrument table the feed's symbols and instruments (replays of
    /// exchange sessions, whose instruments came from the venue at start).
    static func useInstruments(_ instruments: [Instrument], in configuration: inout StrategyConfig) {
        configuration.feed.symbols = instruments.map(\.symbol)
        for instrument in instruments {
            var settings = configuration.instruments[instrument.symbol] ?? InstrumentSettings()
            settings.venue = instrument.venue
            settings.base = instrument.baseAsset
            settings.quote = instrument.quoteAsset
            settings.tickSize = instrument.tickSize
            settings.lotSize = instrument.lotSize
            settings.minSize = instrument.minSize
            settings.minNotional = instrument.minNotional
            configuration.instruments[instrument.symbol] = settings
        }
    }

    /// Makes files of market data the feed (backtests and their replays): the feed's symbols are
    /// the data's, in the data's id order, with the data's venues unless configured.
    static func useData(_ instruments: [Instrument], in configuration: inout StrategyConfig) {
        configuration.feed.source = .tardis
        configuration.feed.symbols = instruments.map(\.symbol)
        for instrument in instruments where configuration.instruments[instrument.symbol]?.venue == nil {
            var settings = configuration.instruments[instrument.symbol] ?? InstrumentSettings()
            settings.venue = instrument.venue
            configuration.instruments[instrument.symbol] = settings
        }
    }

    /// The configured feed: the generic simulated market or the up/down windows.
    func feed(eventsOverride: Int?, seedOverride: UInt64?, startTime: Int64) -> any MarketEventSource {
        guard config.feed.source == .updown else {
            return simulatedMarket(eventsOverride: eventsOverride, seedOverride: seedOverride, startTime: startTime)
        }
        let feed = config.feed
        let series = feed.assets.compactMap { asset -> UpDownSimulation.Series? in
            let names = FeedSettings.upDownSymbols(asset: asset, windowMinutes: feed.windowMinutes)
            let ids = names.compactMap { symbols.id(of: $0) }
            guard ids.count == 3 else { return nil }
            return UpDownSimulation.Series(asset: asset, up: ids[0], down: ids[1], oracle: ids[2],
                                           startPrice: feed.startPrices[asset] ?? UpDownSimulation.defaultStartPrice(asset: asset),
                                           volatility: UpDownSimulation.defaultVolatility(asset: asset))
        }
        let start = feed.startTime.map { $0 * 1_000_000_000 } ?? startTime
        return UpDownSimulation(configuration: UpDownSimulation.Configuration(
            seed: seedOverride ?? feed.seed, series: series, windowMinutes: feed.windowMinutes, startTime: start, windows: feed.windows,
            bookLevels: feed.bookLevels, bookInterval: Int64(feed.bookIntervalMs) * 1_000_000,
            oracleInterval: Int64(feed.oracleIntervalMs) * 1_000_000, reversalProbability: feed.reversalProbability))
    }

    /// The simulated market for the configured feed symbols.
    func simulatedMarket(eventsOverride: Int?, seedOverride: UInt64?, startTime: Int64) -> SimulatedMarket {
        let feed = config.feed
        let defaults: [String: Double] = ["BTCUSDT": 65_000, "ETHUSDT": 3_200, "SOLUSDT": 150]
        let market = feed.symbols.compactMap { name -> SimulatedMarket.Symbol? in
            let instrument = Self.instrument(name, settings: config.instruments[name])
            guard let id = symbols.id(venue: instrument.venue, symbol: name) else { return nil }
            return SimulatedMarket.Symbol(
                id: id, startPrice: feed.startPrices[name] ?? defaults[name] ?? 100,
                tickSize: NSDecimalNumber(decimal: instrument.tickSize).doubleValue,
                lotSize: NSDecimalNumber(decimal: instrument.lotSize).doubleValue)
        }
        return SimulatedMarket(symbols: market, seed: seedOverride ?? feed.seed, volatility: feed.volatility,
                               startTime: startTime, limit: eventsOverride ?? feed.events)
    }
}
