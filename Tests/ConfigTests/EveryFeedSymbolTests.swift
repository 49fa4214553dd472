import HostConfig
import Testing

/// `symbols: ["*"]`: an instance on every symbol of the feed, resolved once the feed is known.
struct EveryFeedSymbolTests {
    static func yaml(_ symbols: String, overrides: String = "") -> String {
        """
        version: 1
        feed:
          source: binance
          top: 20
        instances:
          - id: spikes
            plugin: triggers.so
            kind: volume_spike
            symbols: \(symbols)
        \(overrides)
        """
    }

    @Test("[\"*\"] parses without a feed-symbol check and expands to the resolved feed's symbols, in their order")
    func expandsToTheFeed() throws {
        let config = try StrategyConfigLoader.parse(Self.yaml(#"["*"]"#), file: "s.yaml")
        #expect(config.instances[0].symbols == ["*"])
        let expanded = config.instances[0].expandingEveryFeedSymbol(["SOLUSDT", "BTCUSDT"])
        #expect(expanded.symbols == ["SOLUSDT", "BTCUSDT"])
    }

    @Test("'*' beside named symbols is refused with the fix")
    func starStandsAlone() {
        let error = #expect(throws: ConfigError.self) { try StrategyConfigLoader.parse(Self.yaml(#"["*", BTCUSDT]"#), file: "s.yaml") }
        #expect(error?.description.contains("'*' (every symbol of the feed) stands alone") == true)
    }

    @Test("overrides of an instance on every symbol are accepted at parse time (checked when the feed is known)")
    func overridesAreDeferred() throws {
        let config = try StrategyConfigLoader.parse(Self.yaml(#"["*"]"#, overrides: "    overrides:\n      ETHUSDT: {z: 4}"), file: "s.yaml")
        #expect(config.instances[0].overrides["ETHUSDT"] != nil)
    }
}
