/// One side of an L2 book: levels kept sorted so that the best level is last, which
/// makes the common case (changes near the top of the book) cheap.
public struct BookSide: Sendable {
    /// Sort keys, ascending: the price for bids, the negated price for asks.
    @usableFromInline var keys: [Int64] = []
    @usableFromInline var sizes: [Int64] = []
    @usableFromInline let isBid: Bool

    public init(isBid: Bool) { self.isBid = isBid }

    @inlinable public var count: Int { keys.count }
    @inlinable public var isEmpty: Bool { keys.isEmpty }

    @inlinable func key(_ price: Fixed8) -> Int64 { isBid ? price.raw : -price.raw }

    /// First index whose key is >= `key`.
    @inlinable func lowerBound(_ key: Int64) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let mid = (low &+ high) >> 1
            if keys[mid] < key { low = mid &+ 1 } else { high = mid }
        }
        return low
    }

    /// Sets the size at a price; zero removes the level.
    ///
    /// - Complexity: O(log n) to find the level, plus O(distance from the top) to
    ///   insert or remove.
    @inlinable public mutating func set(price: Fixed8, size: Fixed8) {
        let k = key(price)
        // Fast path: the best level.
        if let last = keys.last, last == k {
            if size.raw == 0 { keys.removeLast(); sizes.removeLast() } else { sizes[sizes.count - 1] = size.raw }
            return
        }
        let index = lowerBound(k)
        if index < keys.count, keys[index] == k {
            if size.raw == 0 {
                keys.remove(at: index)
                sizes.remove(at: index)
            } else {
                sizes[index] = size.raw
            }
        } else if size.raw != 0 {
            keys.insert(k, at: index)
            sizes.insert(size.raw, at: index)
        }
    }

    public mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        sizes.removeAll(keepingCapacity: true)
    }

    /// The n-th best level (0 = best), or nil.
    @inlinable public func level(_ n: Int) -> (price: Fixed8, size: Fixed8)? {
        let index = keys.count - 1 - n
        guard index >= 0, n >= 0 else { return nil }
        return (Fixed8(raw: isBid ? keys[index] : -keys[index]), Fixed8(raw: sizes[index]))
    }

    @inlinable public var best: (price: Fixed8, size: Fixed8)? { level(0) }

    /// Levels best first.
    public func levels(depth: Int = .max) -> [(price: Fixed8, size: Fixed8)] {
        var result: [(price: Fixed8, size: Fixed8)] = []
        result.reserveCapacity(min(depth, keys.count))
        var n = 0
        while n < depth, let level = level(n) {
            result.append(level)
            n += 1
        }
        return result
    }
}

/// The host's L2 order book for one instrument.
///
/// - Important: Owned by the engine thread; plugins read it through host services.
public struct OrderBook: Sendable {
    public var bids = BookSide(isBid: true)
    public var asks = BookSide(isBid: false)
    /// Venue time of the last change applied.
    public var lastUpdate: Int64 = 0

    public init() {}

    public func side(_ side: Side) -> BookSide { side == .buy ? bids : asks }

    /// Applies a batch: a snapshot first clears each side it names (both when it names
    /// none), then every change is set in order.
    public mutating func apply(_ update: BookUpdate) {
        if update.isSnapshot {
            let namesBids = update.changes.contains { $0.side == .buy }
            let namesAsks = update.changes.contains { $0.side == .sell }
            if namesBids || !namesAsks { bids.removeAll() }
            if namesAsks || !namesBids { asks.removeAll() }
        }
        for change in update.changes { apply(change) }
        lastUpdate = update.tsEvent
    }

    @inlinable public mutating func apply(_ change: BookChange) {
        if change.side == .buy { bids.set(price: change.price, size: change.size) } else { asks.set(price: change.price, size: change.size) }
    }

    /// Replaces the top of book from a quote (for venues that only send quotes).
    public mutating func apply(_ quote: QuoteTick) {
        bids.removeAll()
        asks.removeAll()
        if quote.bidSize.raw > 0 { bids.set(price: quote.bidPrice, size: quote.bidSize) }
        if quote.askSize.raw > 0 { asks.set(price: quote.askPrice, size: quote.askSize) }
        lastUpdate = quote.tsEvent
    }

    /// (best bid + best ask) / 2 when both sides exist.
    public var mid: Double? {
        guard let bid = bids.best, let ask = asks.best else { return nil }
        return (bid.price.double + ask.price.double) / 2
    }
}
