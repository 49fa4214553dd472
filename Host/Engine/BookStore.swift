import CStrategyHostSDK
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

/// The rows of the L2 message being received for one symbol, as its book event will carry
/// them: memory reused message after message, grown (doubling) for a large snapshot.
///
/// - Important: Confined to the engine thread; `deallocate()` once, when the engine goes.
struct BookChangeBuffer {
    private(set) var base: UnsafeMutablePointer<tsh_book_change>
    private(set) var count = 0
    private var capacity = 64

    init() { base = .allocate(capacity: 64) }

    @inline(__always) mutating func append(_ change: tsh_book_change) {
        if count == capacity { grow() }
        (base + count).initialize(to: change)
        count += 1
    }

    /// Forgets the rows (the message was delivered); keeps the memory.
    @inline(__always) mutating func removeAll() { count = 0 }

    private mutating func grow() {
        let bigger = UnsafeMutablePointer<tsh_book_change>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }

    func deallocate() { base.deallocate() }
}
