import Foundation
import HostConfig
import HostCore
import Testing

struct StrategyConfigLoaderTests {
    static let fullFile = """
        version: 1
        host:
          data_dir: /var/lib/tsh
          metrics_port: 9464
          log_level: debug
          queue_capacity: 4096
        feed:
          source: simulated
          seed: 7
          symbols: [BTCUSDT, ETHUSDT, SOLUSDT]
          events: 1000
          speed: 2.5
          start_prices: {BTCUSDT: 65000, ETHUSDT: 3200.5}
          volatility: 0.8
        instruments:
          BTCUSDT: {venue: simulated, base: BTC, quote: USDT, tick_size: "0.01", lot_size: 0.00001, min_size: "0.0001", min_notional: 5}
        instances:
          - id: btc-move
            plugin: price_move_trigger.so
            kind: price_move
            mode: live
            venue: bybit
            symbols: [BTCUSDT, ETHUSDT]
            params: {threshold_bps: 25, side: buy, enabled: true, ratio: 0.5, label: "25"}
            overrides:
              ETHUSDT: {threshold_bps: 40}
            risk:
              max_order_notional: 1000.25
              max_position: 0.1
              max_position_notional: "2500"
              max_open_orders: 3
              max_orders_per_second: 2
              price_band_bps: 150
              max_trades_per_day: 40
              daily_loss_limit: 99.99
          - id: sol
            plugin: other.so
            symbols: [SOLUSDT]
        """

