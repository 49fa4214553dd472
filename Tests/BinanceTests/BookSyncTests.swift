import Binance
import Foundation
import HostCore
import Testing

private func fx(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }

private let symbol = SymbolID(7)

private func levels(_ pairs: [(String, String)]) -> [BinanceLevel] {
    pairs.map { BinanceLevel(price: fx($0.0), size: fx($0.1)) }
}

private func diff(_ first: Int64, _ final: Int64, bids: [(String, String)] = [], asks: [(String, String)] = [], time: Int64 = 1) -> BinanceDepthUpdate {
    BinanceDepthUpdate(symbol: "BNBBTC", eventTime: time, firstUpdateID: first, finalUpdateID: final, bids: levels(bids), asks: levels(asks))
}

private func snapshot(_ id: Int64, bids: [(String, String)] = [("10", "1"), ("9", "2")], asks: [(String, String)] = [("11", "1"), ("12", "3")]) -> BinanceDepthSnapshot {
    BinanceDepthSnapshot(lastUpdateID: id, bids: levels(bids), asks: levels(asks))
}

/// A book synchronised at update `id` from ``snapshot(_:bids:asks:)``.
private func syncedBook(at id: Int64) -> BinanceBookSync {
    var book = BinanceBookSync(symbol: symbol)
    var rows: [BookDelta] = []
    _ = book.apply(diff(id, id), tsRecv: 0, into: &rows)
    _ = book.applySnapshot(snapshot(id), tsRecv: 0, into: &rows)
    return book
}

/// The fixture snapshot and diffs decoded with Foundation, applied to dictionaries: an
/// oracle that shares no code with the parser or the book sync.
private struct ReferenceBook {
    var bids: [Decimal: Decimal] = [:]
    var asks: [Decimal: Decimal] = [:]
    var lastUpdateID: Int64 = 0

    init(snapshotJSON: String, diffLines: [String]) throws {
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(snapshotJSON.utf8)) as? [String: Any])
        lastUpdateID = try #require((snapshot["lastUpdateId"] as? NSNumber)?.int64Value)
        for pair in try #require(snapshot["bids"] as? [[String]]) { bids[Decimal(string: pair[0])!] = Decimal(string: pair[1])! }
        for pair in try #require(snapshot["asks"] as? [[String]]) { asks[Decimal(string: pair[0])!] = Decimal(string: pair[1])! }
        for line in diffLines {
            let frame = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let data = try #require(frame["data"] as? [String: Any])
            let final = try #require((data["u"] as? NSNumber)?.int64Value)
            guard final > lastUpdateID else { continue }
            for pair in try #require(data["b"] as? [[String]]) { Self.set(&bids, pair) }
            for pair in try #require(data["a"] as? [[String]]) { Self.set(&asks, pair) }
            lastUpdateID = final
        }
    }

    static func set(_ side: inout [Decimal: Decimal], _ pair: [String]) {
        let size = Decimal(string: pair[1])!
        side[Decimal(string: pair[0])!] = size == 0 ? nil : size
    }
}

private func dictionary(_ side: BinanceBookSide) -> [Decimal: Decimal] {
    Dictionary(uniqueKeysWithValues: side.levels().map { ($0.price.decimal, $0.size.decimal) })
}

private func dictionary(_ side: BookSide) -> [Decimal: Decimal] {
    Dictionary(uniqueKeysWithValues: side.levels().map { ($0.price.decimal, $0.size.decimal) })
}

@Suite(fixturesPresent)
struct BookSyncFixtureTests {
    static func runTextbook() throws -> (book: BinanceBookSync, rows: [BookDelta], statuses: [BinanceBookSync.Status]) {
        let snapshot = try BinanceDepthSnapshot.parse(try Fixtures.text("rest_depth_snapshot_NKNUSDT_limit1000.json"))
        var parser = BinanceStreamParser()
        var book = BinanceBookSync(symbol: symbol)
        var rows: [BookDelta] = []
        var statuses: [BinanceBookSync.Status] = []
        var requested = false
        for (index, line) in try Fixtures.lines("ws_depthUpdate_100ms_NKNUSDT.jsonl").enumerated() {
            let update = try #require(try parser.parse(line)?.depthUpdate)
            let effects = book.apply(update, tsRecv: Int64(index), into: &rows)
            if let status = effects.status { statuses.append(status) }
            if effects.requestSnapshot {
                // The REST answer arrives while the first diff is buffered.
                requested = true
                let after = book.applySnapshot(snapshot, tsRecv: Int64(index), into: &rows)
                if let status = after.status { statuses.append(status) }
            }
        }
        #expect(requested)
        return (book, rows, statuses)
    }

