/// The last `capacity` values of a series, oldest first by offset: appending to a full window
/// overwrites the oldest in place (no shifting per value). For indicators that look back over a
/// fixed number of bars (swings, breakouts, divergences).
public struct RingWindow<Element> {
    @usableFromInline var storage: [Element] = []
    @usableFromInline var head = 0
    public let capacity: Int

    @inlinable public init(capacity: Int) {
        precondition(capacity > 0, "window capacity must be positive")
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    @inlinable public var count: Int { storage.count }
    @inlinable public var isFull: Bool { storage.count == capacity }

    /// Appends, dropping the oldest when full.
    @inlinable public mutating func append(_ value: Element) {
        if storage.count < capacity {
            storage.append(value)
        } else {
            storage[head] = value
            head = head + 1 == capacity ? 0 : head + 1
        }
    }

    /// The `offset`-th oldest value (0 ..< count).
    @inlinable public subscript(_ offset: Int) -> Element {
        let i = head + offset
        return storage[i < storage.count ? i : i - storage.count]
    }
}

extension RingWindow: Sendable where Element: Sendable {}
