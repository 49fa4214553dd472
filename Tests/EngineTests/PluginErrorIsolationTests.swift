import HostCore
import HostEngine
import HostTesting
import Testing

/// A plugin that fails on one symbol keeps running on the others: the engine counts and logs
/// each failed callback and goes on delivering.
struct PluginErrorIsolationTests {
    @Test("errors on one symbol are counted while the other symbol's events keep arriving")
    func failingSymbolDoesNotStopTheOthers() throws {
        let (table, btc, eth) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        try engine.addInstance(spec(8, id: "isolated", symbols: [btc, eth]))
        try engine.start()
        for ms in 1...3 {
            engine.process(.market(MarketScript(symbol: btc).quote(atMillis: Int64(ms) * 10, bid: "100", ask: "101")))
            engine.process(.market(MarketScript(symbol: eth).quote(atMillis: Int64(ms) * 10 + 1, bid: "\(3000 + ms)", ask: "3100")))
        }
        engine.requestStop()
        engine.run()
        #expect(observe("isolated").all == ["quote 1 3001.0", "quote 1 3002.0", "quote 1 3003.0"])
        let stats = try #require(engine.snapshot().instances.first)
        #expect(stats.callbackErrors == 3)
        #expect(stats.lastError?.contains("no data for this symbol") == true)
    }
}