    @Test("textbook sync: the first buffered diff (u=499869752) is dropped, the other 149 apply without a gap")
    func textbookCounts() throws {
        let (book, _, statuses) = try Self.runTextbook()
        #expect(book.counts.droppedStale == 1)
        #expect(book.counts.applied == 149)
        #expect(book.counts.gaps == 0 && book.counts.resyncs == 0)
        #expect(book.counts.snapshotsApplied == 1)
        #expect(statuses == [.fresh])
        #expect(book.isFresh)
    }

    @Test("textbook sync ends at update 499870179 with 0.3527×9602 / 0.3531×152 and 614/994 levels")
    func textbookFinalBook() throws {
        let (book, _, _) = try Self.runTextbook()
        #expect(book.lastUpdateID == 499_870_179)
        let top = book.top(1)
        #expect(top.bids == [BinanceLevel(price: fx("0.3527"), size: fx("9602"))])
        #expect(top.asks == [BinanceLevel(price: fx("0.3531"), size: fx("152"))])
        #expect(book.bids.count == 614 && book.asks.count == 994)
    }

    @Test("the synchronised book equals an independent reconstruction with Foundation JSON and dictionaries")
    func matchesReference() throws {
        let (book, _, _) = try Self.runTextbook()
        let reference = try ReferenceBook(snapshotJSON: try Fixtures.text("rest_depth_snapshot_NKNUSDT_limit1000.json"),
                                          diffLines: try Fixtures.lines("ws_depthUpdate_100ms_NKNUSDT.jsonl"))
        #expect(book.lastUpdateID == reference.lastUpdateID)
        #expect(dictionary(book.bids) == reference.bids)
        #expect(dictionary(book.asks) == reference.asks)
    }

    @Test("each message's last row carries the venue sequence (the snapshot's lastUpdateId, each diff's u); other rows none")
    func rowsCarryVenueSequence() throws {
        let (book, rows, _) = try Self.runTextbook()
        let ends = rows.filter(\.isEndOfBatch)
        let snapshot = try BinanceDepthSnapshot.parse(try Fixtures.text("rest_depth_snapshot_NKNUSDT_limit1000.json"))
        #expect(ends.first?.venueSequence == UInt64(snapshot.lastUpdateID))
        #expect(ends.last?.venueSequence == UInt64(book.lastUpdateID!))
        #expect(ends.allSatisfy { $0.venueSequence > 0 })
        #expect(rows.filter { !$0.isEndOfBatch }.allSatisfy { $0.venueSequence == 0 })
        #expect(zip(ends, ends.dropFirst()).allSatisfy { $0.venueSequence < $1.venueSequence })
    }

    @Test("the engine rows rebuild the same book in HostCore.OrderBook: snapshot rows first, each batch ends with endOfBatch")
    func rowsRebuildBook() throws {
        let (book, rows, _) = try Self.runTextbook()
        let snapshotRows = rows.prefix { $0.isSnapshot }
        #expect(snapshotRows.count == 609 + 1000)  // the snapshot's bids and asks
        #expect(snapshotRows.last?.isEndOfBatch == true)
        #expect(snapshotRows.dropLast().allSatisfy { !$0.isEndOfBatch })
        #expect(rows.last?.isEndOfBatch == true)
        #expect(rows.allSatisfy { $0.symbol == symbol })
        var engineBook = OrderBook()
        for row in rows { engineBook.apply(row) }
        #expect(dictionary(engineBook.bids) == dictionary(book.bids))
        #expect(dictionary(engineBook.asks) == dictionary(book.asks))
    }
}

struct BookSyncTests {
    @Test("the first diff is buffered and asks for a snapshot once; later diffs wait without asking again")
    func firstDiffRequestsSnapshot() {
        var book = BinanceBookSync(symbol: symbol)
        var rows: [BookDelta] = []
        #expect(book.apply(diff(100, 101), tsRecv: 0, into: &rows) == BinanceBookSync.Effects(requestSnapshot: true))
        #expect(book.apply(diff(102, 103), tsRecv: 0, into: &rows) == .none)
        #expect(book.bufferedCount == 2 && rows.isEmpty && !book.isFresh)
    }

