import Foundation
import HostCore

/// A validated strategy configuration file (`strategies/*.yaml`). See `docs/CONFIGURATION.md`.
///
/// ## Configuration keys:
/// - `version` (int, required): must be 1.
/// - `host` (mapping, optional): see ``HostSettings``.
/// - `feed` (mapping, optional, default: the simulated feed with its defaults): see ``FeedSettings``.
/// - `instruments` (mapping symbol → venue rules, optional): see ``InstrumentSettings``.
/// - `instances` (non-empty list, required): see ``InstanceConfig``.
public struct StrategyConfig: Sendable {
    /// The path the configuration was read from, as given.
    public var file: String
    public var host: HostSettings
    public var feed: FeedSettings
    public var instruments: [String: InstrumentSettings]
    public var instances: [InstanceConfig]
    /// FNV-1a 64-bit of the file's bytes, 16 lowercase hex digits; recorded in the session manifest.
    public var configHash: String
    /// The YAML text as read with its secrets' values redacted (``ConfigRedaction``; empty for a
    /// plugin's defaults); recorded in the session manifest, so a secret never reaches the database.
    public var text: String = ""

    public init(file: String, host: HostSettings = HostSettings(), feed: FeedSettings = .defaults,
                instruments: [String: InstrumentSettings] = [:], instances: [InstanceConfig], configHash: String) {
        self.file = file
        self.host = host
        self.feed = feed
        self.instruments = instruments
        self.instances = instances
        self.configHash = configHash
    }
}

/// Process-wide settings.
///
/// ## Configuration keys (under `host:`):
/// - `data_dir` (string, optional, default `./data`): where the database and recordings live.
/// - `metrics_port` (int 1...65535, optional, default none): port of the `/metrics` endpoint; absent = no endpoint.
/// - `log_level` (trace|debug|info|notice|warning|error|critical, optional, default `info`).
/// - `queue_capacity` (int 1024...16777216, optional, default 65536): inbound event queue size.
/// - `book_snapshot_interval_ms` (int >= 0, default 1000 for runs, 0 for backtests): per-symbol
///   book snapshots to the database every this much engine time (0 = none). A backtest's data
///   are already files, so it stores snapshots only when this is set.
/// - `book_snapshot_depth` (int 1...1000, default 10): levels per side in a snapshot.
/// - `book_snapshot_retention_days` (int >= 0, default 7): snapshots older than this (by engine
///   time) are deleted when a run starts (0 = keep all).
/// - `paper_fee_model` (`notional`, `polymarket` or `none`; default `polymarket` with the
///   `updown` feed, else `notional`): how the paper venue charges fills.
/// - `paper_taker_fee` (decimal, default 0.001 notional / 0.07 polymarket) and
///   `paper_maker_fee` (decimal, default 0): rates; polymarket charges takers
///   size × rate × p × (1 − p).
/// - `paper_latency_ms` (int >= 0, default 0): simulated submission latency of the paper venue.
/// - `record` (bool, default true): record every input of the session for `host replay`
///   (backtests record the data files they read — paths, sizes, XXH3 digests, filters).
/// - `writer_max_pending_rows` (int 1...10000000, default 100000): rows the persistence writer
///   may have uncommitted. Beyond it a live session halts trading (a recorded input) and a
///   simulated one (backtest, replay, simulated feed) waits for the writer.
/// - `recording_retention_days` (int >= 0, default 30): recorded inputs of sessions that
///   started longer ago are deleted when a run starts (0 = keep all).
/// - `bar_settle_ms` (int 0…3,600,000, optional): a bar is final once the clock passes its end
///   plus this delay; default 0 in backtests and simulated runs, 2000 on live data.
/// - `live_gather_us` (int 0…10,000, default 0): on live data, how long the engine thread
///   gathers inputs after a busy batch before taking the next (fewer wake-ups; adds at most this
///   much latency to an input arriving meanwhile). 0 = wake for every input.
/// - `shards` (list of unique names, optional) and `shard` (one of them): this host runs only
///   the feed symbols its shard owns by rendezvous hashing over `shards` (`ShardMap`); every
///   process of the group computes the same split.
/// - `redis_url` (string `redis://[:password@]host[:port][/db]`, optional, default none): `host run`
///   publishes each symbol's asset state (triggers, QDE recommendation, trade state) on the
///   `asset_state_update` channel and in the `asset_state_snapshot` hash.
/// - `dashboard_port` (int 1...65535, optional, default none): `host run` serves the live web
///   dashboard on this port; absent = no dashboard.
/// - `dashboard_host` (string, optional, default `127.0.0.1`): the dashboard's bind address;
///   anything but loopback requires a token.
/// - `dashboard_token` (string of 16+ characters, optional, secret; `TSH_DASHBOARD_TOKEN` wins):
///   enables the dashboard's kill switch for requests that present it. Never shown on the page,
///   and recorded as `[redacted]` in the session's copy of the configuration (``ConfigRedaction``).
public struct HostSettings: Sendable, Hashable {
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    public static let queueCapacityRange = 1024...16_777_216

