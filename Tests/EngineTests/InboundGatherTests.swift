import Foundation
import HostCore
import HostEngine
import Testing

/// Live engines gather the inputs that arrive just after a busy batch into one drain.
struct InboundGatherTests {
    static func quote(_ n: Int) -> MarketEvent { FeedLagTests.quote(SymbolID(0), received: Int64(n)) }

    @Test("after a busy drain, inputs arriving during the gather window are taken as one batch")
    func gathersAfterABusyDrain() {
        let queue = InboundQueue(capacity: 1_024)
        var batch = InboundQueue.Batch()
        _ = queue.push(contentsOf: [Self.quote(0)])
        #expect(queue.drain(into: &batch, gatherNanos: 1_000_000_000) && batch.events.count == 1)
        // The queue is empty when the consumer looks (the producer waits 200 ms), so it sleeps
        // the gather window (2 s) before looking again; the ten inputs arrive meanwhile.
        let producer = Thread {
            Thread.sleep(forTimeInterval: 0.2)
            for n in 1...10 { _ = queue.push(contentsOf: [Self.quote(n)]) }
        }
        producer.start()
        #expect(queue.drain(into: &batch, gatherNanos: 2_000_000_000))
        #expect(batch.events.count == 10, "\(batch.events.count) of 10 in one batch")
    }

    @Test("without a busy drain before it, or with gathering off, a drain takes what is there at once")
    func noGatherWhenIdleOrOff() {
        let queue = InboundQueue(capacity: 1_024)
        var batch = InboundQueue.Batch()
        _ = queue.push(contentsOf: [Self.quote(0)])
        let started = monotonicNanos()
        #expect(queue.drain(into: &batch, gatherNanos: 0) && batch.events.count == 1)
        _ = queue.push(contentsOf: [Self.quote(1)])
        #expect(queue.drain(into: &batch, gatherNanos: 0) && batch.events.count == 1)
        #expect(monotonicNanos() - started < 500_000_000)
    }
}
