import HeapModule

/// Timers ordered by (due time, creation order), so that timers due at the same instant
/// fire in the order they were set — a deterministic order in replay.
public struct TimerQueue: Sendable {
    public struct Timer: Sendable, Hashable {
        public var id: UInt64
        public var owner: Int
        public var fireAt: Int64
        public var interval: Int64
        public var userTag: UInt64
    }

    private struct Entry: Comparable {
        var fireAt: Int64
        var order: UInt64
        var id: UInt64
        static func < (a: Entry, b: Entry) -> Bool { (a.fireAt, a.order) < (b.fireAt, b.order) }
    }

    private var heap = Heap<Entry>()
    private var timers: [UInt64: Timer] = [:]
    private var nextID: UInt64 = 1
    private var nextOrder: UInt64 = 0

    public init() {}

    public var count: Int { timers.count }

    /// No timer is due before this time (canceled entries may make it early, never late);
    /// lets the engine skip the queue on events before it.
    public private(set) var earliestBound: Int64 = .max

    private mutating func updateBound() { earliestBound = heap.min?.fireAt ?? .max }

    /// Due time of the earliest live timer.
    public mutating func nextDue() -> Int64? {
        while let top = heap.min {
            if let timer = timers[top.id], timer.fireAt == top.fireAt {
                earliestBound = top.fireAt
                return top.fireAt
            }
            _ = heap.removeMin()  // canceled or rescheduled: drop lazily
        }
        earliestBound = .max
        return nil
    }

    public mutating func add(owner: Int, fireAt: Int64, interval: Int64, userTag: UInt64) -> UInt64 {
        let id = nextID
        nextID += 1
        timers[id] = Timer(id: id, owner: owner, fireAt: fireAt, interval: max(0, interval), userTag: userTag)
        heap.insert(Entry(fireAt: fireAt, order: nextOrder, id: id))
        nextOrder += 1
        updateBound()
        return id
    }

    /// Cancels one timer; false when it is unknown or already done (or not the owner's).
    public mutating func cancel(_ id: UInt64, owner: Int) -> Bool {
        guard let timer = timers[id], timer.owner == owner else { return false }
        timers[id] = nil
        return true
    }

    /// Cancels every timer of an owner (when an instance stops).
    public mutating func cancelAll(owner: Int) {
        timers = timers.filter { $0.value.owner != owner }
    }

    /// Removes and returns the earliest timer due at or before `time`; a repeating timer
    /// is rescheduled `interval` after its due time.
    public mutating func popDue(atOrBefore time: Int64) -> Timer? {
        guard let due = nextDue(), due <= time, let entry = heap.popMin(), let timer = timers[entry.id] else { return nil }
        if timer.interval > 0 {
            var next = timer
            next.fireAt = timer.fireAt + timer.interval
            timers[timer.id] = next
            heap.insert(Entry(fireAt: next.fireAt, order: nextOrder, id: timer.id))
            nextOrder += 1
        } else {
            timers[timer.id] = nil
        }
        updateBound()
        return timer
    }
}
