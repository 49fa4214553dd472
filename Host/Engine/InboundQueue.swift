import DequeModule
import Foundation
import Synchronization

/// The bounded queue between producers (feeds, venues, the CLI) and the engine thread.
///
/// Producers block when it is full, so market data is never silently dropped on the way
/// in; `tryPush` lets a producer that must not block shed and count instead. The engine
/// drains it in batches, which keeps the lock off the per-event path.
///
/// - Important: Any number of producers; exactly one consumer (the engine thread).
public final class InboundQueue<Element: Sendable>: @unchecked Sendable {
    // @unchecked: `storage` and `closed` are only touched while `condition` is locked.
    private let condition = NSCondition()
    private var storage: Deque<Element>
    private var closed = false
    private var waitingProducers = 0
    private var waitingConsumer = false
    public let capacity: Int
    private let highWater = Atomic<Int>(0)
    private let depthNow = Atomic<Int>(0)
    private let shed = Atomic<Int>(0)

    public init(capacity: Int) {
        precondition(capacity > 0, "queue capacity must be positive")
        self.capacity = capacity
        self.storage = Deque(minimumCapacity: min(capacity, 1 << 16))
    }

    /// Events waiting right now.
    public var depth: Int { depthNow.load(ordering: .relaxed) }
    /// The largest depth seen.
    public var highWaterMark: Int { highWater.load(ordering: .relaxed) }
    /// Events refused by `tryPush` because the queue was full.
    public var shedCount: Int { shed.load(ordering: .relaxed) }

    /// Appends an element, waiting while the queue is full. Returns false once closed.
    @discardableResult
    public func push(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while storage.count >= capacity && !closed {
            waitingProducers += 1
            condition.wait()
            waitingProducers -= 1
        }
        guard !closed else { return false }
        storage.append(element)
        noteDepthLocked()
        if waitingConsumer { condition.broadcast() }
        return true
    }

    /// Appends a batch, waiting for room as needed (a batch larger than the capacity is
    /// admitted in pieces). Returns false once closed.
    @discardableResult
    public func push<C: Collection>(contentsOf batch: C) -> Bool where C.Element == Element {
        var rest = batch[...]
        condition.lock()
        defer { condition.unlock() }
        while !rest.isEmpty {
            while storage.count >= capacity && !closed {
                waitingProducers += 1
                condition.wait()
                waitingProducers -= 1
            }
            guard !closed else { return false }
            let room = capacity - storage.count
            let piece = rest.prefix(room)
            storage.append(contentsOf: piece)
            rest = rest.dropFirst(piece.count)
            noteDepthLocked()
            if waitingConsumer { condition.broadcast() }
        }
        return true
    }

    /// Appends without waiting; false (and counted as shed) when full or closed.
    public func tryPush(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed, storage.count < capacity else {
            shed.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        storage.append(element)
        noteDepthLocked()
        if waitingConsumer { condition.broadcast() }
        return true
    }

    /// Moves up to `maximum` elements into `buffer` (which it empties first). Waits until
    /// at least one is available, the deadline (a `Date`) passes, or the queue is closed.
    /// Returns false when the queue is closed and empty: the stream has ended.
    public func drain(into buffer: inout [Element], maximum: Int, deadline: Date? = nil) -> Bool {
        buffer.removeAll(keepingCapacity: true)
        condition.lock()
        defer { condition.unlock() }
        while storage.isEmpty && !closed {
            waitingConsumer = true
            if let deadline {
                if !condition.wait(until: deadline) { waitingConsumer = false; return true }
            } else {
                condition.wait()
            }
            waitingConsumer = false
        }
        if storage.isEmpty { return !closed }
        let n = min(maximum, storage.count)
        buffer.append(contentsOf: storage.prefix(n))
        storage.removeFirst(n)
        depthNow.store(storage.count, ordering: .relaxed)
        if waitingProducers > 0 { condition.broadcast() }
        return true
    }

    /// No more elements will be accepted; the consumer drains what is left, then ends.
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

    private func noteDepthLocked() {
        let count = storage.count
        depthNow.store(count, ordering: .relaxed)
        if count > highWater.load(ordering: .relaxed) { highWater.store(count, ordering: .relaxed) }
    }
}