    @Test("a full valid file parses with every value")
    func fullFileParses() throws {
        let config = try StrategyConfigLoader.parse(Self.fullFile, file: "full.yaml")
        #expect(config.file == "full.yaml")
        #expect(config.host == HostSettings(dataDirectory: "/var/lib/tsh", metricsPort: 9464, logLevel: "debug", queueCapacity: 4096))
        #expect(config.feed == FeedSettings(source: .simulated, seed: 7, symbols: ["BTCUSDT", "ETHUSDT", "SOLUSDT"], events: 1000,
                                            speed: 2.5, startPrices: ["BTCUSDT": 65000, "ETHUSDT": 3200.5], volatility: 0.8))
        #expect(config.instruments == ["BTCUSDT": InstrumentSettings(
            venue: "simulated", base: "BTC", quote: "USDT", tickSize: Decimal(string: "0.01"), lotSize: Decimal(string: "0.00001"),
            minSize: Decimal(string: "0.0001"), minNotional: 5)])
        try #require(config.instances.count == 2)
        let instance = config.instances[0]
        #expect(instance.id == "btc-move")
        #expect(instance.plugin == "price_move_trigger.so")
        #expect(instance.kind == "price_move")
        #expect(instance.mode == .live)
        #expect(instance.venue == "bybit")
        #expect(instance.symbols == ["BTCUSDT", "ETHUSDT"])
        #expect(instance.line == 18)
        #expect(instance.params.mapValues(\.value) == [
            "threshold_bps": .int(25), "side": .string("buy"), "enabled": .bool(true), "ratio": .double(0.5), "label": .string("25"),
        ])
        #expect(instance.overrides.mapValues { $0.mapValues(\.value) } == ["ETHUSDT": ["threshold_bps": .int(40)]])
        #expect(instance.risk == RiskLimits(
            maxOrderNotional: Decimal(string: "1000.25"), maxPosition: Decimal(string: "0.1"), maxPositionNotional: 2500,
            maxOpenOrders: 3, maxOrdersPerSecond: 2, priceBandBps: 150, maxTradesPerDay: 40, dailyLossLimit: Decimal(string: "99.99")))
        #expect(config.instances[1].id == "sol")
    }

    @Test("decimal risk limits are read from the text, so 0.1 stays exactly 0.1")
    func decimalRiskLimitsAreExact() throws {
        let config = try StrategyConfigLoader.parse(Self.fullFile, file: "full.yaml")
        let maxPosition = try #require(config.instances[0].risk.maxPosition)
        #expect(maxPosition == Decimal(string: "0.1"))
        #expect(maxPosition.description == "0.1")
        #expect(maxPosition * 10 == 1)
    }

    @Test("a parameter keeps its position so later checks can point at it")
    func parameterKeepsPosition() throws {
        let config = try StrategyConfigLoader.parse(Self.fullFile, file: "full.yaml")
        let threshold = try #require(config.instances[0].params["threshold_bps"])
        #expect(threshold.text == "25")
        #expect(threshold.line == 24)
        #expect(threshold.column == 29)
    }

    @Test("absent sections take their documented defaults")
    func absentSectionsTakeDefaults() throws {
        let config = try StrategyConfigLoader.parse("""
            version: 1
            instances:
              - id: a
                plugin: p.so
                symbols: [BTCUSDT]
            """, file: "min.yaml")
        #expect(config.host == HostSettings(dataDirectory: "./data", metricsPort: nil, logLevel: "info", queueCapacity: 65536))
        #expect(config.feed == FeedSettings.defaults)
        #expect(FeedSettings.defaults == FeedSettings(source: .simulated, seed: 42, symbols: ["BTCUSDT", "ETHUSDT"], events: 200_000,
                                                      speed: 0, startPrices: [:], volatility: 0.6))
        #expect(config.instruments.isEmpty)
        let instance = try #require(config.instances.first)
        #expect(instance.kind == nil)
        #expect(instance.mode == .paper)
        #expect(instance.venue == "simulated")
        #expect(instance.params.isEmpty)
        #expect(instance.overrides.isEmpty)
        #expect(instance.risk == RiskLimits.defaults)
    }

    @Test("a risk key that is given replaces only its own default")
    func riskKeyReplacesOnlyItsDefault() throws {
        let config = try StrategyConfigLoader.parse("""
            version: 1
            instances:
              - id: a
                plugin: p.so
                symbols: [BTCUSDT]
                risk: {max_position: 2}
            """, file: "t.yaml")
        var expected = RiskLimits.defaults
        expected.maxPosition = 2
        #expect(config.instances[0].risk == expected)
    }

    @Test("a risk key set to null removes that limit")
    func nullRiskKeyRemovesLimit() throws {
        let config = try StrategyConfigLoader.parse("""
            version: 1
            instances:
              - id: a
                plugin: p.so
                symbols: [BTCUSDT]
                risk: {max_order_notional: null}
            """, file: "t.yaml")
        #expect(config.instances[0].risk.maxOrderNotional == nil)
        #expect(config.instances[0].risk.maxOpenOrders == RiskLimits.defaults.maxOpenOrders)
    }

    @Test("an unknown key is reported at its line with the closest allowed key")
    func unknownKeySuggestsClosest() throws {
        let found = try #require(problem(at: "instances[0].symbls", in: """
            version: 1
            instances:
              - id: a
                plugin: p.so
                symbols: [BTCUSDT]
                symbls: [ETHUSDT]
            """))
        #expect(found.line == 6)
        #expect(found.column == 5)
        #expect(found.message == "unknown key 'symbls'; did you mean 'symbols'?")
        #expect(found.description == "test.yaml:6:5: instances[0].symbls: unknown key 'symbls'; did you mean 'symbols'?")
    }

    @Test("an unknown key far from every allowed key lists the allowed keys")
    func unknownKeyListsAllowedKeys() throws {
        let found = try #require(problem(at: "host.colour", in: """
            version: 1
            host: {colour: blue}
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]
            """))
        #expect(found.message == "unknown key 'colour'; allowed keys: data_dir, metrics_port, log_level, queue_capacity, "
            + "book_snapshot_interval_ms, book_snapshot_depth, book_snapshot_retention_days, record, recording_retention_days, "
            + "paper_fee_model, paper_taker_fee, paper_maker_fee, paper_latency_ms, writer_max_pending_rows, bar_settle_ms, redis_url, shard, shards, live_gather_us, "
            + "dashboard_port, dashboard_host, dashboard_token")
    }

    @Test("a wrong type names what was expected and what was found")
    func wrongTypeNamesExpectedAndFound() throws {
        let found = try #require(problem(at: "instances[1].risk.max_open_orders", in: """
            version: 1
            instances:
              - {id: a, plugin: p.so, symbols: [BTCUSDT]}
              - id: b
                plugin: p.so
                symbols: [BTCUSDT]
                risk:
                  max_open_orders: ten
            """))
        #expect(found.description == "test.yaml:8:24: instances[1].risk.max_open_orders: expected an integer >= 1, found string 'ten'")
    }

    @Test("a quoted number is a string where an integer is expected")
    func quotedNumberIsNotAnInteger() throws {
        let found = try #require(problem(at: "feed.events", in: """
            version: 1
            feed: {events: "100"}
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]
            """))
        #expect(found.message == "expected an integer >= 0, found string '100'")
    }

    @Test("out-of-range values are reported with the allowed range", arguments: [
        ("host: {metrics_port: 70000}", "host.metrics_port", "expected an integer in 1...65535, found 70000"),
        ("host: {queue_capacity: 10}", "host.queue_capacity", "expected an integer in 1024...16777216, found 10"),
        ("feed: {volatility: 0}", "feed.volatility", "expected a number > 0 and <= 10, found 0"),
        ("feed: {speed: -1}", "feed.speed", "expected a number >= 0, found -1"),
        ("host: {log_level: verbose}", "host.log_level", "expected one of trace, debug, info, notice, warning, error, critical, found 'verbose'"),
    ])
    func outOfRangeValuesAreReported(line: String, keyPath: String, message: String) throws {
        let found = try #require(problem(at: keyPath, in: """
            version: 1
            \(line)
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]
            """))
        #expect(found.message == message)
        #expect(found.line == 2)
    }

    @Test("a non-positive decimal risk limit is out of range")
    func nonPositiveDecimalLimitIsOutOfRange() throws {
        let found = try #require(problem(at: "instances[0].risk.daily_loss_limit", in: """
            version: 1
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT], risk: {daily_loss_limit: -5}}]
            """))
        #expect(found.message == "expected a decimal > 0, found -5")
    }

    @Test("an enum value close to an allowed one is suggested")
    func enumValueSuggestion() throws {
        let found = try #require(problem(at: "instances[0].mode", in: """
            version: 1
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT], mode: papr}]
            """))
        #expect(found.message == "expected one of paper, live, found 'papr'; did you mean 'paper'?")
    }

    @Test("every problem in a file is reported at once")
    func everyProblemReportedAtOnce() {
        let found = problems(in: """
            version: 2
            host: {metrics_port: 0, log_levl: info}
            feed: {source: kraken}
            instances:
              - id: Bad_Id
                plugin: p.so
                symbols: []
              - id: ok
                symbols: [BTCUSDT]
            """)
        #expect(found.map(\.keyPath) == [
            "version", "host.metrics_port", "host.log_levl", "feed.source", "instances[0].id", "instances[0].symbols", "instances[1]",
        ])
        #expect(found.last?.message == "missing required key 'plugin'")
    }

    @Test("a secret-like key is refused without echoing its value")
    func secretKeyIsRefused() throws {
        let found = try #require(problem(at: "instances[0].params.api_key", in: """
            version: 1
            instances:
              - id: a
                plugin: p.so
                symbols: [BTCUSDT]
                params: {api_key: sk-live-123}
            """))
        #expect(found.message.contains("environment variable"))
        #expect(found.message.contains("api_key_env"))
        #expect(!found.description.contains("sk-live-123"))
    }

    @Test("secret-like keys are refused anywhere in the file", arguments: [
        ("host: {password: hunter2}", "host.password"),
        ("client_secret: x", "client_secret"),
    ])
    func secretKeysRefusedAnywhere(line: String, keyPath: String) throws {
        let found = try #require(problem(at: keyPath, in: """
            version: 1
            \(line)
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]
            """))
        #expect(found.message.contains("looks like a secret"))
    }

    @Test("an _env key in params names an environment variable and is kept as a string")
    func envKeyIsKeptAsString() throws {
        let config = try StrategyConfigLoader.parse("""
            version: 1
            instances:
              - id: a
                plugin: p.so
                symbols: [BTCUSDT]
                params: {api_key_env: BYBIT_API_KEY, token_id: 123}
            """, file: "t.yaml")
        #expect(config.instances[0].params["api_key_env"]?.value == .string("BYBIT_API_KEY"))
        #expect(config.instances[0].params["token_id"]?.value == .int(123))
    }

    @Test("an _env key whose value is not a variable name is refused without echoing the value")
    func envKeyWithSecretValueIsRefused() throws {
        let found = try #require(problem(at: "instances[0].params.api_secret_env", in: """
            version: 1
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT], params: {api_secret_env: "x9/+abc=="}}]
            """))
        #expect(!found.description.contains("x9/+abc=="))
    }

    @Test("duplicate instance ids are reported with both lines")
    func duplicateInstanceIDs() throws {
        let found = try #require(problem(at: "instances[1].id", in: """
            version: 1
            instances:
              - id: same
                plugin: p.so
                symbols: [BTCUSDT]
              - id: same
                plugin: q.so
                symbols: [ETHUSDT]
            """))
        #expect(found.line == 6)
        #expect(found.message.contains("line 3"))
        #expect(found.message.contains("line 6"))
    }

    @Test("an override for a symbol the instance does not trade is refused")
    func overrideSymbolMustBeInSymbols() throws {
        let found = try #require(problem(at: "instances[0].overrides.ETHUSD", in: """
            version: 1
            instances:
              - id: a
                plugin: p.so
                symbols: [BTCUSDT, ETHUSDT]
                overrides:
                  ETHUSD: {threshold_bps: 40}
            """))
        #expect(found.line == 7)
        #expect(found.message == "symbol 'ETHUSD' is not in this instance's symbols (BTCUSDT, ETHUSDT); did you mean 'ETHUSDT'?")
    }

    @Test("an instance symbol the simulated feed does not produce is refused")
    func instanceSymbolMustBeInFeed() throws {
        let found = try #require(problem(at: "instances[0].symbols", in: """
            version: 1
            instances: [{id: a, plugin: p.so, symbols: [SOLUSDT]}]
            """))
        #expect(found.message.contains("'SOLUSDT' is not produced by the feed"))
    }

    @Test("duplicate symbols in a list are refused")
    func duplicateSymbolsRefused() throws {
        let found = try #require(problem(at: "instances[0].symbols[1]", in: """
            version: 1
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT, BTCUSDT]}]
            """))
        #expect(found.message == "duplicate symbol 'BTCUSDT'")
    }

    @Test("a YAML syntax error is reported at libyaml's position")
    func yamlSyntaxErrorHasPosition() throws {
        let found = problems(in: """
            version: 1
            instances:
              - id: a
                symbols: [BTCUSDT
            """, file: "broken.yaml")
        let first = try #require(found.first)
        #expect(found.count == 1)
        #expect(first.file == "broken.yaml")
        #expect(first.line == 5)
        #expect(first.message.hasPrefix("invalid YAML: "))
    }

    @Test("a key written twice in one mapping is a YAML error at its line")
    func duplicateKeyIsYAMLError() throws {
        let found = try #require(problems(in: """
            version: 1
            version: 1
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]
            """).first)
        #expect(found.message == "invalid YAML: duplicate key 'version' in one mapping")
        #expect(found.line != nil)
    }

    @Test("an empty file is refused", arguments: ["", "# only a comment\n", "---\n"])
    func emptyFileRefused(text: String) throws {
        let found = try #require(problems(in: text).first)
        #expect(found.message.hasPrefix("the file is empty"))
    }

    @Test("a root that is not a mapping is refused")
    func nonMappingRootRefused() throws {
        let found = try #require(problems(in: "- a\n- b\n").first)
        #expect(found.message == "expected a mapping at the top level (version, host, feed, instruments, instances), found a list")
    }

    @Test("a version other than 1 is refused")
    func unsupportedVersionRefused() throws {
        let found = try #require(problem(at: "version", in: """
            version: 2
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]
            """))
        #expect(found.message == "expected 1, found integer 2")
    }

    @Test("missing required top-level keys are reported")
    func missingRequiredKeys() {
        #expect(problems(in: "host: {}\n").map(\.message) == ["missing required key 'version'", "missing required key 'instances'"])
    }

    @Test("reading a missing file names the path")
    func missingFileNamesPath() throws {
        let path = "/nonexistent/dir/strategy.yaml"
        let error = try #require(throws: ConfigError.self) { try StrategyConfigLoader.load(file: path) }
        #expect(error.description == "\(path): no such file")
    }

    @Test("load reads a file and names it in the result")
    func loadReadsFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).yaml").path
        let text = "version: 1\ninstances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try StrategyConfigLoader.load(file: path)
        #expect(config.file == path)
        #expect(config.configHash == (try StrategyConfigLoader.parse(text, file: "other").configHash))
    }

    @Test("configHash is FNV-1a 64 of the bytes: stable for equal bytes, different for different bytes")
    func configHashFollowsBytes() throws {
        let text = "version: 1\ninstances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]\n"
        let first = try StrategyConfigLoader.parse(text, file: "a.yaml").configHash
        let again = try StrategyConfigLoader.parse(text, file: "b.yaml").configHash
        let changed = try StrategyConfigLoader.parse(text + "# comment\n", file: "a.yaml").configHash
        var expected: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { expected = (expected ^ UInt64(byte)) &* 0x100_0000_01b3 }
        #expect(first == again)
        #expect(first != changed)
        #expect(first == String(format: "%016llx", expected))
    }

    @Test("defaults(...) yields one paper instance per kind on the given symbols")
    func defaultsOneInstancePerKind() {
        let config = StrategyConfigLoader.defaults(pluginPath: "triggers.so", kindIDs: ["price_move", "Volume.Spike"], symbols: ["SOLUSDT"])
        #expect(config.instances.map(\.id) == ["price_move", "volume-spike"])
        #expect(config.instances.map(\.kind) == ["price_move", "Volume.Spike"])
        #expect(config.instances.allSatisfy { $0.mode == .paper && $0.plugin == "triggers.so" && $0.symbols == ["SOLUSDT"] })
        #expect(config.instances.allSatisfy { $0.params.isEmpty && $0.overrides.isEmpty && $0.risk == .defaults })
        #expect(config.feed.symbols == ["SOLUSDT"])
        #expect(config.configHash.count == 16)
    }

    @Test("the shipped screener example is a valid configuration")
    func screenerExampleIsValid() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../strategies/screener_example.yaml").path
        let config = try StrategyConfigLoader.load(file: path)
        #expect(config.instances.map(\.id) == ["move-trigger", "volume-spike", "follower"])
        #expect(config.instances[2].risk.maxPosition == Decimal(string: "0.5"))
    }
}

struct BarsConfigurationTests {
    static func load(_ text: String) throws -> StrategyConfig {
        try StrategyConfigLoader.parse(text, file: "bars.yaml")
    }

    @Test("an instance's bars and history are read as timeframes and counts")
    func barsAndHistoryRead() throws {
        let config = try Self.load("""
            version: 1
            host: {bar_settle_ms: 1500}
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT], bars: [1m, 1d], history: {1m: 500, 1d: 60}}]
            """)
        #expect(config.host.barSettleMs == 1500)
        #expect(config.instances[0].bars == [.oneMinute, .oneDay])
        #expect(config.instances[0].history == [.oneMinute: 500, .oneDay: 60])
    }

    @Test("an unknown bar timeframe is refused with the valid spellings")
    func unknownTimeframeRefused() {
        #expect(throws: ConfigError.self) {
            try Self.load("""
                version: 1
                instances: [{id: a, plugin: p.so, symbols: [BTCUSDT], bars: [2m]}]
                """)
        }
        do {
            _ = try Self.load("version: 1\ninstances: [{id: a, plugin: p.so, symbols: [BTCUSDT], bars: [2m]}]")
        } catch let error as ConfigError {
            #expect(error.problems.first?.keyPath == "instances[0].bars[0]")
            #expect(error.problems.first?.message == #"unknown timeframe "2m" (valid: 1s, 1m, 5m, 15m, 1h, 4h, 1d)"#)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("history of a timeframe the instance does not build bars of is refused")
    func historyNeedsBars() throws {
        do {
            _ = try Self.load("version: 1\ninstances: [{id: a, plugin: p.so, symbols: [BTCUSDT], bars: [1m], history: {1d: 60}}]")
            Issue.record("expected a configuration error")
        } catch let error as ConfigError {
            #expect(error.problems.map(\.keyPath) == ["instances[0].history.1d"])
            #expect(error.problems.first?.message == "history of 1d bars needs 1d in this instance's bars (now: 1m)")
        }
    }
}

struct RedisURLConfigTests {
    @Test("host.redis_url is read; a value that is not redis://… is refused with the expected form")
    func redisURLKey() throws {
        let good = try StrategyConfigLoader.parse("""
            version: 1
            host: {redis_url: "redis://127.0.0.1:6379/2"}
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]
            """, file: "test.yaml")
        #expect(good.host.redisURL == "redis://127.0.0.1:6379/2")
        do {
            _ = try StrategyConfigLoader.parse("""
                version: 1
                host: {redis_url: "localhost:6379"}
                instances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]
                """, file: "test.yaml")
            Issue.record("accepted a URL without redis://")
        } catch {
            #expect("\(error)".contains("host.redis_url: expected redis://[:password@]host[:port][/db], found 'localhost:6379'"))
        }
    }
}

struct DashboardConfigTests {
    @Test("host.dashboard_port, dashboard_host and dashboard_token are read; the host defaults to loopback")
    func dashboardKeys() throws {
        let config = try StrategyConfigLoader.parse("""
            version: 1
            host: {dashboard_port: 8080, dashboard_token: "0123456789abcdef"}
            instances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]
            """, file: "test.yaml")
        #expect(config.host.dashboardPort == 8080)
        #expect(config.host.dashboardHost == "127.0.0.1")
        #expect(config.host.dashboardToken == "0123456789abcdef")
    }

    @Test("a dashboard port out of range is refused with the key path")
    func dashboardPortRange() {
        #expect(throws: (any Error).self) {
            _ = try StrategyConfigLoader.parse("""
                version: 1
                host: {dashboard_port: 70000}
                instances: [{id: a, plugin: p.so, symbols: [BTCUSDT]}]
                """, file: "test.yaml")
        }
    }
}
