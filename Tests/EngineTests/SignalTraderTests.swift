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
        let journal: RecordingJournal
        let symbol: HostCore.SymbolID
        private var millis: Int64

        init(id: String, recommendations: [Int: (Int32, Double, Double, Double, Double)], params: [String: ParameterValue] = [:],
             journal: RecordingJournal = RecordingJournal(), startMillis: Int64 = 0) throws {
            self.journal = journal
            millis = startMillis
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

    @Test("after a restart the open trade resumes from the state store and the restored position, and exits at its take-profit")
    func resumesAfterRestart() throws {
        let first = try Run(id: "rec-restart", recommendations: [3: (1, 0.7, 0.8, 101, 99.5)])
        first.mids([100, 100, 100, 100.2, 100.6])
        #expect(first.orderTags == ["signal_trader entry"])
        let fills = first.journal.recorded.fills.filter { $0.instanceID == "trader" }.map {
            StoredFill(symbol: "BTCUSDT", side: $0.side, price: $0.price, size: $0.size, fee: $0.fee, timestamp: $0.timestamp)
        }
        #expect(fills.count == 1)
        // A new host on the same database: the state and fills are what the first one committed.
        let second = try Run(id: "rec-restart-2", recommendations: [:], journal: RecordingJournal(state: first.journal.recorded.state, fills: ["trader": fills]),
                             startMillis: 10_000)
        second.mids([100.6, 100.8])
        #expect(second.orderTags.isEmpty)  // no second entry: the trade is already open
        second.mids([101.05])
        #expect(second.orderTags == ["take_profit"])
        #expect(second.tradeState == nil)
    }

    @Test("a resumed trade is dropped when the position it belongs to is gone (closed while the host was down)")
    func staleTradeDropped() throws {
        let first = try Run(id: "rec-stale", recommendations: [3: (1, 0.7, 0.8, 101, 99.5)])
        first.mids([100, 100, 100, 100.2, 100.6])
        let second = try Run(id: "rec-stale-2", recommendations: [:], journal: RecordingJournal(state: first.journal.recorded.state), startMillis: 10_000)
        second.mids([101.05])
        #expect(second.orderTags.isEmpty)
        #expect(second.tradeState == nil)
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
