import Foundation
import HostCore
import Yams

/// Reads and validates strategy configuration files. Every problem in a file is reported in one
/// ``ConfigError``; a file with any problem yields no configuration.
public enum StrategyConfigLoader {
    /// The only `version:` this host reads.
    public static let supportedVersion = 1

    /// Reads and validates the file at `path`.
    /// - Parameter checkFeedSymbols: false when the caller supplies the market data (backtests):
    ///   instances may then name symbols the `feed:` section does not produce.
    public static func load(file path: String, checkFeedSymbols: Bool = true) throws(ConfigError) -> StrategyConfig {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(problems: [ConfigProblem(file: path, keyPath: "", message: "no such file")])
        }
        guard !isDirectory.boolValue else {
            throw ConfigError(problems: [ConfigProblem(file: path, keyPath: "", message: "is a directory, expected a YAML file")])
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(problems: [ConfigProblem(file: path, keyPath: "", message: "cannot be read: \(error.localizedDescription)")])
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ConfigError(problems: [ConfigProblem(file: path, keyPath: "", message: "is not valid UTF-8 text")])
        }
        return try parse(text, file: path, checkFeedSymbols: checkFeedSymbols)
    }

    /// Validates YAML text; `file` names it in problems.
    public static func parse(_ yaml: String, file: String, checkFeedSymbols: Bool = true) throws(ConfigError) -> StrategyConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(problems: [syntaxProblem(error, yaml: yaml, file: file)])
        }
        guard let root, !ConfigReader.isNull(root) else {
            throw ConfigError(problems: [ConfigProblem(
                file: file, keyPath: "",
                message: "the file is empty; expected a mapping with at least 'version' and 'instances'")])
        }
        var reader = ConfigReader(file: file, checkFeedSymbols: checkFeedSymbols)
        let config = reader.readConfig(root, configHash: fnv1a(yaml.utf8))
        guard reader.problems.isEmpty, var config else { throw ConfigError(problems: reader.sortedProblems, partial: config) }
        config.text = ConfigRedaction.redact(yaml, root: root)
        return config
    }

    /// A config with one instance per kind, on `symbols`, paper mode, parameters at defaults — used by
    /// `host --strategy X.so` when strategies/X.yaml does not exist.
    ///
    /// Instance ids are the kind ids (lowercased, other characters turned into `-`). The feed produces
    /// `symbols` (the default feed symbols when empty).
    public static func defaults(pluginPath: String, kindIDs: [String], symbols: [String]) -> StrategyConfig {
        let symbols = symbols.isEmpty ? FeedSettings.defaults.symbols : symbols
        var feed = FeedSettings.defaults
        feed.symbols = symbols
        var used: Set<String> = []
        let instances = kindIDs.map { kind in
            var id = instanceID(from: kind)
            var n = 2
            while used.contains(id) {
                id = "\(instanceID(from: kind))-\(n)"
                n += 1
            }
            used.insert(id)
            return InstanceConfig(id: id, plugin: pluginPath, kind: kind, symbols: symbols)
        }
        let identity = (["defaults", pluginPath] + kindIDs + ["symbols"] + symbols).joined(separator: "\n")
        return StrategyConfig(file: "<defaults for \(pluginPath)>", feed: feed, instances: instances, configHash: fnv1a(identity.utf8))
    }

    // MARK: - Helpers

    static func instanceID(from kind: String) -> String {
        let scalars = kind.lowercased().unicodeScalars.map { s -> Character in
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "_" || s == "-") ? Character(s) : "-"
        }
        var id = String(scalars)
        if id.isEmpty || id.first == "_" || id.first == "-" { id = "k" + id }
        return id
    }

    /// FNV-1a 64-bit, as 16 lowercase hex digits (config and plugin file hashes).
    public static func fnv1a(_ bytes: some Sequence<UInt8>) -> String {
        // Contiguous bytes (a plugin file's Data) are read in place: iterating Data byte by byte
        // cost a backtest several ms of its start.
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in buffer {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            return hash
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        if let contiguous {
            hash = contiguous
        } else {
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// A YAML syntax error as a problem at the position libyaml reported.
    static func syntaxProblem(_ error: any Error, yaml: String, file: String) -> ConfigProblem {
        guard let error = error as? YamlError else {
            return ConfigProblem(file: file, keyPath: "", message: "invalid YAML: \(error)")
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            return ConfigProblem(file: file, line: mark.line, column: mark.column, keyPath: "", message: message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return ConfigProblem(file: file, line: context.mark.line, column: context.mark.column, keyPath: "",
                                 message: "invalid YAML: duplicate key \(keys) in one mapping")
        case .reader(let problem, let offset, _, _):
            let (line, column) = offset.map { position(ofCharacterOffset: $0, in: yaml) } ?? (nil, nil)
            return ConfigProblem(file: file, line: line, column: column, keyPath: "", message: "invalid YAML: \(problem)")
        default:
            return ConfigProblem(file: file, keyPath: "", message: "invalid YAML: \(error)")
        }
    }

    private static func position(ofCharacterOffset offset: Int, in text: String) -> (Int?, Int?) {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}

// MARK: - The document

extension ConfigReader {
    static let topKeys = ["version", "host", "feed", "instruments", "instances"]
    static let hostKeys = ["data_dir", "metrics_port", "log_level", "queue_capacity", "book_snapshot_interval_ms",
                           "book_snapshot_depth", "book_snapshot_retention_days", "record", "recording_retention_days",
                           "paper_fee_model", "paper_taker_fee", "paper_maker_fee", "paper_latency_ms", "writer_max_pending_rows",
                           "bar_settle_ms", "redis_url", "shard", "shards", "live_gather_us",
                           "dashboard_port", "dashboard_host", "dashboard_token"]
    static let feedKeys = ["source", "seed", "symbols", "events", "speed", "start_prices", "volatility",
                           "assets", "window_minutes", "windows", "start_time", "book_levels", "book_interval_ms",
                           "oracle_interval_ms", "reversal_probability", "durations", "oracle", "lead_time_s", "grace_s",
                           "discovery_interval_s", "max_assets_per_connection", "gamma_url", "clob_url", "market_ws_url", "user_ws_url", "rtds_url",
                           "category", "top", "quote_asset", "book_depth", "trade_stream", "rest_url", "ws_url"]
    static let instrumentKeys = ["venue", "base", "quote", "tick_size", "lot_size", "min_size", "min_notional", "minimums"]
    static let instanceKeys = ["id", "plugin", "kind", "mode", "venue", "symbols", "params", "overrides", "risk", "bars", "history"]
    static let riskKeys = ["max_order_notional", "max_position", "max_position_notional", "max_open_orders",
                           "max_orders_per_second", "price_band_bps", "max_trades_per_day", "daily_loss_limit"]

    /// The whole configuration; nil when the root is unusable. Check `problems` either way.
    mutating func readConfig(_ root: Node, configHash: String) -> StrategyConfig? {
        guard case .mapping = root else {
            report(root, "", "expected a mapping at the top level (version, host, feed, instruments, instances), found \(Self.describe(root))")
            return nil
        }
        guard let top = table(root, "", allowed: Self.topKeys) else { return nil }

        if let node = required(top, "version"),
           !(Self.tag(of: node) == .int && Self.double(node) == Double(StrategyConfigLoader.supportedVersion)) {
            expected("\(StrategyConfigLoader.supportedVersion)", node, "version")
        }
        let host = top.optional("host").map { readHost($0, "host") } ?? HostSettings()
        let feed = top.optional("feed").map { readFeed($0, "feed") } ?? .defaults
        let instruments = top.optional("instruments").map { readInstruments($0, "instruments") } ?? [:]
        let instances = required(top, "instances").map { readInstances($0, "instances", feed: feed) } ?? []
        return StrategyConfig(file: file, host: host, feed: feed, instruments: instruments, instances: instances, configHash: configHash)
    }

    mutating func readHost(_ node: Node, _ path: String) -> HostSettings {
        var host = HostSettings()
        guard let t = table(node, path, allowed: Self.hostKeys) else { return host }
        if let n = t.optional("data_dir"), let v = nonEmptyString(n, t.path("data_dir")) { host.dataDirectory = v }
        if let n = t.optional("metrics_port"), let v = integer(n, t.path("metrics_port"), in: 1...65_535) { host.metricsPort = v }
        if let n = t.optional("log_level"), let v = choice(n, t.path("log_level"), HostSettings.logLevels) { host.logLevel = v }
        if let n = t.optional("queue_capacity"), let v = integer(n, t.path("queue_capacity"), in: HostSettings.queueCapacityRange) {
            host.queueCapacity = v
        }
        if let n = t.optional("book_snapshot_interval_ms"), let v = integer(n, t.path("book_snapshot_interval_ms"), in: 0...86_400_000) {
            host.bookSnapshotIntervalMs = v
        }
        if let n = t.optional("paper_fee_model"), let v = choice(n, t.path("paper_fee_model"), ["notional", "polymarket", "none"]) {
            host.paperFeeModel = v
        }
        if let n = t.optional("paper_taker_fee") { host.paperTakerFee = decimal(n, t.path("paper_taker_fee"), allowZero: true) }
        if let n = t.optional("paper_maker_fee") { host.paperMakerFee = decimal(n, t.path("paper_maker_fee"), allowZero: true) }
        if let n = t.optional("paper_latency_ms"), let v = integer(n, t.path("paper_latency_ms"), in: 0...60_000) { host.paperLatencyMs = v }
        if let n = t.optional("record"), let v = choice(n, t.path("record"), ["true", "false"]) { host.record = v == "true" }
        if let n = t.optional("recording_retention_days"), let v = integer(n, t.path("recording_retention_days"), in: 0...36_500) {
            host.recordingRetentionDays = v
        }
        if let n = t.optional("writer_max_pending_rows"), let v = integer(n, t.path("writer_max_pending_rows"), in: 1...10_000_000) {
            host.writerMaxPendingRows = v
        }
        if let n = t.optional("bar_settle_ms"), let v = integer(n, t.path("bar_settle_ms"), in: 0...3_600_000) { host.barSettleMs = v }
        if let n = t.optional("dashboard_port"), let v = integer(n, t.path("dashboard_port"), in: 1...65_535) { host.dashboardPort = v }
        if let n = t.optional("dashboard_host"), let v = nonEmptyString(n, t.path("dashboard_host")) { host.dashboardHost = v }
        if let n = t.optional("dashboard_token"), let v = nonEmptyString(n, t.path("dashboard_token")) { host.dashboardToken = v }
        if let n = t.optional("live_gather_us"), let v = integer(n, t.path("live_gather_us"), in: 0...10_000) { host.liveGatherMicros = v }
        if let n = t.optional("shard"), let v = nonEmptyString(n, t.path("shard")) { host.shard = v }
        if let n = t.optional("shards"), let v = symbols(n, t.path("shards")) {
            if let shard = host.shard, !v.contains(shard) {
                report(n, t.path("shards"), "host.shard '\(shard)' is not one of the shards \(v.joined(separator: ", "))")
            }
            host.shards = v
        }
        if (host.shard == nil) != (host.shards == nil) {
            report(node, path, "host.shard and host.shards go together: the group's shard names, and which of them this host is")
        }
        if let n = t.optional("redis_url"), let v = nonEmptyString(n, t.path("redis_url")) {
            if v.hasPrefix("redis://") { host.redisURL = v } else { report(n, t.path("redis_url"), "expected redis://[:password@]host[:port][/db], found '\(v)'") }
        }
        if let n = t.optional("book_snapshot_depth"), let v = integer(n, t.path("book_snapshot_depth"), in: 1...1_000) { host.bookSnapshotDepth = v }
        if let n = t.optional("book_snapshot_retention_days"), let v = integer(n, t.path("book_snapshot_retention_days"), in: 0...36_500) {
            host.bookSnapshotRetentionDays = v
        }
        return host
    }

    mutating func readFeed(_ node: Node, _ path: String) -> FeedSettings {
        var feed = FeedSettings.defaults
        guard let t = table(node, path, allowed: Self.feedKeys) else { return feed }
        if let n = t.optional("source"), let v = choice(n, t.path("source"), FeedSettings.sources), let source = FeedSource(rawValue: v) {
            feed.source = source
        }
        if let n = t.optional("seed"), let v = integer(n, t.path("seed"), in: 0...Int.max) { feed.seed = UInt64(v) }
        if let n = t.optional("symbols"), let v = symbols(n, t.path("symbols")) { feed.symbols = v }
        if let n = t.optional("events"), let v = integer(n, t.path("events"), in: 0...Int.max) { feed.events = v }
        if let n = t.optional("speed"), let v = number(n, t.path("speed"), expected: "a number >= 0", isValid: { $0 >= 0 }) {
            feed.speed = v
        }
        if let n = t.optional("volatility"),
           let v = number(n, t.path("volatility"), expected: "a number > 0 and <= 10", isValid: { $0 > 0 && $0 <= 10 }) {
            feed.volatility = v
        }
        if let n = t.optional("assets"), let v = symbols(n, t.path("assets")) { feed.assets = v.map { $0.uppercased() } }
        if let n = t.optional("window_minutes"), let v = integer(n, t.path("window_minutes"), in: 1...1_440) { feed.windowMinutes = v }
        if let n = t.optional("windows"), let v = integer(n, t.path("windows"), in: 0...Int(Int32.max)) { feed.windows = v }
        if let n = t.optional("start_time"), let v = integer(n, t.path("start_time"), in: 0...4_102_444_800) { feed.startTime = Int64(v) }
        if let n = t.optional("book_levels"), let v = integer(n, t.path("book_levels"), in: 1...100) { feed.bookLevels = v }
        if let n = t.optional("book_interval_ms"), let v = integer(n, t.path("book_interval_ms"), in: 1...3_600_000) { feed.bookIntervalMs = v }
        if let n = t.optional("oracle_interval_ms"), let v = integer(n, t.path("oracle_interval_ms"), in: 1...3_600_000) { feed.oracleIntervalMs = v }
        if let n = t.optional("reversal_probability"),
           let v = number(n, t.path("reversal_probability"), expected: "a number in 0...1", isValid: { (0...1).contains($0) }) {
            feed.reversalProbability = v
        }
        if let n = t.optional("durations"), let v = symbols(n, t.path("durations")) {
            for (i, d) in v.enumerated() where FeedSettings.durationMinutes[d] == nil {
                report(n, "\(t.path("durations"))[\(i)]", "'\(d)' is not an up/down duration; use one of 5m, 15m, 4h, hourly, daily")
            }
            feed.durations = v
        }
        if let n = t.optional("oracle"), let v = choice(n, t.path("oracle"), ["auto", "chainlink", "twap60"]) { feed.oracle = v }
        if let n = t.optional("lead_time_s"), let v = integer(n, t.path("lead_time_s"), in: 0...3_600) { feed.leadTimeSeconds = v }
        if let n = t.optional("grace_s"), let v = integer(n, t.path("grace_s"), in: 1...86_400) { feed.graceSeconds = v }
        if let n = t.optional("discovery_interval_s"), let v = integer(n, t.path("discovery_interval_s"), in: 1...3_600) { feed.discoveryIntervalSeconds = v }
        if let n = t.optional("max_assets_per_connection"), let v = integer(n, t.path("max_assets_per_connection"), in: 1...500) {
            feed.maxAssetsPerConnection = v
        }
        if let n = t.optional("category"), let v = choice(n, t.path("category"), ["spot", "linear"]) { feed.category = v }
        if let n = t.optional("top"), let v = integer(n, t.path("top"), in: 0...1_000) { feed.top = v }
        if let n = t.optional("quote_asset"), let v = nonEmptyString(n, t.path("quote_asset")) { feed.quoteAsset = v.uppercased() }
        if let n = t.optional("book_depth") {
            let allowed = feed.source == .bybit ? [1, 50, 200, 1_000] : [1_000, 5_000]
            if let v = integer(n, t.path("book_depth"), in: 1...5_000) {
                if allowed.contains(v) { feed.bookDepth = v } else {
                    report(n, t.path("book_depth"), "expected one of \(allowed.map(String.init).joined(separator: ", ")) for feed.source \(feed.source.rawValue), found \(v)")
                }
            }
        }
        if let n = t.optional("trade_stream"), let v = choice(n, t.path("trade_stream"), ["trade", "aggTrade"]) { feed.tradeStream = v }
        for key in ["gamma_url", "clob_url", "market_ws_url", "user_ws_url", "rtds_url", "rest_url", "ws_url"] {
            guard let n = t.optional(key), let v = string(n, t.path(key), expected: "a URL") else { continue }
            let wanted = key.hasSuffix("ws_url") || key == "rtds_url" ? ["ws://", "wss://"] : ["http://", "https://"]
            if wanted.contains(where: { v.hasPrefix($0) }) { feed.endpoints[key] = v } else {
                report(n, t.path(key), "'\(v)' must start with \(wanted.joined(separator: " or "))")
            }
        }
        if feed.source == .polymarket {
            feed.symbols = feed.assets.flatMap { asset in
                feed.durations.compactMap { FeedSettings.durationMinutes[$0] }.flatMap { FeedSettings.upDownSymbols(asset: asset, windowMinutes: $0) }
            }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        } else if feed.source == .updown {
            feed.symbols = feed.assets.flatMap { FeedSettings.upDownSymbols(asset: $0, windowMinutes: feed.windowMinutes) }
        }
        if let n = t.optional("start_prices"), let prices = table(n, t.path("start_prices"), allowed: nil) {
            for entry in prices.entries {
                let entryPath = prices.path(entry.key)
                let keys = feed.source == .updown ? feed.assets : feed.symbols
                if !keys.contains(entry.key) {
                    report(entry.keyNode, entryPath, symbolNotInListMessage(entry.key, keys, list: feed.source == .updown ? "feed.assets" : "feed.symbols"))
                }
                if let price = number(entry.value, entryPath, expected: "a number > 0", isValid: { $0 > 0 }) {
                    feed.startPrices[entry.key] = price
                }
            }
        }
        return feed
    }

    mutating func readInstruments(_ node: Node, _ path: String) -> [String: InstrumentSettings] {
        guard let t = table(node, path, allowed: nil) else { return [:] }
        var instruments: [String: InstrumentSettings] = [:]
        for entry in t.entries {
            var settings = InstrumentSettings()
            if !ConfigReader.isNull(entry.value), let s = table(entry.value, t.path(entry.key), allowed: Self.instrumentKeys) {
                if let n = s.optional("venue") { settings.venue = nonEmptyString(n, s.path("venue")) }
                if let n = s.optional("base") { settings.base = nonEmptyString(n, s.path("base")) }
                if let n = s.optional("quote") { settings.quote = nonEmptyString(n, s.path("quote")) }
                if let n = s.optional("tick_size") { settings.tickSize = decimal(n, s.path("tick_size"), allowZero: false) }
                if let n = s.optional("lot_size") { settings.lotSize = decimal(n, s.path("lot_size"), allowZero: false) }
                if let n = s.optional("min_size") { settings.minSize = decimal(n, s.path("min_size"), allowZero: false) }
                if let n = s.optional("min_notional") { settings.minNotional = decimal(n, s.path("min_notional"), allowZero: true) }
                if let n = s.optional("minimums"), let v = choice(n, s.path("minimums"), ["all", "polymarket"]) {
                    settings.minimums = Instrument.Minimums(rawValue: v)
                }
            }
            instruments[entry.key] = settings
        }
        return instruments
    }

    mutating func readInstances(_ node: Node, _ path: String, feed: FeedSettings) -> [InstanceConfig] {
        guard case .sequence(let sequence) = node else {
            expected("a non-empty list of instances", node, path)
            return []
        }
        guard !sequence.isEmpty else {
            report(node, path, "expected a non-empty list of instances, found an empty list")
            return []
        }
        var instances: [InstanceConfig] = []
        var firstLineByID: [String: Int] = [:]
        for (i, item) in sequence.enumerated() {
            guard let instance = readInstance(item, "\(path)[\(i)]", index: i, feed: feed) else { continue }
            if let first = firstLineByID[instance.id] {
                let here = instance.line.map { " and line \($0)" } ?? ""
                report(item, "\(path)[\(i)].id", "duplicate instance id '\(instance.id)' (defined at line \(first)\(here)); ids must be unique")
            } else {
                firstLineByID[instance.id] = instance.line ?? 0
            }
            instances.append(instance)
        }
        return instances
    }

    mutating func readInstance(_ node: Node, _ path: String, index: Int, feed: FeedSettings) -> InstanceConfig? {
        guard let t = table(node, path, allowed: Self.instanceKeys) else { return nil }
        let idNode = required(t, "id")
        let id = idNode.flatMap { n -> String? in
            guard let text = string(n, t.path("id")) else { return nil }
            guard text.wholeMatch(of: #/[a-z0-9][a-z0-9_-]*/#) != nil else {
                report(n, t.path("id"), "expected an id of lowercase letters, digits, '_' and '-' (starting with a letter or digit), found '\(text)'")
                return nil
            }
            return text
        }
        let plugin = required(t, "plugin").flatMap { nonEmptyString($0, t.path("plugin")) }
        let kind = t.optional("kind").flatMap { nonEmptyString($0, t.path("kind")) }
        var mode = TradingMode.paper
        if let n = t.optional("mode"), let name = choice(n, t.path("mode"), ["paper", "live"]), let m = TradingMode.configNames[name] {
            mode = m
        }
        let venue = t.optional("venue").flatMap { nonEmptyString($0, t.path("venue")) } ?? "simulated"
        let symbols = required(t, "symbols").flatMap { self.symbols($0, t.path("symbols")) }
        // `["*"]`: every symbol of the feed, known once the feed is resolved (a venue's top N,
        // a backtest's data); checked then.
        let everyFeedSymbol = symbols == [InstanceConfig.everyFeedSymbol]
        if let symbols, symbols.count > 1, symbols.contains(InstanceConfig.everyFeedSymbol), let node = t["symbols"] {
            report(node, t.path("symbols"), "'*' (every symbol of the feed) stands alone; list symbols or write [\"*\"]")
        }
        if checkFeedSymbols, !everyFeedSymbol, let symbols, let symbolsNode = t["symbols"] {
            for symbol in symbols where !feed.symbols.contains(symbol) {
                report(symbolsNode, t.path("symbols"),
                       feed.source == .updown
                           ? "symbol '\(symbol)' is not produced by the up/down feed, which makes \(feed.symbols.joined(separator: ", ")); add its asset to feed.assets or fix the name"
                           : "symbol '\(symbol)' is not produced by the feed; add it to feed.symbols (now: \(feed.symbols.joined(separator: ", ")))")
            }
        }
        let params = t.optional("params").map { readParams($0, t.path("params")) } ?? [:]
        var overrides: [String: [String: ConfigScalar]] = [:]
        if let n = t.optional("overrides"), let o = table(n, t.path("overrides"), allowed: nil) {
            for entry in o.entries {
                if let symbols, !everyFeedSymbol, !symbols.contains(entry.key) {
                    report(entry.keyNode, o.path(entry.key), symbolNotInListMessage(entry.key, symbols, list: "this instance's symbols"))
                }
                overrides[entry.key] = readParams(entry.value, o.path(entry.key))
            }
        }
        let risk = t.optional("risk").map { readRisk($0, t.path("risk")) } ?? .defaults
        let bars = t.optional("bars").map { readTimeframes($0, t.path("bars")) } ?? []
        var history: [BarTimeframe: Int] = [:]
        if let n = t.optional("history"), let h = table(n, t.path("history"), allowed: nil) {
            for entry in h.entries {
                guard let timeframe = BarTimeframe(text: entry.key) else {
                    report(entry.keyNode, h.path(entry.key), BarTimeframe.errorMessage(for: entry.key))
                    continue
                }
                if !bars.contains(timeframe) {
                    report(entry.keyNode, h.path(entry.key),
                           "history of \(timeframe) bars needs \(timeframe) in this instance's bars (now: \(bars.isEmpty ? "none" : bars.map(\.rawValue).joined(separator: ", ")))")
                }
                if let count = integer(entry.value, h.path(entry.key), in: 1...100_000) { history[timeframe] = count }
            }
        }

        guard let id, let plugin, let symbols else { return nil }
        var instance = InstanceConfig(id: id, plugin: plugin, kind: kind, mode: mode, venue: venue, symbols: symbols,
                                      params: params, overrides: overrides, risk: risk, line: node.mark?.line)
        instance.bars = bars
        instance.history = history
        instance.index = index
        return instance
    }

    /// A list of bar timeframes (`[1m, 5m]`), each once.
    mutating func readTimeframes(_ node: Node, _ path: String) -> [BarTimeframe] {
        guard case .sequence(let sequence) = node else {
            report(node, path, "expected a list of timeframes (\(BarTimeframe.validSpellings)), found \(Self.describe(node))")
            return []
        }
        var out: [BarTimeframe] = []
        for (i, item) in sequence.enumerated() {
            let itemPath = "\(path)[\(i)]"
            guard let text = string(item, itemPath) else { continue }
            guard let timeframe = BarTimeframe(text: text) else {
                report(item, itemPath, BarTimeframe.errorMessage(for: text))
                continue
            }
            if out.contains(timeframe) { report(item, itemPath, "timeframe \(timeframe) is listed twice") } else { out.append(timeframe) }
        }
        return out
    }

    /// `params` or one symbol's overrides: scalars by name; `<name>_env` values name environment variables.
    mutating func readParams(_ node: Node, _ path: String) -> [String: ConfigScalar] {
        guard let t = table(node, path, allowed: nil) else { return [:] }
        var params: [String: ConfigScalar] = [:]
        for entry in t.entries {
            let entryPath = t.path(entry.key)
            if entry.key.count > 4, entry.key.lowercased().hasSuffix("_env") {
                // The value is a variable's name, never the secret: do not echo what was found.
                guard case .scalar(let s) = entry.value, !Self.isNull(entry.value), Secrets.isEnvironmentVariableName(s.string) else {
                    report(entry.value, entryPath,
                           "expected the name of an environment variable (letters, digits and '_', e.g. BYBIT_API_KEY); the value is not shown in case it is a secret")
                    continue
                }
                params[entry.key] = ConfigScalar(text: s.string, value: .string(s.string), line: entry.value.mark?.line, column: entry.value.mark?.column)
            } else if Secrets.looksSecret(entry.key) {
                report(entry.keyNode, entryPath, Secrets.message(for: entry.key, inParams: true))
            } else if let scalar = scalar(entry.value, entryPath) {
                params[entry.key] = scalar
            }
        }
        return params
    }

    /// Starts from `RiskLimits.defaults`; a given key replaces its limit, `null` removes it.
    mutating func readRisk(_ node: Node, _ path: String) -> RiskLimits {
        var risk = RiskLimits.defaults
        guard let t = table(node, path, allowed: Self.riskKeys) else { return risk }
        func dec(_ key: String, _ reader: inout ConfigReader) -> Decimal? {
            guard let n = t.optional(key) else { return nil }
            return reader.decimal(n, t.path(key), allowZero: false)
        }
        func int(_ key: String, _ reader: inout ConfigReader) -> Int? {
            guard let n = t.optional(key) else { return nil }
            return reader.integer(n, t.path(key), in: 1...Int.max)
        }
        for entry in t.entries {
            let remove = Self.isNull(entry.value)
            switch entry.key {
            case "max_order_notional": risk.maxOrderNotional = remove ? nil : dec(entry.key, &self) ?? risk.maxOrderNotional
            case "max_position": risk.maxPosition = remove ? nil : dec(entry.key, &self) ?? risk.maxPosition
            case "max_position_notional": risk.maxPositionNotional = remove ? nil : dec(entry.key, &self) ?? risk.maxPositionNotional
            case "max_open_orders": risk.maxOpenOrders = remove ? nil : int(entry.key, &self) ?? risk.maxOpenOrders
            case "max_orders_per_second": risk.maxOrdersPerSecond = remove ? nil : int(entry.key, &self) ?? risk.maxOrdersPerSecond
            case "price_band_bps": risk.priceBandBps = remove ? nil : dec(entry.key, &self) ?? risk.priceBandBps
            case "max_trades_per_day": risk.maxTradesPerDay = remove ? nil : int(entry.key, &self) ?? risk.maxTradesPerDay
            case "daily_loss_limit": risk.dailyLossLimit = remove ? nil : dec(entry.key, &self) ?? risk.dailyLossLimit
            default: break
            }
        }
        return risk
    }

    func symbolNotInListMessage(_ symbol: String, _ symbols: [String], list: String) -> String {
        var message = "symbol '\(symbol)' is not in \(list) (\(symbols.joined(separator: ", ")))"
        if let suggestion = Suggestion.closest(to: symbol, among: symbols) { message += "; did you mean '\(suggestion)'?" }
        return message
    }
}
