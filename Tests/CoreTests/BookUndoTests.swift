import HostCore
import Testing

/// `OrderBook.apply(_:recording:)` and `before(undoing:)`: the book before the message being received.
struct BookUndoTests {
    static let symbol = SymbolID(0)
    static func p(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }

    static func rows(_ update: BookUpdate) -> [BookDelta] {
        update.events.compactMap { if case .bookDelta(let row) = $0 { row } else { nil } }
    }

    /// Bids 100 x 1, 99 x 3; asks 101 x 2, 102 x 4.
    static func start() -> OrderBook {
        var book = OrderBook()
        for row in rows(BookUpdate(symbol: symbol, tsEvent: 1, tsRecv: 1, isSnapshot: true, changes: [
            BookChange(side: .buy, price: p("100"), size: p("1")), BookChange(side: .buy, price: p("99"), size: p("3")),
            BookChange(side: .sell, price: p("101"), size: p("2")), BookChange(side: .sell, price: p("102"), size: p("4")),
        ])) { book.apply(row) }
        return book
    }

    static func levels(_ book: OrderBook) -> [[String]] {
        [book.bids.levels().map { "\($0.price)x\($0.size)" }, book.asks.levels().map { "\($0.price)x\($0.size)" }]
    }

    /// Applies `update` to the starting book with a log; returns the book after and the book rebuilt before.
    static func undo(_ update: BookUpdate) -> (after: OrderBook, before: OrderBook) {
        var book = start()
        var log = BookUndoLog()
        for row in rows(update) { book.apply(row, recording: &log) }
        return (book, book.before(undoing: log))
    }

    @Test("recording applies a message exactly like apply(_:)")
    func recordingAppliesLikeApply() {
        let update = BookUpdate(symbol: Self.symbol, tsEvent: 2, tsRecv: 2, isSnapshot: false, changes: [
            BookChange(side: .buy, price: Self.p("100.5"), size: Self.p("7")), BookChange(side: .sell, price: Self.p("101"), size: Self.p("0")),
        ])
        var plain = Self.start()
        for row in Self.rows(update) { plain.apply(row) }
        #expect(Self.levels(Self.undo(update).after) == Self.levels(plain))
    }

    @Test("undoing added, changed (twice) and removed levels gives the book before the message")
    func undoRestoresLevels() {
        let update = BookUpdate(symbol: Self.symbol, tsEvent: 2, tsRecv: 2, isSnapshot: false, changes: [
            BookChange(side: .buy, price: Self.p("100.5"), size: Self.p("7")), BookChange(side: .buy, price: Self.p("99"), size: Self.p("5")),
            BookChange(side: .buy, price: Self.p("99"), size: Self.p("6")), BookChange(side: .sell, price: Self.p("101"), size: Self.p("0")),
        ])
        #expect(Self.levels(Self.undo(update).before) == Self.levels(Self.start()))
    }

    @Test("undoing a snapshot brings back the levels it cleared")
    func undoSnapshot() {
        let update = BookUpdate(symbol: Self.symbol, tsEvent: 2, tsRecv: 2, isSnapshot: true, changes: [
            BookChange(side: .buy, price: Self.p("90"), size: Self.p("1")), BookChange(side: .sell, price: Self.p("91"), size: Self.p("1")),
        ])
        let (after, before) = Self.undo(update)
        #expect(after.bids.levels().map(\.price) == [Self.p("90")] && after.asks.levels().map(\.price) == [Self.p("91")])
        #expect(Self.levels(before) == Self.levels(Self.start()))
    }

    @Test("an empty log leaves the book as it is; removeAll empties the log")
    func emptyLog() {
        var log = BookUndoLog()
        #expect(log.isEmpty)
        var book = Self.start()
        book.apply(Self.rows(BookUpdate(symbol: Self.symbol, tsEvent: 2, tsRecv: 2, isSnapshot: false, changes: [
            BookChange(side: .buy, price: Self.p("98"), size: Self.p("1")),
        ]))[0], recording: &log)
        #expect(!log.isEmpty)
        log.removeAll()
        #expect(log.isEmpty)
        #expect(Self.levels(book.before(undoing: log)) == Self.levels(book))
    }
}