    public var dataDirectory: String
    public var metricsPort: Int?
    public var logLevel: String
    public var queueCapacity: Int
    /// nil: the command's default (1000 for runs, 0 for backtests).
    public var bookSnapshotIntervalMs: Int?
    public var bookSnapshotDepth: Int = 10
    public var bookSnapshotRetentionDays: Int = 7
    public var record: Bool = true
    public var paperFeeModel: String?
    public var paperTakerFee: Decimal?
    public var paperMakerFee: Decimal?
    public var paperLatencyMs: Int = 0
    public var recordingRetentionDays: Int = 30
    public var writerMaxPendingRows: Int = 100_000
    /// Settling delay of bars: a bar is final once the clock passes its end plus this (SIGNALS §1).
    /// nil: the command's default (0 in backtests and simulated runs, 2000 on live data).
    public var barSettleMs: Int?
    /// Where `host run` publishes the asset state (nil: nowhere).
    public var redisURL: String?
    /// Live engines' input gathering (µs); see `EngineConfiguration.liveGatherNanos`.
    public var liveGatherMicros: Int = 0
    /// This process's shard and the whole group (both or neither).
    public var shard: String?
    public var shards: [String]?
    /// The live web dashboard (nil port: none).
    public var dashboardPort: Int?
    public var dashboardHost: String = "127.0.0.1"
    public var dashboardToken: String?

    public init(dataDirectory: String = "./data", metricsPort: Int? = nil, logLevel: String = "info", queueCapacity: Int = 65_536) {
        self.dataDirectory = dataDirectory
        self.metricsPort = metricsPort
        self.logLevel = logLevel
        self.queueCapacity = queueCapacity
    }
}

