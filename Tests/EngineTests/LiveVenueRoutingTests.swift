import Foundation
import HostCore
import HostEngine
import HostExecution
import HostTesting
import Synchronization
import Testing

/// A live venue that records what the engine hands it (the adapter's contract: enqueue only).
final class CapturingVenue: LiveVenue {
    let name = "test"
    let submitted = Mutex<[OrderRequest]>([])
    let canceled = Mutex<[ClientOrderID]>([])
    func submit(_ order: OrderRequest, instrument: Instrument) { submitted.withLock { $0.append(order) } }
    func cancel(_ id: ClientOrderID, symbol: HostCore.SymbolID) { canceled.withLock { $0.append(id) } }
}

/// Live instances: orders go to the attached live venue, its updates come back as inputs.
@Suite("Live venue routing")
struct LiveVenueRoutingTests {
    struct Fixture {
        let engine: Engine
        let venue = CapturingVenue()
        let journal = RecordingJournal()
        let btc: HostCore.SymbolID
        let id = "live-\(UUID().uuidString)"
        init(attach: Bool = true, script: String = "market") throws {
            let (table, btc, _) = twoSymbols()
            self.btc = btc
            engine = Engine(symbols: table, configuration: EngineConfiguration(allowLive: true), clock: SimulatedClock(), journal: journal)
            if attach { engine.attachLiveVenue(venue) }
            var s = spec(1, id: id, symbols: [btc], params: ["script": .string(script)])
            s.mode = .live
            try engine.addInstance(s)
        }

        func quote(at t: Int64) {
            engine.process(.market(.quote(QuoteTick(symbol: btc, tsEvent: t, tsRecv: t, bidPrice: Fixed8(100), bidSize: Fixed8(5),
                                                    askPrice: Fixed8(101), askSize: Fixed8(5)))))
        }
    }

    @Test("a live instance needs a live adapter for its venue")
    func liveInstanceNeedsAdapter() throws {
        #expect(throws: EngineError.self) { _ = try Fixture(attach: false) }
    }

    @Test("a live instance's order goes to its live venue, not the paper venue, and is reported submitted")
    func orderGoesToLiveVenue() throws {
        let f = try Fixture()
        try f.engine.start()
        f.quote(at: 1_000)
        let sent = f.venue.submitted.withLock { $0 }
        #expect(sent.count == 1)
        #expect(sent.first?.mode == .live)
        #expect(f.journal.recorded.updates.map(\.status) == [.submitted])
    }

    @Test("venue updates move the live order through accepted to filled and book the fill in the live account")
    func venueUpdatesBookFills() throws {
        let f = try Fixture()
        try f.engine.start()
        f.quote(at: 1_000)
        let order = try #require(f.venue.submitted.withLock { $0.first })
        func update(_ status: OrderStatus, fill: Decimal = 0) -> OrderUpdate {
            OrderUpdate(clientOrderID: order.clientOrderID, instance: order.instance, symbol: order.symbol, side: order.side, status: status,
                        lastFillPrice: fill > 0 ? 101 : 0, lastFillSize: fill, filledSize: fill, remainingSize: order.size - fill,
                        averageFillPrice: fill > 0 ? 101 : 0, venueOrderID: "0xabc", timestamp: 2_000)
        }
        f.engine.process(.venueUpdate(update(.accepted)))
        f.engine.process(.venueUpdate(update(.filled, fill: order.size)))
        #expect(f.journal.recorded.updates.map(\.status) == [.submitted, .accepted, .filled])
        #expect(f.journal.recorded.fills.count == 1)
        #expect(f.journal.recorded.fills.first?.mode == .live)
    }

    @Test("canceling a live order, or the kill switch, asks the live venue to cancel it")
    func killSwitchCancelsAtVenue() throws {
        let f = try Fixture()
        try f.engine.start()
        f.quote(at: 1_000)
        f.engine.process(.killSwitch(reason: "test"))
        #expect(f.venue.canceled.withLock { $0 } == f.venue.submitted.withLock { $0.map(\.clientOrderID) })
    }

