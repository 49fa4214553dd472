import HostCore

/// The engine's L2 books, one per symbol, in fixed memory: updating a book in place costs
/// no copy-on-write check of an enclosing array on every market event.
///
/// - Important: Confined to the engine thread, like the engine's other state.
final class BookStore {
    let count: Int
    /// The books' memory, valid while the store lives.
    let base: UnsafeMutablePointer<OrderBook>

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: OrderBook(), count: count)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    subscript(index: Int) -> OrderBook {
        unsafeAddress { UnsafePointer(base + index) }
        unsafeMutableAddress { base + index }
    }
}