/// Where market data comes from.
///
/// ## Configuration keys (under `feed:`):
/// - `source` (enum `simulated`, optional, default `simulated`).
/// - `seed` (int >= 0, optional, default 42): random seed of the simulated feed.
/// - `symbols` (non-empty list of unique strings, optional, default `[BTCUSDT, ETHUSDT]`): symbols the feed produces.
/// - `events` (int >= 0, optional, default 200000): events to produce; 0 = until stopped.
/// - `speed` (number >= 0, optional, default 0): 0 = as fast as possible, 1 = real time, N = N× faster.
/// - `start_prices` (mapping symbol → number > 0, optional): first price per symbol.
/// - `volatility` (number in (0, 10], optional, default 0.6): annualized volatility of the random walk.
///
/// ## Configuration keys (under `feed:`)
/// - `source`: `simulated` (a generic crypto market over `symbols`) or `updown` (simulated
///   Polymarket up/down windows over `assets`; its symbols are `<ASSET>-<N>M-UP`,
///   `<ASSET>-<N>M-DOWN` and the oracle `<ASSET>-USD`).
/// - `seed`, `events` (simulated: events to produce; 0 = endless), `speed` (0 = unthrottled).
/// - simulated: `symbols`, `start_prices`, `volatility`.
/// - updown: `assets` (default [BTC, ETH]), `window_minutes` (15), `windows` (per series, 0 =
///   endless), `start_time` (unix seconds; default now), `book_levels` (5),
///   `book_interval_ms` (250), `oracle_interval_ms` (1000), `reversal_probability` (0.05).
/// - polymarket (LIVE Polymarket data: Gamma discovery, CLOB market channel, RTDS oracle; paper
///   unless an instance has `mode: live` and the run passes `--live`): `assets` (default
///   [BTC, ETH]), `durations` (list of 5m, 15m, 4h, hourly, daily; default [15m]), `oracle`
///   (auto | chainlink | twap60; default auto = each market's resolution source), `lead_time_s`
///   (60: subscribe the next window this early), `grace_s` (600: most wait for a resolution),
///   `discovery_interval_s` (10), `max_assets_per_connection` (500), and the endpoints
///   `gamma_url`, `clob_url`, `market_ws_url`, `user_ws_url`, `rtds_url` (production by default).
///   Symbols are `<ASSET>-<N>M-UP`, `<ASSET>-<N>M-DOWN` per duration (N = 5, 15, 240, 60, 1440)
///   and the oracle `<ASSET>-USD`.
/// Where a run's market data comes from (`feed.source`).
public enum FeedSource: String, Sendable, Hashable, CaseIterable {
    /// A generic simulated crypto market over `feed.symbols`.
    case simulated
    /// Simulated Polymarket up/down windows.
    case updown
    /// Live Polymarket data.
    case polymarket
    /// Live Binance spot data.
    case binance
    /// Live Bybit v5 data (spot or linear, `feed.category`).
    case bybit
    /// Files of recorded market data (`host backtest` sets it; not a `feed.source` value).
    case tardis

    /// Data from a real venue (wall-clock time, recorded for replay).
    public var isLive: Bool {
        switch self {
        case .simulated, .updown, .tardis: false
        case .polymarket, .binance, .bybit: true
        }
    }

    /// Symbols are up/down series (`<ASSET>-<N>M-UP/DOWN`) made from `feed.assets`.
    public var isUpDown: Bool { self == .updown || self == .polymarket }
}

/// - binance / bybit (LIVE exchange data; paper trading against the live book with the venue's
///   fees unless `host.paper_*` says otherwise): `symbols` (venue spellings, e.g. BTCUSDT) or
///   `top` (N symbols by 24 h quote volume, optionally only those quoted in `quote_asset`),
///   `category` (bybit: spot | linear), `book_depth` (binance 1000 | 5000; bybit 1 | 50 | 200 |
///   1000), `trade_stream` (binance: trade | aggTrade), and the endpoints `rest_url`, `ws_url`
///   (production by default; point them at `host fake-venue binance|bybit` to try things offline).
///   Instruments (tick, lot, minimums) come from the venue; no `instruments` section is needed.
public struct FeedSettings: Sendable, Hashable {
    /// The `feed.source` values a configuration may name.
    public static let sources = FeedSource.allCases.filter { $0 != .tardis }.map(\.rawValue)
    /// Up/down durations and their window length in minutes.
    public static let durationMinutes = ["5m": 5, "15m": 15, "4h": 240, "hourly": 60, "daily": 1_440]

