import Foundation
import HostCore
import Synchronization

/// The bounded queue between producers (feeds, venues, the CLI) and the engine thread.
///
/// Market events are trivially copyable and travel in one contiguous array that producers
/// append to and the engine takes whole by swapping arrays, so a batch moves without copying
/// or reference counting. The rare control inputs (venue order updates, the kill switch) go
/// in a side list that records how many market events precede each, which keeps the exact
/// arrival order. Producers block when the queue is full, so market data is never silently
/// dropped on the way in; `tryPush` lets a producer that must not block shed and count instead.
///
/// - Important: Any number of producers; exactly one consumer (the engine thread).
public final class InboundQueue: @unchecked Sendable {
    // @unchecked: `events`, `controls` and `closed` are only touched while `condition` is locked.
    private let condition = NSCondition()
    private var events: [MarketEvent] = []
    private var controls: [Control] = []
    private var closed = false
    private var waitingProducers = 0
    private var waitingConsumer = false
    /// Whether the consumer's last drain took inputs (consumer-side only).
    private var tookLast = false
    public let capacity: Int
    private let highWater = Atomic<Int>(0)
    private let depthNow = Atomic<Int>(0)
    private let shed = Atomic<Int>(0)

    /// A control input and the number of market events of its batch that come before it.
    public struct Control: Sendable {
        public var position: Int
        public var input: EngineInput
    }

    /// What one `drain` hands the engine: market events in order, and control inputs with
    /// their positions among them.
    public struct Batch {
        public var events: [MarketEvent] = []
        public var controls: [Control] = []
        public init() {}
        public var isEmpty: Bool { events.isEmpty && controls.isEmpty }
    }

    public init(capacity: Int) {
        precondition(capacity > 0, "queue capacity must be positive")
        self.capacity = capacity
        events.reserveCapacity(min(capacity, 1 << 16))
    }

    /// Inputs waiting right now.
    public var depth: Int { depthNow.load(ordering: .relaxed) }
    /// The largest depth seen.
    public var highWaterMark: Int { highWater.load(ordering: .relaxed) }
    /// Inputs refused by `tryPush` because the queue was full.
    public var shedCount: Int { shed.load(ordering: .relaxed) }

    /// Appends one input, waiting while the queue is full. Returns false once closed.
    @discardableResult
    public func push(_ input: EngineInput) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard waitForRoomLocked() else { return false }
        appendLocked(input)
        return true
    }

    /// Appends market events in order, waiting for room as needed (a batch larger than the
    /// capacity is admitted in pieces). Returns false once closed.
    @discardableResult
    public func push(contentsOf batch: UnsafeBufferPointer<MarketEvent>) -> Bool {
        var start = 0
        condition.lock()
        defer { condition.unlock() }
        while start < batch.count {
            guard waitForRoomLocked() else { return false }
            let n = min(capacity - countLocked, batch.count - start)
            events.append(contentsOf: UnsafeBufferPointer(rebasing: batch[start..<(start + n)]))
            start += n
            noteDepthLocked()
            if waitingConsumer { condition.signal() }
        }
        return true
    }

    /// Appends market events in order; see `push(contentsOf:)`.
    @discardableResult
    public func push(contentsOf batch: [MarketEvent]) -> Bool {
        batch.withUnsafeBufferPointer { push(contentsOf: $0) }
    }

    /// Appends without waiting; false (and counted as shed) when full or closed.
    public func tryPush(_ input: EngineInput) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed, countLocked < capacity else {
            shed.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        appendLocked(input)
        return true
    }

    /// Takes everything waiting into `batch` (whose arrays it empties and reuses as the next
    /// storage). Waits until something is available, the deadline passes, or the queue is
    /// closed. Returns false when the queue is closed and empty: the stream has ended.
    ///
    /// `gatherNanos` > 0 (live engines): when the previous drain took inputs and the queue is
    /// empty now, the consumer first sleeps that long without asking to be woken, so inputs that
    /// arrive meanwhile are taken as one batch instead of each waking the engine thread (a
    /// wake-up per WebSocket frame cost a third of the host's CPU at 60 k frames/s). While
    /// inputs keep coming this bounds wake-ups to one per `gatherNanos`; once the queue stays
    /// empty the consumer waits to be woken as before.
    public func drain(into batch: inout Batch, deadline: Date? = nil, gatherNanos: Int64 = 0) -> Bool {
        batch.events.removeAll(keepingCapacity: true)
        batch.controls.removeAll(keepingCapacity: true)
        if gatherNanos > 0 && tookLast {
            condition.lock()
            let empty = countLocked == 0 && !closed
            condition.unlock()
            if empty {
                var request = timespec(tv_sec: Int(gatherNanos / 1_000_000_000), tv_nsec: Int(gatherNanos % 1_000_000_000))
                var remaining = timespec()
                while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
            }
        }
        condition.lock()
        defer { condition.unlock() }
        while countLocked == 0 && !closed {
            waitingConsumer = true
            if let deadline {
                if !condition.wait(until: deadline) { waitingConsumer = false; return true }
            } else {
                condition.wait()
            }
            waitingConsumer = false
        }
        tookLast = countLocked > 0
        if countLocked == 0 { return !closed }
        swap(&events, &batch.events)
        swap(&controls, &batch.controls)
        depthNow.store(0, ordering: .relaxed)
        if waitingProducers > 0 { condition.broadcast() }
        return true
    }

    /// No more inputs will be accepted; the consumer drains what is left, then ends.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    public var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    private var countLocked: Int { events.count + controls.count }

    /// Waits while full; false when closed.
    private func waitForRoomLocked() -> Bool {
        while countLocked >= capacity && !closed {
            waitingProducers += 1
            condition.wait()
            waitingProducers -= 1
        }
        return !closed
    }

    private func appendLocked(_ input: EngineInput) {
        if case .market(let event) = input {
            events.append(event)
        } else {
            controls.append(Control(position: events.count, input: input))
        }
        noteDepthLocked()
        if waitingConsumer { condition.signal() }
    }

    private func noteDepthLocked() {
        let count = countLocked
        depthNow.store(count, ordering: .relaxed)
        if count > highWater.load(ordering: .relaxed) { highWater.store(count, ordering: .relaxed) }
    }
}
