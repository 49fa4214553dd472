import Foundation
import HostCore
import HostEngine
import HostPlugins
import HostTesting
import Logging
import Testing

/// iceberg.so (SIGNALS.md §5) on scripted L2 messages and trades with planted icebergs and
/// hard negatives. Tick 0.01, lot 0.0001; thresholds D = 100 and W = 1,000 (quote) here.
struct IcebergTests {
    /// One scripted step: an L2 message (rows of side, price, size) or a trade.
    enum Step {
        case book(ms: Int64, [(Side, String, String)])
        case trade(ms: Int64, price: String, size: String, aggressor: Side)
    }

    static func run(_ steps: [Step], params: [String: ParameterValue] = [:]) throws -> [SignalRecord] {
        let plugin = try triggersRegistry.load(path: try triggersRegistry.loader.locator.locate("iceberg.so"))
        let kind = try #require(plugin.kind("iceberg"))
        var table = SymbolTable()
        let id = table.register(Instrument.generic(symbol: "BTCUSDT", venue: "test"))
        var parameters = ResolvedParameters(specs: kind.parameters, symbolCount: 1)
        parameters.set("dolphin_notional", .double(100))
        parameters.set("whale_notional", .double(1_000))
        for (key, value) in params { parameters.set(key, value) }
        let journal = RecordingJournal()
        let engine = Engine(symbols: table, configuration: EngineConfiguration(), clock: SimulatedClock(), journal: journal,
                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try engine.addInstance(InstanceSpec(id: "ice", pluginID: plugin.pluginID, kind: kind, descriptor: try #require(plugin.kindDescriptor("iceberg")),
                                            mode: .paper, venue: "test", symbols: [id], parameters: parameters, risk: RiskLimits(), keepAlive: plugin))
        try engine.start()
        let script = MarketScript(symbol: id)
        for step in steps {
            switch step {
            case .book(let ms, let rows):
                let t = ms * 1_000_000
                for (n, row) in rows.enumerated() {
                    engine.process(.market(.bookDelta(BookDelta(symbol: id, tsEvent: t, tsRecv: t, side: row.0, price: Fixed8(parsing: row.1)!,
                                                                size: Fixed8(parsing: row.2)!, flags: n == rows.count - 1 ? [.endOfBatch] : []))))
                }
            case .trade(let ms, let price, let size, let aggressor):
                engine.process(.market(script.trade(atMillis: ms, price: price, size: size, aggressor: aggressor)))
            }
        }
        engine.requestStop()
        engine.run()
        return journal.recorded.signals
    }

    /// A book around 100: bids 99.99 … 99.95 and asks 100.01 … 100.05, 1 BTC each.
    static let opening: Step = .book(ms: 0, (1...5).flatMap { i in
        [(Side.buy, String(format: "%.2f", 100 - Double(i) / 100), "1"), (Side.sell, String(format: "%.2f", 100 + Double(i) / 100), "1")]
    })

    /// A bid at 99.99 that shows 0.5, is hit for 0.5 and shows 0.5 again `refills` times, then
    /// is hit and leaves the book `leaveAfter` ms later.
    static func bidIceberg(refills: Int, refillDelay: Int64 = 50, leaveAfter: Int64 = 100, start: Int64 = 1_000) -> [Step] {
        var steps: [Step] = [.book(ms: start, [(.buy, "99.99", "0.5")])]
        var t = start
        for _ in 0..<refills {
            t += 200
            steps.append(.trade(ms: t, price: "99.99", size: "0.5", aggressor: .sell))
            steps.append(.book(ms: t + refillDelay, [(.buy, "99.99", "0.5")]))
        }
        t += 200
        steps.append(.trade(ms: t, price: "99.99", size: "0.5", aggressor: .sell))
        steps.append(.book(ms: t + leaveAfter, [(.buy, "99.99", "0")]))
        return steps
    }

    @Test("a bid refilled three times becomes ACTIVE after the second refill and EXHAUSTED when the last show is eaten")
    func plantedIcebergIsActiveThenExhausted() throws {
        let signals = try Self.run([Self.opening] + Self.bidIceberg(refills: 3))
        #expect(signals.map(\.name) == ["iceberg.active", "iceberg.exhausted"])
        #expect(signals.allSatisfy { $0.direction == 1 })
        let exhausted = try #require(signals.last)
        // Executed 4 × 0.5 = 2.0; visible before the first execution 0.5: hidden 1.5.
        #expect(abs(exhausted.value - 1.5) < 1e-9)
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(exhausted.payload.utf8)) as? [String: Any])
        #expect(payload["refills"] as? Int == 3)
        #expect(payload["executed"] as? Double == 2)
        #expect(payload["peak_display"] as? Double == 0.5)
        #expect(payload["cohort"] as? String == "dolphin")  // 2 × 99.99 ≈ 200 quote
        #expect(payload["side"] as? String == "bid")
    }

    @Test("a level consumed without refill is no iceberg")
    func consumedWithoutRefill() throws {
        let steps: [Step] = [Self.opening, .trade(ms: 1_000, price: "99.99", size: "1", aggressor: .sell),
                             .book(ms: 1_010, [(.buy, "99.99", "0")]), .trade(ms: 1_100, price: "99.98", size: "0.4", aggressor: .sell),
                             .book(ms: 1_110, [(.buy, "99.98", "0.6")])]
        #expect(try Self.run(steps).isEmpty)
    }

    @Test("re-adds later than refill_ms are not refills")
    func lateReAddsAreNotRefills() throws {
        let signals = try Self.run([Self.opening] + Self.bidIceberg(refills: 4, refillDelay: 400))
        #expect(signals.isEmpty)
    }

    @Test("an iceberg pulled with no execution in the last exhaust_ms is CANCELED")
    func pulledIcebergIsCanceled() throws {
        var steps = [Self.opening] + Self.bidIceberg(refills: 3)
        steps.removeLast()  // the level does not leave after the last execution …
        steps.append(.book(ms: 1_000 + 4 * 200 + 2_500, [(.buy, "99.99", "0")]))  // … but 2.5 s later
        let signals = try Self.run(steps)
        #expect(signals.map(\.name) == ["iceberg.active", "iceberg.canceled"])
    }

    @Test("an ask iceberg lifted by buyers is a resistance (direction −1), and the bid side crossing it takes it out")
    func askIcebergCrossed() throws {
        var steps: [Step] = [Self.opening, .book(ms: 1_000, [(.sell, "100.01", "0.5")])]
        for k in 1...3 {
            steps.append(.trade(ms: 1_000 + Int64(k) * 200, price: "100.01", size: "0.5", aggressor: .buy))
            steps.append(.book(ms: 1_000 + Int64(k) * 200 + 30, [(.sell, "100.01", "0.5")]))
        }
        steps.append(.trade(ms: 1_800, price: "100.01", size: "0.2", aggressor: .buy))
        // The bid moves to 100.02 while the ask level still shows: crossed.
        steps.append(.book(ms: 1_900, [(.buy, "100.02", "1")]))
        let signals = try Self.run(steps)
        #expect(signals.map(\.name) == ["iceberg.active", "iceberg.exhausted"])
        #expect(signals.allSatisfy { $0.direction == -1 })
    }

    @Test("an iceberg whose executed notional stays below D is not reported")
    func smallIcebergsAreNotReported() throws {
        let signals = try Self.run([Self.opening] + Self.bidIceberg(refills: 3), params: ["dolphin_notional": .double(500)])
        #expect(signals.isEmpty)
    }

    @Test("a trade before the symbol's first book event is not tracked: the first book showing its level is no refill")
    func tradesBeforeTheFirstBookAreNotTracked() throws {
        // Counted from a size of 0 shown before the trade, the first book would be refill 1 and the
        // one at 1,250 refill 2: ACTIVE, then EXHAUSTED at 1,500 (1.5 × 99.99 executed ≥ D = 100).
        let steps: [Step] = [
            .trade(ms: 1_000, price: "99.99", size: "0.5", aggressor: .sell),
            .book(ms: 1_050, [(.buy, "99.99", "0.5"), (.sell, "100.01", "1")]),
            .trade(ms: 1_200, price: "99.99", size: "0.5", aggressor: .sell),
            .book(ms: 1_250, [(.buy, "99.99", "0.5")]),
            .trade(ms: 1_400, price: "99.99", size: "0.5", aggressor: .sell),
            .book(ms: 1_500, [(.buy, "99.99", "0")]),
        ]
        #expect(try Self.run(steps).isEmpty)
    }

    @Test("sizes compare in whole lots: 0.1 + 0.2 executed against 0.3 shown leaves nothing, and 0.3 re-shown is one refill")
    func sizesCompareInLots() throws {
        var steps: [Step] = [Self.opening, .book(ms: 1_000, [(.buy, "99.99", "0.3")])]
        var t: Int64 = 1_000
        for _ in 0..<2 {
            t += 200
            steps.append(.trade(ms: t, price: "99.99", size: "0.1", aggressor: .sell))
            steps.append(.trade(ms: t + 1, price: "99.99", size: "0.2", aggressor: .sell))
            steps.append(.book(ms: t + 20, [(.buy, "99.99", "0.3")]))
        }
        // A residue-sized difference is not a refill: 0.3 shown after 0.1 + 0.2 executed is the refill itself.
        let signals = try Self.run(steps, params: ["dolphin_notional": .double(10)])
        #expect(signals.map(\.name) == ["iceberg.active"])
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(signals[0].payload.utf8)) as? [String: Any])
        #expect(payload["refills"] as? Int == 2)
    }
}
