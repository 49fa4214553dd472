import HostCore
import HostEngine
import HostTesting
import Testing

/// ABI 1.1 `tsh.signal-sink/1`: a kind that declares the signals it consumes gets only those;
/// a kind without the declaration gets every signal on its symbols (1.0 behaviour).
struct SignalSinkTests {
    @Test("a consumer of trigger.* receives trigger signals only; a 1.0-style recorder receives both")
    func sinkFiltersByName() throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        try engine.addInstance(spec(6, id: "sink-emitter", symbols: [btc]))
        try engine.addInstance(spec(7, id: "sink-consumer", symbols: [btc]))
        try engine.addInstance(spec(0, id: "sink-all", symbols: [btc]))
        try engine.start()
        engine.process(.market(MarketScript(symbol: btc).quote(atMillis: 1, bid: "100", ask: "101")))
        #expect(observe("sink-consumer").all == ["signal trigger.test"])
        #expect(observe("sink-all").all.filter { $0.hasPrefix("signal") } == [
            "signal trigger.test from sink-emitter dir 1", "signal qde.test from sink-emitter dir -1",
        ])
    }

    @Test("patterns: an exact name matches itself only; a trailing * matches the prefix")
    func patterns() {
        let kind = KindSpec(id: "k", description: "", roles: [], eventMask: 0, parameters: [], consumedSignals: ["trigger.*", "qde.recommendation"])
        #expect(kind.consumes("trigger.breakout"))
        #expect(kind.consumes("qde.recommendation"))
        #expect(!kind.consumes("qde.recommendation2"))
        #expect(!kind.consumes("iceberg.active"))
        #expect(KindSpec(id: "k", description: "", roles: [], eventMask: 0, parameters: []).consumes("anything"))
    }
}
