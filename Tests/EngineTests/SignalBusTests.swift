import Foundation
import HostCore
import HostEngine
import HostPlugins
import HostTesting
import Testing

/// The drop-in C trigger (`libprice_move_trigger.so`) and the Swift strategy
/// (`libsignal_follower.so`) talk through the host's signal bus, loaded with dlopen as a
/// user would run them.
struct SignalBusTests {
    /// Finds the package's built plugins next to the test bundle (`.build/debug`).
    static func load(_ name: String, _ registry: PluginRegistry) throws -> LoadedPlugin {
        try registry.load(path: try registry.loader.locator.locate(name))
    }

    @Test("signals emitted by the C trigger reach the Swift strategy, which trades on them")
    func cTriggerToSwiftStrategy() throws {
        let registry = PluginRegistry()
        let trigger = try Self.load("price_move_trigger.so", registry)
        let follower = try Self.load("signal_follower.so", registry)
        var table = SymbolTable()
        let btc = table.register(Instrument.generic(symbol: "BTCUSDT", venue: "test"))
        let journal = RecordingJournal()
        let engine = Engine(symbols: table, clock: SimulatedClock(), journal: journal)

        let moveKind = try #require(trigger.kind("price_move"))
        var moveParams = ResolvedParameters(specs: moveKind.parameters, symbolCount: 1)
        moveParams.set("threshold_bps", .double(5))
        moveParams.set("cooldown_ms", .double(0))
        try engine.addInstance(InstanceSpec(id: "move", pluginID: trigger.pluginID, kind: moveKind,
                                            descriptor: try #require(trigger.kindDescriptor("price_move")), mode: .paper, venue: "test",
                                            symbols: [btc], parameters: moveParams, risk: RiskLimits(), keepAlive: trigger))
        let followKind = try #require(follower.kind("signal_follower"))
        var followParams = ResolvedParameters(specs: followKind.parameters, symbolCount: 1)
        followParams.set("trend_period", .int(2))
        followParams.set("min_confidence", .double(0))
        try engine.addInstance(InstanceSpec(id: "follow", pluginID: follower.pluginID, kind: followKind,
                                            descriptor: try #require(follower.kindDescriptor("signal_follower")), mode: .paper,
                                            venue: "test", symbols: [btc], parameters: followParams, risk: RiskLimits(), keepAlive: follower))
        try engine.start()

        // A steady climb: every step moves the mid by ~10 bps, over the 5 bps threshold.
        let script = MarketScript(symbol: btc)
        var price = 10_000.0
        for step in 1...20 {
            price *= 1.001
            let bid = String(format: "%.2f", price)
            let ask = String(format: "%.2f", price + 0.01)
            engine.process(.market(script.quote(atMillis: Int64(step) * 100, bid: bid, ask: ask, size: "5")))
        }

        let signals = journal.recorded.signals
        #expect(!signals.isEmpty)
        #expect(signals.allSatisfy { $0.name == "trigger.price_move" && $0.sourceInstanceID == "move" && $0.direction == 1 })
        let orders = journal.recorded.orders
        #expect(orders.first?.tag == "trigger")
        #expect(orders.first?.side == .buy)
    }
}