    public var source: FeedSource
    public var seed: UInt64
    public var symbols: [String]
    public var events: Int
    public var speed: Double
    public var startPrices: [String: Double]
    public var volatility: Double
    // updown
    public var assets: [String] = ["BTC", "ETH"]
    public var windowMinutes: Int = 15
    public var windows: Int = 0
    public var startTime: Int64?
    public var bookLevels: Int = 5
    public var bookIntervalMs: Int = 250
    public var oracleIntervalMs: Int = 1_000
    public var reversalProbability: Double = 0.05
    // polymarket
    public var durations: [String] = ["15m"]
    public var oracle = "auto"
    public var leadTimeSeconds = 60
    public var graceSeconds = 600
    public var discoveryIntervalSeconds = 10
    public var maxAssetsPerConnection = 500
    /// Endpoint overrides by key (`gamma_url`, `clob_url`, `market_ws_url`, `user_ws_url`, `rtds_url`).
    public var endpoints: [String: String] = [:]
    // binance, bybit
    /// Bybit product line: `spot` or `linear`.
    public var category = "spot"
    /// Follow the top N symbols by 24 h quote volume instead of `symbols` (0 = use `symbols`).
    public var top = 0
    /// With `top`: only symbols quoted in this asset (e.g. `USDT`).
    public var quoteAsset: String?
    /// Order book depth: Binance REST snapshot limit (1000 or 5000; the request-weight budget
    /// decides when 5000 is allowed), Bybit `orderbook.<depth>` topic (1, 50, 200, 1000).
    public var bookDepth: Int?
    /// Binance trade stream: `trade` or `aggTrade`.
    public var tradeStream = "trade"

    /// The symbols of an up/down series, in the order up, down, oracle.
    public static func upDownSymbols(asset: String, windowMinutes: Int) -> [String] {
        let asset = asset.uppercased()
        return ["\(asset)-\(windowMinutes)M-UP", "\(asset)-\(windowMinutes)M-DOWN", "\(asset)-USD"]
    }

    public init(source: FeedSource = .simulated, seed: UInt64 = 42, symbols: [String] = ["BTCUSDT", "ETHUSDT"], events: Int = 200_000,
                speed: Double = 0, startPrices: [String: Double] = [:], volatility: Double = 0.6) {
        self.source = source
        self.seed = seed
        self.symbols = symbols
        self.events = events
        self.speed = speed
        self.startPrices = startPrices
        self.volatility = volatility
    }

    /// The feed of a file without a `feed:` section.
    public static let defaults = FeedSettings()
}

/// Venue rules of one symbol as configured; unset fields fall back to `Instrument.generic`.
///
/// ## Configuration keys (under `instruments.<SYMBOL>:`), decimals as numbers or strings:
/// - `venue` (string, optional).
/// - `base` (string, optional): base asset, e.g. `BTC`.
/// - `quote` (string, optional): quote asset, e.g. `USDT`.
/// - `tick_size` (decimal > 0, optional).
/// - `lot_size` (decimal > 0, optional).
/// - `min_size` (decimal > 0, optional).
/// - `min_notional` (decimal >= 0, optional).
public struct InstrumentSettings: Sendable, Hashable {
    /// `all` (default) or `polymarket`: see `Instrument.Minimums`.
    public var minimums: Instrument.Minimums?
    public var venue: String?
    public var base: String?
    public var quote: String?
    public var tickSize: Decimal?
    public var lotSize: Decimal?
    public var minSize: Decimal?
    public var minNotional: Decimal?

    public init(venue: String? = nil, base: String? = nil, quote: String? = nil, tickSize: Decimal? = nil,
                lotSize: Decimal? = nil, minSize: Decimal? = nil, minNotional: Decimal? = nil) {
        self.venue = venue
        self.base = base
        self.quote = quote
        self.tickSize = tickSize
        self.lotSize = lotSize
        self.minSize = minSize
        self.minNotional = minNotional
    }
}

