/// One side of an L2 book: levels kept sorted so that the best level is last, which
/// makes the common case (changes near the top of the book) cheap.
public struct BookSide: Sendable {
    /// A level: its sort key (the price for bids, the negated price for asks) and size.
    @usableFromInline struct Level: Sendable {
        @usableFromInline var key: Int64
        @usableFromInline var size: Int64
        @inlinable init(key: Int64, size: Int64) {
            self.key = key
            self.size = size
        }
    }

    /// Ascending by key, so the best level is last; one array (one uniqueness check per change).
    @usableFromInline var levels: [Level] = []
    @usableFromInline let isBid: Bool

    public init(isBid: Bool) { self.isBid = isBid }

    @inlinable public var count: Int { levels.count }
    @inlinable public var isEmpty: Bool { levels.isEmpty }

    @inlinable func key(_ price: Fixed8) -> Int64 { isBid ? price.raw : -price.raw }

    /// First index whose key is >= `key`. Most changes touch the top of the book (the end of
    /// the array), so the last 16 levels are scanned first; the rest by binary search.
    @inlinable func lowerBound(_ key: Int64) -> Int {
        var index = levels.count
        let stop = Swift.max(0, index - 16)
        while index > stop {
            if levels[index - 1].key < key { return index }
            index -= 1
        }
        var low = 0
        var high = index
        while low < high {
            let mid = (low &+ high) >> 1
            if levels[mid].key < key { low = mid &+ 1 } else { high = mid }
        }
        return low
    }

    /// Sets the size at a price; zero removes the level.
    ///
    /// - Complexity: O(log n) to find the level, plus O(distance from the top) to
    ///   insert or remove.
    @inlinable public mutating func set(price: Fixed8, size: Fixed8) {
        set(key: key(price), size: size.raw)
    }

    /// `set(price:size:)` by sort key and raw size; returns the level's raw size before (0 when absent).
    @inlinable @discardableResult mutating func set(key k: Int64, size: Int64) -> Int64 {
        // Fast path: the best level.
        if let last = levels.last, last.key == k {
            if size == 0 { levels.removeLast() } else { levels[levels.count - 1].size = size }
            return last.size
        }
        let index = lowerBound(k)
        if index < levels.count, levels[index].key == k {
            let previous = levels[index].size
            if size == 0 {
                levels.remove(at: index)
            } else {
                levels[index].size = size
            }
            return previous
        } else if size != 0 {
            if index == levels.count { levels.append(Level(key: k, size: size)) } else { levels.insert(Level(key: k, size: size), at: index) }
        }
        return 0
    }

    /// The size at a price (zero when there is no such level).
    public func size(at price: Fixed8) -> Fixed8 {
        let k = key(price)
        let index = lowerBound(k)
        return index < levels.count && levels[index].key == k ? Fixed8(raw: levels[index].size) : .zero
    }

    /// Makes `price`/`size` the only level (none when size is zero): a quote's side.
    @inlinable public mutating func setOnly(price: Fixed8, size: Fixed8) {
        if size.raw == 0 {
            if !levels.isEmpty { removeAll() }
        } else if levels.count == 1 {
            levels[0] = Level(key: key(price), size: size.raw)
        } else {
            removeAll()
            levels.append(Level(key: key(price), size: size.raw))
        }
    }

    public mutating func removeAll() {
        levels.removeAll(keepingCapacity: true)
    }

    /// The n-th best level (0 = best), or nil.
    @inlinable public func level(_ n: Int) -> (price: Fixed8, size: Fixed8)? {
        let index = levels.count - 1 - n
        guard index >= 0, n >= 0 else { return nil }
        let level = levels[index]
        return (Fixed8(raw: isBid ? level.key : -level.key), Fixed8(raw: level.size))
    }

    @inlinable public var best: (price: Fixed8, size: Fixed8)? { level(0) }

