import Foundation
import HostCore
import HostEngine
import HostTesting
import Synchronization
import Testing

/// What the engine hands its input recorder.
struct RecordingTests {
    final class Capture: InputRecorder, Sendable {
        let lines = Mutex<[String]>([])
        func record(_ events: UnsafeBufferPointer<MarketEvent>) {
            lines.withLock { $0 += events.map { "event at \($0.tsRecv)" } }
        }
        func record(_ control: EngineInput) {
            lines.withLock { lines in
                switch control {
                case .timerFired(_, let id, let time): lines.append("timer \(id) at \(time)")
                case .killSwitch(let reason): lines.append("kill \(reason)")
                case .venueUpdate(let update): lines.append("venue \(update.clientOrderID)")
                case .feedStatus(let symbol, let stale, _): lines.append("feed \(symbol) stale \(stale)")
                case .tradingState(let instance, let state, _): lines.append("state \(instance) \(state)")
                case .venueCash(let instance, let amount, _): lines.append("cash \(instance) \(amount)")
                case .journalBehind(let behind): lines.append("writer behind \(behind)")
                case .market(let event): lines.append("event at \(event.tsRecv)")
                case .clock(let time): lines.append("clock \(time)")
                }
            }
        }
    }

    @Test("every market event is recorded before it is processed, and timer firings and the kill switch as they happen")
    func recordsInputsInOrder() throws {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        let capture = Capture()
        engine.recorder = capture
        try engine.addInstance(spec(2, id: "timers-recorded", symbols: [btc]))
        try engine.start()
        let script = MarketScript(symbol: btc)
        engine.process(script.quote(atMillis: 1, bid: "99", ask: "100"))
        engine.process(script.quote(atMillis: 2, bid: "99", ask: "100"))
        engine.process(.killSwitch(reason: "test"))
        engine.process(script.quote(atMillis: 3, bid: "99", ask: "100"))
        let lines = capture.lines.withLock { $0 }
        #expect(lines == [
            "event at 1000000",
            "event at 2000000", "timer 2 at 2000000", "timer 3 at 2000000",
            "kill test",
            "event at 3000000", "timer 1 at 3000000",
        ])
    }
}