/// One plugin instance: which kind runs, where, on which symbols, with which parameters and limits.
///
/// ## Configuration keys (one list item under `instances:`):
/// - `id` (string `^[a-z0-9][a-z0-9_-]*$`, required, unique in the file).
/// - `plugin` (string, required): the `.so`, located by the plugin loader.
/// - `kind` (string, optional; required when the plugin offers several kinds).
/// - `mode` (paper|live, optional, default `paper`).
/// - `venue` (string, optional, default `simulated`).
/// - `symbols` (non-empty list of unique strings, required); `["*"]` trades every symbol of the
///   feed once it is resolved (a venue's `top` N, a backtest's data) — see ``expandingEveryFeedSymbol(_:)``.
/// - `params` (mapping name → scalar, optional): checked against the kind's declared parameters by
///   ``resolveParameters(kind:file:)``. Secret-like names are refused; `<name>_env: ENV_VAR` names an
///   environment variable instead.
/// - `overrides` (mapping symbol → mapping name → scalar, optional): per-symbol parameter values.
/// - `risk` (mapping, optional, default `RiskLimits.defaults`): keys of `RiskLimits`; a key that is not
///   given keeps its default, `null` removes that limit.
/// - `bars` (list of timeframes `1s, 1m, 5m, 15m, 1h, 4h, 1d`, optional): the host aggregates the
///   instance's symbols' trades into bars of these timeframes (SIGNALS §1) and delivers each
///   final bar as a bar event (backtests, replays and live alike).
/// - `history` (mapping timeframe → count, optional, e.g. `{1m: 500, 1d: 60}`): before a live
///   start the host loads this many past bars per symbol from the venue's REST API and delivers
///   them first, flagged as history, so indicators are warm. Each timeframe must also be in `bars`.
public struct InstanceConfig: Sendable, Hashable {
    /// `symbols: ["*"]`: every symbol of the feed.
    public static let everyFeedSymbol = "*"

    /// This instance with `["*"]` replaced by the feed's symbols.
    public func expandingEveryFeedSymbol(_ feedSymbols: [String]) -> InstanceConfig {
        guard symbols == [Self.everyFeedSymbol] else { return self }
        var copy = self
        copy.symbols = feedSymbols
        return copy
    }

    public var id: String
    public var plugin: String
    public var kind: String?
    public var mode: TradingMode
    public var venue: String
    public var symbols: [String]
    public var params: [String: ConfigScalar]
    public var overrides: [String: [String: ConfigScalar]]
    public var risk: RiskLimits
    /// Timeframes of the bars the host builds for this instance.
    public var bars: [BarTimeframe] = []
    /// Past bars to load before a live start, per timeframe.
    public var history: [BarTimeframe: Int] = [:]
    /// Line of the instance in its file.
    public var line: Int?
    /// Position in `instances`, for key paths in later problems; nil when built in code.
    var index: Int?

    public init(id: String, plugin: String, kind: String? = nil, mode: TradingMode = .paper, venue: String = "simulated",
                symbols: [String], params: [String: ConfigScalar] = [:], overrides: [String: [String: ConfigScalar]] = [:],
                risk: RiskLimits = .defaults, line: Int? = nil) {
        self.id = id
        self.plugin = plugin
        self.kind = kind
        self.mode = mode
        self.venue = venue
        self.symbols = symbols
        self.params = params
        self.overrides = overrides
        self.risk = risk
        self.line = line
    }

    /// `instances[2]`, or `instances[<id>]` for an instance not read from a file.
    var keyPath: String { index.map { "instances[\($0)]" } ?? "instances[\(id)]" }
}

/// A parameter value as written in the file, typed as YAML resolves it.
///
/// Plain scalars follow the YAML core schema (`25` is an int, `0.5` a double, `true` a bool);
/// quoted scalars are always strings, so `"25"` given to a number parameter is a type error.
public struct ConfigScalar: Sendable, Hashable {
    /// The scalar's text as written (without quotes).
    public var text: String
    public var value: ParameterValue
    public var line: Int?
    public var column: Int?

    public init(text: String, value: ParameterValue, line: Int? = nil, column: Int? = nil) {
        self.text = text
        self.value = value
        self.line = line
        self.column = column
    }

    /// A scalar built in code, with its text from the value.
    public init(_ value: ParameterValue) {
        self.init(text: value.description, value: value)
    }
}

extension TradingMode {
    /// Spelling in configuration files.
    static let configNames: [String: TradingMode] = ["paper": .paper, "live": .live]
}
