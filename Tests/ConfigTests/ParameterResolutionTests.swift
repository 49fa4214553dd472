import HostConfig
import HostCore
import Testing

struct ParameterResolutionTests {
    static let kind = KindSpec(
        id: "price_move", description: "Fires on a price move", roles: ["tsh.role.trigger/1"], eventMask: 0,
        parameters: [
            ParameterSpec(name: "threshold_bps", type: .double, doc: "Move that fires", defaultValue: .double(25), minimum: 1, maximum: 10_000),
            ParameterSpec(name: "cooldown_ms", type: .int, doc: "Quiet time", defaultValue: .int(1000), minimum: 0, perSymbol: false),
            ParameterSpec(name: "side", type: .enumeration, doc: "Direction", defaultValue: .string("both"), allowedValues: ["up", "down", "both"]),
            ParameterSpec(name: "enabled", type: .bool, doc: "On/off", defaultValue: .bool(true)),
        ])

    /// The single instance of `yaml`'s `instances:` list.
    static func instance(_ instanceYAML: String) throws -> InstanceConfig {
        let config = try StrategyConfigLoader.parse("version: 1\ninstances:\n" + instanceYAML, file: "p.yaml")
        return try #require(config.instances.first)
    }

    static func resolveProblems(_ instance: InstanceConfig) -> [ConfigProblem] {
        do {
            _ = try instance.resolveParameters(kind: kind, file: "p.yaml")
            return []
        } catch {
            return error.problems
        }
    }

    @Test("unset parameters take their declared defaults and an int is accepted for a double parameter")
    func defaultsAndIntForDouble() throws {
        let instance = try Self.instance("  - {id: a, plugin: p.so, symbols: [BTCUSDT], params: {threshold_bps: 30}}\n")
        let resolved = try instance.resolveParameters(kind: Self.kind, file: "p.yaml")
        #expect(resolved.value("threshold_bps") == .double(30))
        #expect(resolved.value("cooldown_ms") == .int(1000))
        #expect(resolved.value("side") == .string("both"))
        #expect(resolved.value("enabled") == .bool(true))
    }

    @Test("an unknown parameter is reported with a suggestion and the declared names")
    func unknownParameterListsDeclaredNames() throws {
        let instance = try Self.instance("  - id: a\n    plugin: p.so\n    symbols: [BTCUSDT]\n    params: {treshold_bps: 30}\n")
        let found = try #require(Self.resolveProblems(instance).first)
        #expect(found.description == "p.yaml:6:28: instances[0].params.treshold_bps: unknown parameter 'treshold_bps' for kind 'price_move' "
            + "(declared: threshold_bps, cooldown_ms, side, enabled); did you mean 'threshold_bps'?")
    }

    @Test("a quoted number given to a number parameter is a type error")
    func quotedNumberIsTypeError() throws {
        let instance = try Self.instance("  - {id: a, plugin: p.so, symbols: [BTCUSDT], params: {threshold_bps: \"25\"}}\n")
        let found = try #require(Self.resolveProblems(instance).first)
        #expect(found.keyPath == "instances[0].params.threshold_bps")
        #expect(found.message == "expected a number in 1...10000, found string '25'")
    }

    @Test("out-of-range and not-allowed values are all reported at once")
    func outOfRangeAndNotAllowed() throws {
        let instance = try Self.instance("  - {id: a, plugin: p.so, symbols: [BTCUSDT], params: {threshold_bps: 0.5, side: sideways, enabled: 1}}\n")
        let found = Self.resolveProblems(instance)
        #expect(Set(found.map(\.message)) == [
            "expected a number in 1...10000, found 0.5",
            "expected one of up, down, both, found 'sideways'",
            "expected true or false, found integer '1'",
        ])
    }

    @Test("a per-symbol override is applied to its symbol only")
    func perSymbolOverrideApplied() throws {
        let instance = try Self.instance("""
              - id: a
                plugin: p.so
                symbols: [BTCUSDT, ETHUSDT]
                params: {threshold_bps: 25}
                overrides:
                  ETHUSDT: {threshold_bps: 40, side: up}

            """)
        let resolved = try instance.resolveParameters(kind: Self.kind, file: "p.yaml")
        #expect(resolved.value("threshold_bps", symbolPosition: 0) == .double(25))
        #expect(resolved.value("threshold_bps", symbolPosition: 1) == .double(40))
        #expect(resolved.value("side", symbolPosition: 1) == .string("up"))
        #expect(resolved.value("threshold_bps") == .double(25))
    }

    @Test("overriding a parameter that is not per-symbol is refused")
    func nonPerSymbolOverrideRefused() throws {
        let instance = try Self.instance("""
              - id: a
                plugin: p.so
                symbols: [BTCUSDT, ETHUSDT]
                overrides:
                  ETHUSDT: {cooldown_ms: 5}

            """)
        let found = try #require(Self.resolveProblems(instance).first)
        #expect(found.keyPath == "instances[0].overrides.ETHUSDT.cooldown_ms")
        #expect(found.message == "parameter 'cooldown_ms' cannot be overridden per symbol; set it in params for the whole instance")
    }

    @Test("an override for a symbol outside the instance's symbols is refused when built in code")
    func codeBuiltOverrideSymbolRefused() throws {
        let instance = InstanceConfig(id: "x", plugin: "p.so", symbols: ["BTCUSDT"], overrides: ["SOLUSDT": ["threshold_bps": ConfigScalar(.int(5))]])
        let found = try #require(Self.resolveProblems(instance).first)
        #expect(found.keyPath == "instances[x].overrides.SOLUSDT")
        #expect(found.message == "symbol 'SOLUSDT' is not in this instance's symbols (BTCUSDT)")
    }
}
