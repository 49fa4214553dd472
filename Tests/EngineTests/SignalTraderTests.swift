import Foundation
import HostCore
import HostEngine
import HostExecution
import HostPlugins
import HostTesting
import Logging
import Synchronization
import Testing

/// signal_trader.so (Stage 3) trading scripted `qde.recommendation` signals on the paper venue.
struct SignalTraderTests {
    final class Run {
        let engine: Engine
        let journal = RecordingJournal()
        let symbol: HostCore.SymbolID
        private var millis: Int64 = 0

        init(id: String, recommendations: [Int: (Int32, Double, Double, Double, Double)], params: [String: ParameterValue] = [:]) throws {
            scriptedRecommendations.withLock { $0[id] = recommendations }
            var table = SymbolTable()
            symbol = table.register(Instrument.generic(symbol: "BTCUSDT", venue: "test"))
            let plugin = try emaBenchRegistry.load(path: try emaBenchRegistry.loader.locator.locate("signal_trader.so"))
            let kind = try #require(plugin.kind("signal_trader"))
            var parameters = ResolvedParameters(specs: kind.parameters, symbolCount: 1)
            parameters.set("order_notional", .double(1_000))
            for (key, value) in params { parameters.set(key, value) }
            engine = Engine(symbols: table, configuration: EngineConfiguration(paperVenue: PaperVenueConfig(feeModel: .none, latencyNs: 0)),
                            clock: SimulatedClock(), journal: journal, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            try engine.addInstance(spec(5, id: id, symbols: [symbol]))
            var risk = RiskLimits()
            risk.priceBandBps = 10_000
            try engine.addInstance(InstanceSpec(id: "trader", pluginID: plugin.pluginID, kind: kind, descriptor: try #require(plugin.kindDescriptor("signal_trader")),
                                                mode: .paper, venue: "test", symbols: [symbol], parameters: parameters, risk: risk, keepAlive: plugin))
            try engine.start()
        }

        /// Quotes with the given mids (spread 0.02).
        func mids(_ values: [Double]) {
            for mid in values {
                millis += 100
                engine.process(.market(MarketScript(symbol: symbol).quote(atMillis: millis, bid: String(format: "%.2f", mid - 0.01),
                                                                          ask: String(format: "%.2f", mid + 0.01))))
            }
        }

        var orderTags: [String] { journal.recorded.orders.filter { $0.instance == 1 }.map(\.tag) }
        var tradeState: [UInt8]? { journal.recorded.state["trader"]?["trade.0"] }
    }

    @Test("a long entry on a strong recommendation exits at its take-profit")
    func entersAndTakesProfit() throws {
        let run = try Run(id: "rec-tp", recommendations: [3: (1, 0.7, 0.8, 101, 99.5)])
        run.mids([100, 100, 100, 100.2, 100.6])
        #expect(run.orderTags == ["signal_trader entry"])
        #expect(run.tradeState != nil)  // the open trade is in the state store
        run.mids([101.05])
        #expect(run.orderTags == ["signal_trader entry", "take_profit"])
        #expect(run.tradeState == nil)
    }

    @Test("the stop trails the best price by the initial stop distance and closes above the original stop")
    func trailingStop() throws {
        let run = try Run(id: "rec-trail", recommendations: [2: (1, 0.7, 0.8, 103, 99.5)])
        run.mids([100, 100, 100.4, 100.8, 100.5])
        #expect(run.orderTags == ["signal_trader entry"])
        // Entry ≈ 100.01, stop distance ≈ 0.51: the best 100.8 moves the stop to ≈ 100.29.
        run.mids([100.28])
        #expect(run.orderTags == ["signal_trader entry", "stop_loss"])
        let exit = try #require(run.journal.recorded.fills.last)
        #expect(exit.price > 100)  // Decimal
    }

    @Test("recommendations below the score or confidence thresholds, or without TP/SL around the price, are not traded")
    func thresholds() throws {
        let run = try Run(id: "rec-weak", recommendations: [2: (1, 0.2, 0.9, 101, 99), 3: (1, 0.7, 0.3, 101, 99), 4: (1, 0.7, 0.9, 99.9, 99)])
        run.mids([100, 100, 100, 100, 100])
        #expect(run.orderTags.isEmpty)
    }

    @Test("an opposite recommendation closes the position")
    func oppositeCloses() throws {
        let run = try Run(id: "rec-opposite", recommendations: [2: (1, 0.7, 0.8, 102, 99), 5: (-1, -0.7, 0.8, 98, 101)])
        run.mids([100, 100, 100.1, 100.1, 100.1])
        #expect(run.orderTags == ["signal_trader entry", "opposite"])
    }
}