    @Test("a venue-reported trading state pauses the instance: its next order is denied with the venue's reason")
    func venueTradingStatePauses() throws {
        let f = try Fixture()
        try f.engine.start()
        f.engine.process(.tradingState(instance: 0, state: .halted, reason: "venue in cancel-only mode"))
        f.quote(at: 1_000)
        #expect(f.venue.submitted.withLock { $0 }.isEmpty)
        #expect(f.journal.recorded.updates.first?.status == .denied)
    }

    @Test("a venue lifting its own pause restores the state from before it")
    func venueResumeRestoresState() throws {
        let f = try Fixture()
        try f.engine.start()
        f.engine.process(.tradingState(instance: 0, state: .reducing, reason: "cancel-only"))
        #expect(f.journal.recorded.tradingStates[f.id]?.state == .reducing)
        f.engine.process(.tradingState(instance: 0, state: .active, reason: "pause elapsed"))
        #expect(f.journal.recorded.tradingStates[f.id]?.state == .active)
    }

    @Test("a venue cannot lift a state it did not set")
    func venueCannotLiftOthersState() throws {
        let f = try Fixture()
        try f.engine.start()
        f.engine.process(.tradingState(instance: 0, state: .active, reason: "stray resume"))
        #expect(f.journal.recorded.tradingStates[f.id] == nil)
    }

    @Test("the cash the venue reported at reconciliation replaces the configured starting cash of a live instance")
    func venueCashApplied() throws {
        let f = try Fixture()
        f.engine.setVenueCash(1234.5, instanceID: f.id, quoteAsset: "USDT")
        try f.engine.start()
        f.engine.process(.killSwitch(reason: "publish"))
        f.engine.requestStop()
        f.engine.run()
        #expect(f.engine.snapshot().instances.first?.cash == Decimal(string: "1234.5"))
    }

    /// Collects every input into one recorded block, as the session recorder does.
    final class BlockCapture: InputRecorder {
        let block = Mutex(RecordedBlock(firstSeq: 1))
        func record(_ events: UnsafeBufferPointer<MarketEvent>) { block.withLock { $0.events.append(contentsOf: events) } }
        func record(_ control: EngineInput) {
            block.withLock { $0.controls.append(RecordedControl(position: $0.events.count, input: control)) }
        }
    }

    @Test("a recorded live session replays to the same orders, outcomes and cash against its recorded venue outcomes")
    func liveSessionReplays() throws {
        let f = try Fixture()
        let capture = BlockCapture()
        f.engine.recorder = capture
        f.engine.setVenueCash(500, instanceID: f.id, quoteAsset: "USDT")
        try f.engine.start()
        f.quote(at: 1_000)
        let order = try #require(f.venue.submitted.withLock { $0.first })
        for (status, fill) in [(OrderStatus.accepted, Decimal(0)), (.filled, order.size)] {
            f.engine.process(.venueUpdate(OrderUpdate(clientOrderID: order.clientOrderID, instance: order.instance, symbol: order.symbol, side: order.side,
                                                      status: status, lastFillPrice: fill > 0 ? 101 : 0, lastFillSize: fill, filledSize: fill,
                                                      remainingSize: order.size - fill, averageFillPrice: fill > 0 ? 101 : 0, timestamp: 2_000)))
        }
        f.engine.requestStop()
        f.engine.run()

        let (table, btc, _) = twoSymbols()
        let journal = RecordingJournal()
        let replay = Engine(symbols: table, configuration: EngineConfiguration(allowLive: true), clock: SimulatedClock(), journal: journal)
        replay.attachLiveVenue(RecordedOutcomesVenue(name: "test"))
        var s = spec(1, id: f.id, symbols: [btc], params: ["script": .string("market")])
        s.mode = .live
        try replay.addInstance(s)
        try replay.start()
        replay.process(capture.block.withLock { $0 })
        replay.requestStop()
        replay.run()
        #expect(journal.recorded.updates.map(\.status) == f.journal.recorded.updates.map(\.status))
        #expect(journal.recorded.orders.map(\.size) == f.journal.recorded.orders.map(\.size))
        #expect(replay.snapshot().instances.first?.cash == f.engine.snapshot().instances.first?.cash)
        #expect(replay.snapshot().instances.first?.cash == 500 - order.size * 101)
    }
}
