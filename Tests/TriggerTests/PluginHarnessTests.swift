import Foundation
import HostCore
import HostPlugins
import HostTesting
import Testing

/// `PluginHarness` (HostTesting), as a plugin author's test uses it: a built `.so`, a market
/// script file, signals and errors out. Here on the repository's own C example.
struct PluginHarnessTests {
    static func library(_ name: String) throws -> String {
        try PluginLocator().locate(name)
    }

    static func script(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("harness-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a market script file drives the plugin and its signals come out in order, with the script's symbols")
    func scriptInSignalsOut() throws {
        let harness = try PluginHarness(plugin: try Self.library("price_move_trigger.so"), kind: "price_move", symbols: ["BTCUSDT"],
                                        parameters: ["threshold_bps": .double(10), "cooldown_ms": .double(0)])
        let path = try Self.script("""
            # the mid moves +12 bps, then -12 bps
            0,BTCUSDT,quote,100.00,100.02
            100,BTCUSDT,quote,100.12,100.14
            200,BTCUSDT,quote,100.00,100.02
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = try harness.run(script: path)
        #expect(outcome.errors.isEmpty)
        #expect(outcome.signals.map(\.name) == ["trigger.price_move", "trigger.price_move"])
        #expect(outcome.signals.map(\.direction) == [1, -1])
        #expect(outcome.signals.allSatisfy { $0.symbol == "BTCUSDT" })
        #expect(outcome.statistics?.callbacks == 3)
    }

    @Test("a parameter the kind does not declare is refused, naming the kind's parameters")
    func unknownParameter() throws {
        let harness = try PluginHarness(plugin: try Self.library("price_move_trigger.so"), kind: "price_move", symbols: ["BTCUSDT"],
                                        parameters: ["threshold": .double(10)])
        let error = try #require(throws: HarnessError.self) { try harness.run(MarketScriptFile()) }
        #expect(error.description.contains("no parameter 'threshold'") && error.description.contains("threshold_bps"))
    }

    @Test("a kind the plugin does not offer is refused, naming the kinds it offers")
    func unknownKind() throws {
        let error = try #require(throws: HarnessError.self) {
            try PluginHarness(plugin: try Self.library("price_move_trigger.so"), kind: "price", symbols: ["BTCUSDT"])
        }
        #expect(error.description.contains("price_move, volume_spike"))
    }

    @Test("a script's signal lines reach a consumer as if another plugin emitted them")
    func scriptSignalsReachConsumers() throws {
        // qde.so takes bars and trigger.* signals only, so each of its callbacks here is a script signal.
        let harness = try PluginHarness(plugin: try Self.library("qde.so"), kind: "qde", symbols: ["BTCUSDT"])
        let outcome = try harness.run(MarketScriptFile(lines: [
            .quote(ms: 0, symbol: "BTCUSDT", bid: Fixed8(parsing: "100")!, ask: Fixed8(parsing: "100.02")!, size: Fixed8(parsing: "1")!),
            .signal(ms: 1_000, symbol: "BTCUSDT", name: "trigger.example", direction: 1, value: 8, confidence: 0.6),
            .signal(ms: 1_000, symbol: "BTCUSDT", name: "other.example", direction: 1, value: 8, confidence: 0.6),
            .quote(ms: 1_000, symbol: "BTCUSDT", bid: Fixed8(parsing: "100")!, ask: Fixed8(parsing: "100.02")!, size: Fixed8(parsing: "1")!),
        ]))
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        // trigger.example is delivered; other.example is not one of the trigger.* signals qde consumes.
        #expect(outcome.statistics?.callbacks == 1)
        #expect(outcome.signals.allSatisfy { $0.sourceInstanceID == "qde" })
    }
}
