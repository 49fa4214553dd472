import HostCore

/// One side of ``BinanceBookSync``'s own book: exact price → size, in an open-addressing hash
/// table (linear probing, backward-shift deletion, at most half full).
///
/// Binance diffs touch levels anywhere in a book of thousands, so a sorted array would shift
/// memory on most inserts and deletes; here every change is O(1). Sorted order is built only
/// when asked for (``levels(depth:)``: reports and diagnostics, not the hot path).
///
/// - Complexity: ``set(price:size:)`` O(1) expected; ``levels(depth:)`` O(n log n).
public struct BinanceBookSide: Sendable {
    @usableFromInline struct Slot: Sendable {
        /// The price's raw value; 0 marks an empty slot (prices are positive).
        @usableFromInline var key: Int64
        @usableFromInline var size: Int64
        @inlinable init(key: Int64, size: Int64) {
            self.key = key
            self.size = size
        }
    }

    @usableFromInline var slots: [Slot]
    @usableFromInline var shift: Int
    /// Levels on this side.
    public private(set) var count = 0
    /// Bids sort best = highest first, asks best = lowest first.
    public let isBid: Bool

    public init(isBid: Bool) {
        self.isBid = isBid
        slots = Array(repeating: Slot(key: 0, size: 0), count: 64)
        shift = 64 - 6
    }

    public var isEmpty: Bool { count == 0 }

    @inline(__always) @usableFromInline func home(_ key: Int64) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: key) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(shift))
    }

    /// Sets the size at a price; zero removes the level. Non-positive prices are ignored
    /// (the parsers never produce them).
    @inline(__always)
    public mutating func set(price: Fixed8, size: Fixed8) {
        let key = price.raw
        guard key > 0 else { return }
        let mask = slots.count - 1
        var i = home(key)
        while true {
            let found = slots[i].key
            if found == key {
                if size.raw == 0 { remove(at: i) } else { slots[i].size = size.raw }
                return
            }
            if found == 0 {
                guard size.raw != 0 else { return }
                slots[i] = Slot(key: key, size: size.raw)
                count += 1
                if count * 2 > slots.count { grow() }
                return
            }
            i = (i + 1) & mask
        }
    }

    /// The size at a price, nil when there is no level.
    public func size(at price: Fixed8) -> Fixed8? {
        let key = price.raw
        guard key > 0 else { return nil }
        let mask = slots.count - 1
        var i = home(key)
        while slots[i].key != 0 {
            if slots[i].key == key { return Fixed8(raw: slots[i].size) }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Empties the side (keeps its capacity).
    public mutating func removeAll() {
        guard count > 0 else { return }
        for i in slots.indices { slots[i] = Slot(key: 0, size: 0) }
        count = 0
    }

    /// The best `depth` levels, best first.
    public func levels(depth: Int = .max) -> [BinanceLevel] {
        var all: [BinanceLevel] = []
        all.reserveCapacity(count)
        for slot in slots where slot.key != 0 { all.append(BinanceLevel(price: Fixed8(raw: slot.key), size: Fixed8(raw: slot.size))) }
        if isBid { all.sort { $0.price > $1.price } } else { all.sort { $0.price < $1.price } }
        return depth >= all.count ? all : Array(all.prefix(depth))
    }

    /// The best level, if any.
    public var best: BinanceLevel? {
        var best: Slot?
        for slot in slots where slot.key != 0 {
            if let current = best, isBid ? slot.key <= current.key : slot.key >= current.key { continue }
            best = slot
        }
        return best.map { BinanceLevel(price: Fixed8(raw: $0.key), size: Fixed8(raw: $0.size)) }
    }

    /// Backward-shift deletion: later entries of the probe run move up so lookups never
    /// stop early at the hole.
    @usableFromInline mutating func remove(at index: Int) {
        let mask = slots.count - 1
        var hole = index
        var next = (index + 1) & mask
        while slots[next].key != 0 {
            let wanted = home(slots[next].key)
            // Move the entry into the hole unless its home lies cyclically in (hole, next].
            let stays = hole <= next ? (wanted > hole && wanted <= next) : (wanted > hole || wanted <= next)
            if !stays {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = Slot(key: 0, size: 0)
        count -= 1
    }

    @usableFromInline mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(key: 0, size: 0), count: old.count * 2)
        shift -= 1
        let mask = slots.count - 1
        for slot in old where slot.key != 0 {
            var i = home(slot.key)
            while slots[i].key != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }
    }
}
