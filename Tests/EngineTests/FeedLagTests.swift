import Foundation
import HostCore
import HostEngine
import Logging
import Synchronization
import Testing

/// Frame-to-engine latency: a live engine measures, from each event's `ts_recv` (wall clock) to
/// the moment it takes the event off its queue; simulated sessions have nothing to measure.
struct FeedLagTests {
    static func engine(clock: any EngineClock) -> (Engine, SymbolID) {
        var table = SymbolTable()
        let btc = table.register(Instrument.generic(symbol: "BTCUSDT", venue: "test"))
        let engine = Engine(symbols: table, configuration: EngineConfiguration(), clock: clock,
                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return (engine, btc)
    }

    static func quote(_ symbol: SymbolID, received: Int64) -> MarketEvent {
        .quote(QuoteTick(symbol: symbol, tsEvent: received, tsRecv: received, bidPrice: Fixed8(100), bidSize: Fixed8(1),
                         askPrice: Fixed8(101), askSize: Fixed8(1)))
    }

    /// Runs `engine` on a thread until every pushed input was processed.
    static func runLive(_ engine: Engine, push: () -> Int) async throws {
        try engine.start()
        let done = Atomic<Bool>(false)
        let thread = Thread {
            engine.run()
            done.store(true, ordering: .releasing)
        }
        thread.start()
        let expected = push()
        let started = ContinuousClock.now
        while engine.snapshot().eventsProcessed < expected && ContinuousClock.now - started < .seconds(60) {
            try await Task.sleep(for: .milliseconds(5))
        }
        engine.requestStop()
        while !done.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test("a live engine reports frame-to-engine latency from ts_recv to the moment it drains the event")
    func liveEngineMeasuresLag() async throws {
        let (engine, btc) = Self.engine(clock: WallClock())
        try await Self.runLive(engine) {
            let now = WallClock().now()
            // Received 50 ms ago: the lag is at least that, and far below a second.
            let events = (0..<10).map { _ in Self.quote(btc, received: now - 50_000_000) }
            engine.queue.push(contentsOf: events)
            return events.count
        }
        let lag = try #require(engine.snapshot().feedLag)
        #expect(lag.events == 10)
        #expect(lag.p50Nanos >= 49_000_000 && lag.p50Nanos < 30_000_000_000)  // far below the excluded rows' 100 s
        #expect(lag.p99Nanos >= lag.p50Nanos && lag.maxNanos >= lag.p99Nanos)
    }

    @Test("a REST snapshot's book rows and history bars are not counted as frames")
    func snapshotRowsAndHistoryAreNotCounted() async throws {
        let (engine, btc) = Self.engine(clock: WallClock())
        try await Self.runLive(engine) {
            let now = WallClock().now()
            let old = now - 100_000_000_000
            var bar = BarEvent(symbol: btc, tsEvent: old, tsRecv: old, openTime: old - 60_000_000_000, interval: 60_000_000_000,
                               open: Fixed8(1), high: Fixed8(1), low: Fixed8(1), close: Fixed8(1), volume: Fixed8(1))
            bar.isHistory = true
            let events: [MarketEvent] = [
                .bar(bar),
                .bookDelta(BookDelta(symbol: btc, tsEvent: old, tsRecv: old, side: .buy, price: Fixed8(99), size: Fixed8(1), flags: [.snapshot])),
                .bookDelta(BookDelta(symbol: btc, tsEvent: old, tsRecv: old, side: .sell, price: Fixed8(101), size: Fixed8(1), flags: [.snapshot, .endOfBatch])),
                Self.quote(btc, received: now),
            ]
            engine.queue.push(contentsOf: events)
            return events.count
        }
        let lag = try #require(engine.snapshot().feedLag)
        #expect(lag.events == 1)
        #expect(lag.maxNanos < 60_000_000_000)
    }

    @Test("a simulated engine reports no frame-to-engine latency: its ts_recv is event time")
    func simulatedEngineHasNoLag() throws {
        let (engine, btc) = Self.engine(clock: SimulatedClock())
        try engine.start()
        engine.queue.push(contentsOf: [Self.quote(btc, received: 1_000)])
        engine.queue.close()
        engine.run()
        #expect(engine.snapshot().eventsProcessed == 1)
        #expect(engine.snapshot().feedLag == nil)
    }
}