    /// Levels best first.
    public func levels(depth: Int = .max) -> [(price: Fixed8, size: Fixed8)] {
        var result: [(price: Fixed8, size: Fixed8)] = []
        result.reserveCapacity(min(depth, levels.count))
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
    /// Whether the current snapshot already cleared a side (see `apply(_: BookDelta)`).
    @usableFromInline var snapshotClearedBids = false
    @usableFromInline var snapshotClearedAsks = false

    public init() {}

    public func side(_ side: Side) -> BookSide { side == .buy ? bids : asks }

    @inlinable public mutating func apply(_ change: BookChange) {
        if change.side == .buy { bids.set(price: change.price, size: change.size) } else { asks.set(price: change.price, size: change.size) }
    }

    /// Applies one L2 row. The first snapshot row of a side after a non-snapshot row or a
    /// batch end clears that side, so a snapshot replaces what it names.
    @inlinable public mutating func apply(_ delta: BookDelta) {
        if delta.isSnapshot {
            if delta.side == .buy {
                if !snapshotClearedBids { bids.removeAll(); snapshotClearedBids = true }
            } else if !snapshotClearedAsks {
                asks.removeAll()
                snapshotClearedAsks = true
            }
        } else {
            snapshotClearedBids = false
            snapshotClearedAsks = false
        }
        if delta.side == .buy { bids.set(price: delta.price, size: delta.size) } else { asks.set(price: delta.price, size: delta.size) }
        if delta.isEndOfBatch {
            snapshotClearedBids = false
            snapshotClearedAsks = false
        }
        lastUpdate = delta.tsEvent
    }

    /// `apply(_: BookDelta)` that also records in `log` how to undo the row (the level's size
    /// before it, and a side's levels before a snapshot cleared it), so `before(undoing:)` can
    /// show the book as it was before the message being received.
    @inlinable public mutating func apply(_ delta: BookDelta, recording log: inout BookUndoLog) {
        if delta.isSnapshot {
            if delta.side == .buy {
                if !snapshotClearedBids {
                    log.cleared(isBid: true, bids.levels)
                    bids.removeAll()
                    snapshotClearedBids = true
                }
            } else if !snapshotClearedAsks {
                log.cleared(isBid: false, asks.levels)
                asks.removeAll()
                snapshotClearedAsks = true
            }
        } else {
            snapshotClearedBids = false
            snapshotClearedAsks = false
        }
        if delta.side == .buy {
            let k = bids.key(delta.price)
            log.entries.append(BookUndoLog.Entry(isBid: true, key: k, previous: bids.set(key: k, size: delta.size.raw)))
        } else {
            let k = asks.key(delta.price)
            log.entries.append(BookUndoLog.Entry(isBid: false, key: k, previous: asks.set(key: k, size: delta.size.raw)))
        }
        if delta.isEndOfBatch {
            snapshotClearedBids = false
            snapshotClearedAsks = false
        }
        lastUpdate = delta.tsEvent
    }

    /// This book with the rows recorded in `log` undone, last first: the book as it was before them.
    public func before(undoing log: BookUndoLog) -> OrderBook {
        var book = self
        var k = log.entries.count - 1
        while k >= 0 {
            let entry = log.entries[k]
            if entry.previous == .min {
                if entry.isBid { book.bids.levels = log.clearedBids } else { book.asks.levels = log.clearedAsks }
            } else if entry.isBid {
                book.bids.set(key: entry.key, size: entry.previous)
            } else {
                book.asks.set(key: entry.key, size: entry.previous)
            }
            k -= 1
        }
        return book
    }

    /// Replaces the top of book from a quote (for venues that only send quotes).
    @inlinable public mutating func apply(_ quote: QuoteTick) {
        bids.setOnly(price: quote.bidPrice, size: quote.bidSize)
        asks.setOnly(price: quote.askPrice, size: quote.askSize)
        lastUpdate = quote.tsEvent
    }

    /// (best bid + best ask) / 2 when both sides exist.
    public var mid: Double? {
        guard let bid = bids.best, let ask = asks.best else { return nil }
        return (bid.price.double + ask.price.double) / 2
    }
}

/// What the rows of the L2 message being received changed in a book (`OrderBook.apply(_:recording:)`),
/// so the book before the message can be rebuilt (`OrderBook.before(undoing:)`).
public struct BookUndoLog: Sendable {
    @usableFromInline struct Entry: Sendable {
        @usableFromInline var isBid: Bool
        @usableFromInline var key: Int64
        /// The level's raw size before the row; `.min`: a snapshot cleared the side (its levels before
        /// are `clearedBids`/`clearedAsks`).
        @usableFromInline var previous: Int64
        @inlinable init(isBid: Bool, key: Int64, previous: Int64) {
            self.isBid = isBid
            self.key = key
            self.previous = previous
        }
    }

    @usableFromInline var entries: [Entry] = []
    @usableFromInline var clearedBids: [BookSide.Level] = []
    @usableFromInline var clearedAsks: [BookSide.Level] = []

    public init() {}

    /// True when nothing is recorded: the book is the book before the message.
    @inlinable public var isEmpty: Bool { entries.isEmpty }

    @inlinable mutating func cleared(isBid: Bool, _ levels: [BookSide.Level]) {
        if isBid { clearedBids = levels } else { clearedAsks = levels }
        entries.append(Entry(isBid: isBid, key: 0, previous: .min))
    }

    /// Forgets the message (after it was delivered).
    @inlinable public mutating func removeAll() {
        guard !entries.isEmpty else { return }
        entries.removeAll(keepingCapacity: true)
        if !clearedBids.isEmpty { clearedBids = [] }
        if !clearedAsks.isEmpty { clearedAsks = [] }
    }
}