    @Test("a snapshot older than the first buffered diff is rejected and another is requested")
    func snapshotTooOld() {
        var book = BinanceBookSync(symbol: symbol)
        var rows: [BookDelta] = []
        _ = book.apply(diff(100, 105), tsRecv: 0, into: &rows)
        let effects = book.applySnapshot(snapshot(98), tsRecv: 0, into: &rows)
        #expect(effects == BinanceBookSync.Effects(requestSnapshot: true))
        #expect(book.counts.snapshotsRejected == 1)
        #expect(rows.isEmpty && !book.isFresh)
        #expect(book.applySnapshot(snapshot(103), tsRecv: 0, into: &rows).status == .fresh)
    }

    @Test("a snapshot whose lastUpdateId is exactly U-1 of the first diff is in time: that diff applies")
    func snapshotJustInTime() {
        var book = BinanceBookSync(symbol: symbol)
        var rows: [BookDelta] = []
        _ = book.apply(diff(100, 105, bids: [("10", "5")]), tsRecv: 0, into: &rows)
        #expect(book.applySnapshot(snapshot(99), tsRecv: 0, into: &rows).status == .fresh)
        #expect(book.lastUpdateID == 105)
        #expect(book.top(1).bids == levels([("10", "5")]))
        #expect(book.counts.applied == 1 && book.counts.droppedStale == 0)
    }

    @Test("buffered diffs already in the snapshot (u ≤ lastUpdateId) are dropped, the straddling one applies")
    func dropsBufferedStale() {
        var book = BinanceBookSync(symbol: symbol)
        var rows: [BookDelta] = []
        _ = book.apply(diff(90, 95, bids: [("10", "50")]), tsRecv: 0, into: &rows)
        _ = book.apply(diff(96, 100, bids: [("10", "60")]), tsRecv: 0, into: &rows)
        _ = book.apply(diff(101, 104, asks: [("11", "7")]), tsRecv: 0, into: &rows)
        _ = book.applySnapshot(snapshot(102), tsRecv: 0, into: &rows)
        #expect(book.counts.droppedStale == 2)
        #expect(book.counts.applied == 1)
        #expect(book.top(1).bids == levels([("10", "1")]))
        #expect(book.top(1).asks == levels([("11", "7")]))
    }

    @Test("after sync, a diff with u ≤ the book's id is dropped and yields no rows")
    func dropsLateDiff() {
        var book = syncedBook(at: 200)
        var rows: [BookDelta] = []
        #expect(book.apply(diff(195, 200, bids: [("10", "99")]), tsRecv: 0, into: &rows) == .none)
        #expect(rows.isEmpty)
        #expect(book.counts.droppedStale == 2)  // the buffered seed diff and this one
        #expect(book.top(1).bids == levels([("10", "1")]))
    }

    @Test("quantity 0 removes the level, in the book and as a zero-size row")
    func zeroDeletes() {
        var book = syncedBook(at: 200)
        var rows: [BookDelta] = []
        _ = book.apply(diff(201, 201, bids: [("10", "0")]), tsRecv: 5, into: &rows)
        #expect(book.top(5).bids == levels([("9", "2")]))
        #expect(rows == [BookDelta(symbol: symbol, tsEvent: 1, tsRecv: 5, side: .buy, price: fx("10"), size: .zero, flags: .endOfBatch).sequenced(201)])
    }

    @Test("a gap (U > id+1) marks the book stale, counts a gap and a resync, and asks for a new snapshot")
    func gapResyncs() {
        var book = syncedBook(at: 200)
        var rows: [BookDelta] = []
        let effects = book.apply(diff(205, 206), tsRecv: 0, into: &rows)
        #expect(effects.requestSnapshot)
        guard case .stale(let reason) = effects.status else {
            Issue.record("expected a stale status, got \(String(describing: effects.status))")
            return
        }
        #expect(reason.contains("gap"))
        #expect(book.counts.gaps == 1 && book.counts.resyncs == 1)
        #expect(!book.isFresh && book.bufferedCount == 1)
        #expect(rows.isEmpty)
    }

