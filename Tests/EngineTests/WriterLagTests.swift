import Foundation
import HostCore
import HostEngine
import HostExecution
import HostPlugins
import HostTesting
import Logging
import Synchronization
import Testing

/// The persistence writer falling behind: a live session halts trading, as a recorded
/// input that a replay reproduces; a simulated session never reads the writer's state.
struct WriterLagTests {
    /// Collects what the engine records into one block, as the session recorder would.
    final class BlockCollector: InputRecorder, Sendable {
        private let state = Mutex(RecordedBlock(firstSeq: 0))
        func record(_ events: UnsafeBufferPointer<MarketEvent>) { state.withLock { $0.events.append(contentsOf: events) } }
        func record(_ control: EngineInput) {
            state.withLock { $0.controls.append(RecordedControl(position: $0.events.count, input: control)) }
        }
        var block: RecordedBlock { state.withLock { $0 } }
    }

    static func engine(clock: any EngineClock, journal: RecordingJournal) throws -> (Engine, SymbolID) {
        var table = SymbolTable()
        let btc = table.register(Instrument.generic(symbol: "BTCUSDT", venue: "test"))
        let plugin = try emaBenchRegistry.load(path: try emaBenchRegistry.loader.locator.locate("ema_bench.so"))
        let kind = try #require(plugin.kind("ema"))
        var parameters = ResolvedParameters(specs: kind.parameters, symbolCount: 1)
        parameters.set("order_every", .int(2))
        var risk = RiskLimits()
        risk.maxOrdersPerSecond = 1_000_000
        risk.priceBandBps = 10_000
        let engine = Engine(symbols: table, configuration: EngineConfiguration(paperVenue: PaperVenueConfig(feeModel: .none, latencyNs: 0)),
                            clock: clock, journal: journal, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try engine.addInstance(InstanceSpec(id: "ema", pluginID: plugin.pluginID, kind: kind, descriptor: try #require(plugin.kindDescriptor("ema")),
                                            mode: .paper, venue: "test", symbols: [btc], parameters: parameters, risk: risk, keepAlive: plugin))
        return (engine, btc)
    }

    static func quotes(_ symbol: SymbolID, count: Int, from start: Int64) -> [MarketEvent] {
        (0..<count).map { i in
            let t = start + Int64(i) * 1_000_000
            let bid = Fixed8(100 + i % 3)
            return .quote(QuoteTick(symbol: symbol, tsEvent: t, tsRecv: t, bidPrice: bid, bidSize: Fixed8(5),
                                    askPrice: bid + Fixed8(raw: 50_000_000), askSize: Fixed8(5)))
        }
    }

    static func decisions(_ journal: RecordingJournal) -> [String] {
        journal.recorded.updates.map { "\($0.clientOrderID) \($0.status) \($0.denyReason.map { "\($0)" } ?? "-")" }
    }

    @Test("a live session halts orders while the writer is behind, records the halt, and a replay denies the same orders")
    func liveHaltIsRecordedAndReplayed() throws {
        let journal = RecordingJournal()
        let (live, btc) = try Self.engine(clock: WallClock(), journal: journal)
        let collector = BlockCollector()
        live.recorder = collector
        try live.start()
        let start = WallClock().now()
        for (index, behind) in [false, true, false].enumerated() {
            journal.setOverloaded(behind)
            Self.quotes(btc, count: 10, from: start + Int64(index) * 10_000_000).withUnsafeBufferPointer { live.process($0) }
        }
        live.requestStop()
        live.run()

        let recorded = Self.decisions(journal)
        let denied = journal.recorded.updates.filter { $0.status == .denied }
        #expect(denied.count == 5)
        #expect(denied.allSatisfy { $0.denyReason == .tradingHalted && $0.reason.contains("persistence writer") })
        #expect(journal.recorded.alerts.map(\.type) == ["writer_behind", "writer_caught_up"])
        #expect(live.snapshot().journalHalts == 1)

        // The halt travels in the recording (through its stable encoding) ...
        let block = try InputCodec.decode(InputCodec.encode(collector.block))
        let halts = block.controls.compactMap { control -> Bool? in
            if case .journalBehind(let behind) = control.input { return behind } else { return nil }
        }
        #expect(halts == [true, false])

        // ... and a replay on the simulated clock, whose own writer is never behind, denies the same orders.
        let replayJournal = RecordingJournal()
        let (replay, _) = try Self.engine(clock: SimulatedClock(), journal: replayJournal)
        try replay.start()
        replay.process(block)
        replay.requestStop()
        replay.run()
        #expect(Self.decisions(replayJournal) == recorded)
    }

    @Test("a simulated session never denies an order because the writer is behind")
    func simulatedSessionIgnoresWriterLag() throws {
        let journal = RecordingJournal()
        journal.setOverloaded(true)
        let (engine, btc) = try Self.engine(clock: SimulatedClock(), journal: journal)
        try engine.start()
        Self.quotes(btc, count: 20, from: 1_000_000_000).withUnsafeBufferPointer { engine.process($0) }
        engine.requestStop()
        engine.run()
        #expect(journal.recorded.orders.count == 10)
        #expect(!journal.recorded.updates.contains { $0.status == .denied })
        #expect(journal.usedBackpressure)
    }
}