    @Test("after a gap the new snapshot resynchronises from the buffered diff that exposed the gap")
    func gapThenFresh() {
        var book = syncedBook(at: 200)
        var rows: [BookDelta] = []
        _ = book.apply(diff(205, 206, asks: [("11", "4")]), tsRecv: 0, into: &rows)
        let effects = book.applySnapshot(snapshot(204), tsRecv: 0, into: &rows)
        #expect(effects.status == .fresh)
        #expect(book.lastUpdateID == 206)
        #expect(book.top(1).asks == levels([("11", "4")]))
        #expect(rows.filter(\.isSnapshot).count == 4)
    }

    @Test("a gap inside the buffered diffs after the snapshot resyncs instead of applying across it")
    func gapInsideBuffer() {
        var book = BinanceBookSync(symbol: symbol)
        var rows: [BookDelta] = []
        _ = book.apply(diff(100, 101), tsRecv: 0, into: &rows)
        _ = book.apply(diff(103, 104), tsRecv: 0, into: &rows)
        let effects = book.applySnapshot(snapshot(100), tsRecv: 0, into: &rows)
        #expect(effects.requestSnapshot && effects.status == nil)
        #expect(book.counts.gaps == 1)
        #expect(book.lastUpdateID == 101 && !book.isFresh && book.bufferedCount == 1)
    }

    @Test("an overlapping diff (U ≤ id < u), as from a replacement connection, applies and advances the id")
    func overlapApplies() {
        var book = syncedBook(at: 200)
        var rows: [BookDelta] = []
        #expect(book.apply(diff(198, 203, bids: [("9", "8")]), tsRecv: 0, into: &rows) == .none)
        #expect(book.lastUpdateID == 203)
        #expect(book.counts.gaps == 0)
    }

    @Test("a snapshot that arrives before any diff waits and is checked against the first one")
    func earlySnapshotWaits() {
        var book = BinanceBookSync(symbol: symbol)
        var rows: [BookDelta] = []
        #expect(book.applySnapshot(snapshot(50), tsRecv: 0, into: &rows) == .none)
        #expect(rows.isEmpty)
        #expect(book.apply(diff(51, 52), tsRecv: 0, into: &rows).status == .fresh)
        #expect(book.lastUpdateID == 52)
    }

    @Test("invalidate marks a fresh book stale; the next diff buffers and asks for a snapshot")
    func invalidate() {
        var book = syncedBook(at: 200)
        var rows: [BookDelta] = []
        #expect(book.invalidate(reason: "disconnected") == BinanceBookSync.Effects(status: .stale(reason: "disconnected")))
        #expect(book.counts.resyncs == 1)
        #expect(book.apply(diff(300, 301), tsRecv: 0, into: &rows) == BinanceBookSync.Effects(requestSnapshot: true))
        #expect(rows.isEmpty)
    }

    @Test("a snapshot with an empty side emits one zero snapshot row for it, so the engine clears that side")
    func emptySideRow() {
        var book = BinanceBookSync(symbol: symbol)
        var rows: [BookDelta] = []
        _ = book.apply(diff(10, 10), tsRecv: 0, into: &rows)
        _ = book.applySnapshot(snapshot(10, bids: [], asks: [("11", "1")]), tsRecv: 3, into: &rows)
        #expect(rows == [
            BookDelta(symbol: symbol, tsEvent: 3, tsRecv: 3, side: .buy, price: .zero, size: .zero, flags: .snapshot),
            BookDelta(symbol: symbol, tsEvent: 3, tsRecv: 3, side: .sell, price: fx("11"), size: fx("1"), flags: [.snapshot, .endOfBatch]).sequenced(10),
        ])
    }

    @Test("a full buffer drops its oldest diff and counts the overflow")
    func bufferOverflow() {
        var book = BinanceBookSync(symbol: symbol, maxBuffered: 2)
        var rows: [BookDelta] = []
        for id in Int64(1)...3 { _ = book.apply(diff(id, id), tsRecv: 0, into: &rows) }
        #expect(book.bufferedCount == 2 && book.counts.bufferOverflows == 1)
        // The snapshot at 1 precedes the oldest kept diff (U=2) exactly: it is in time.
        #expect(book.applySnapshot(snapshot(1), tsRecv: 0, into: &rows).status == .fresh)
    }

    @Test("a failed snapshot fetch asks again while diffs wait")
    func snapshotFailed() {
        var book = BinanceBookSync(symbol: symbol)
        var rows: [BookDelta] = []
        _ = book.apply(diff(1, 1), tsRecv: 0, into: &rows)
        #expect(book.snapshotFailed() == BinanceBookSync.Effects(requestSnapshot: true))
    }
}
