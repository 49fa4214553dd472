import Bybit
import HostCore
import Testing
import VenueKit

private let fx = StreamTest.fx
private let btc = SymbolID(7)

/// Parses `frame` and applies it to `sync`.
private func apply(_ frame: String, to sync: inout BybitBookSync, receivedNs: Int64 = 99) throws -> (rows: [BookDelta], outcome: BybitBookSync.Outcome) {
    let book = try #require(StreamTest.orderbook(try StreamTest.parse(frame)))
    return sync.apply(book, receivedNs: receivedNs)
}

private func snapshot(u: Int64 = 10) -> String {
    StreamTest.bookFrame("snapshot", u: u, bids: [("100", "1"), ("99", "2")], asks: [("101", "3"), ("102", "4")])
}

struct BookSyncTests {
    @Test("the recorded 500-level stream rebuilds to the recorded final book and holds 500 levels a side after every message",
          fixturesPresent)
    func orderbook500() throws {
        var sync = BybitBookSync(symbol: btc, depth: 500)
        for line in try StreamTest.orderbook500() {
            let (_, outcome) = try apply(line, to: &sync)
            #expect(outcome.status == nil || outcome.status?.stale == false)
            #expect(!outcome.resubscribe)
            #expect(sync.book.bids.count == 500 && sync.book.asks.count == 500)
        }
        #expect(sync.counts.applied == 50)
        #expect(sync.counts.snapshots == 1)
        #expect(sync.counts.gaps == 0)
        #expect(sync.counts.trimmedLevels == 0)
        #expect(sync.lastUpdateID == 20_254_918)
        #expect(sync.lastSequence == 130_020_252_664)
        #expect(!sync.isStale)
        #expect(sync.book.bids.best! == (fx("1.9537"), fx("10605")))
        #expect(sync.book.asks.best! == (fx("1.9538"), fx("6702")))
    }

    @Test("an engine book fed the sync's rows ends equal to the sync's own book", fixturesPresent)
    func rowsRebuildTheSameBook() throws {
        var sync = BybitBookSync(symbol: btc, depth: 500)
        var engineBook = OrderBook()
        for line in try StreamTest.orderbook500() {
            for row in try apply(line, to: &sync).rows { engineBook.apply(row) }
        }
        #expect(engineBook.bids.levels().map(\.price) == sync.book.bids.levels().map(\.price))
        #expect(engineBook.bids.levels().map(\.size) == sync.book.bids.levels().map(\.size))
        #expect(engineBook.asks.levels().map(\.price) == sync.book.asks.levels().map(\.price))
        #expect(engineBook.asks.levels().map(\.size) == sync.book.asks.levels().map(\.size))
    }

    @Test("each message's rows end with exactly one endOfBatch, and only snapshot rows are flagged snapshot", fixturesPresent)
    func rowFlags() throws {
        var sync = BybitBookSync(symbol: btc, depth: 500)
        for (index, line) in try StreamTest.orderbook500().enumerated() {
            let rows = try apply(line, to: &sync, receivedNs: 5).rows
            #expect(rows.filter(\.isEndOfBatch).count == 1)
            #expect(rows.last?.isEndOfBatch == true)
            #expect(rows.allSatisfy { $0.isSnapshot == (index == 0) && $0.symbol == btc && $0.tsRecv == 5 })
        }
    }

    @Test("a skipped u makes the book stale and asks for a resubscribe; deltas until the next snapshot are dropped")
    func gap() throws {
        var sync = BybitBookSync(symbol: btc, depth: 50)
        _ = try apply(snapshot(u: 10), to: &sync)
        #expect(try apply(StreamTest.bookFrame("delta", u: 11, bids: [("100", "5")]), to: &sync).outcome.action == .delta)
        let (rows, outcome) = try apply(StreamTest.bookFrame("delta", u: 13, bids: [("100", "6")]), to: &sync)
        #expect(outcome.action == .gap(expected: 12, received: 13))
        #expect(outcome.updateID == 13 && outcome.sequence == 130)
        #expect(outcome.resubscribe)
        #expect(outcome.status == .init(stale: true, reason: "gap"))
        #expect(rows.isEmpty)
        #expect(sync.isStale)
        #expect(sync.state == .awaitingSnapshot)
        #expect(sync.book.bids.best!.size == fx("5"))  // the gapped delta was not applied
        let next = try apply(StreamTest.bookFrame("delta", u: 14, bids: [("100", "7")]), to: &sync).outcome
        #expect(next.action == .dropped)
        #expect(!next.resubscribe)
        #expect(sync.counts.gaps == 1)
        #expect(sync.counts.resyncs == 1)
        #expect(sync.counts.droppedBeforeSnapshot == 1)
    }

    @Test("the snapshot after a gap makes the book fresh again")
    func freshAfterResync() throws {
        var sync = BybitBookSync(symbol: btc, depth: 50)
        _ = try apply(snapshot(u: 10), to: &sync)
        _ = try apply(StreamTest.bookFrame("delta", u: 12), to: &sync)
        let outcome = try apply(snapshot(u: 500), to: &sync).outcome
        #expect(outcome.action == .snapshot)
        #expect(outcome.status == .init(stale: false, reason: "snapshot"))
        #expect(!sync.isStale)
        #expect(try apply(StreamTest.bookFrame("delta", u: 501, asks: [("101", "0")]), to: &sync).outcome.action == .delta)
        #expect(sync.book.asks.best! == (fx("102"), fx("4")))
    }

    @Test("a delta with u = 1 (service restart) replaces the whole book")
    func restartReset() throws {
        var sync = BybitBookSync(symbol: btc, depth: 50)
        _ = try apply(snapshot(u: 10), to: &sync)
        let (rows, outcome) = try apply(StreamTest.bookFrame("delta", u: 1, bids: [("90", "1")], asks: [("91", "1")]), to: &sync)
        #expect(outcome.action == .reset)
        #expect(!outcome.resubscribe)
        #expect(rows.allSatisfy { $0.isSnapshot })
        #expect(sync.book.bids.levels().map(\.price) == [fx("90")])
        #expect(sync.book.asks.levels().map(\.price) == [fx("91")])
        #expect(sync.counts.resets == 1)
        #expect(sync.lastUpdateID == 1)
        #expect(try apply(StreamTest.bookFrame("delta", u: 2, bids: [("89", "1")]), to: &sync).outcome.action == .delta)
    }

    @Test("a delta before the first snapshot is dropped and counted, and the book stays stale")
    func deltaBeforeSnapshot() throws {
        var sync = BybitBookSync(symbol: btc, depth: 50)
        let (rows, outcome) = try apply(StreamTest.bookFrame("delta", u: 7, bids: [("100", "1")]), to: &sync)
        #expect(outcome.action == .dropped)
        #expect(rows.isEmpty)
        #expect(sync.counts.droppedBeforeSnapshot == 1)
        #expect(sync.isStale)
        #expect(sync.book.bids.isEmpty)
    }

    @Test("a level-1 snapshot repeated with the same u is applied, not a gap")
    func repeatedLevel1Snapshot() throws {
        var sync = BybitBookSync(symbol: btc, depth: 1)
        let frame = StreamTest.bookFrame("snapshot", u: 42, depth: 1, bids: [("100", "1")], asks: [("101", "1")])
        _ = try apply(frame, to: &sync)
        let outcome = try apply(frame, to: &sync).outcome
        #expect(outcome.action == .snapshot)
        #expect(outcome.status == nil)
        #expect(sync.counts.gaps == 0)
    }

    @Test("levels beyond the depth are trimmed from the worst end, with delete rows before the batch end")
    func trimToDepth() throws {
        var sync = BybitBookSync(symbol: btc, depth: 2)
        let (rows, _) = try apply(StreamTest.bookFrame("snapshot", u: 3, depth: 2, bids: [("100", "1"), ("99", "1"), ("98", "1")],
                                                       asks: [("101", "1")]), to: &sync)
        #expect(sync.book.bids.levels().map(\.price) == [fx("100"), fx("99")])
        #expect(rows.last == BookDelta(symbol: btc, tsEvent: rows[0].tsEvent, tsRecv: 99, side: .buy, price: fx("98"), size: .zero,
                                       flags: [.endOfBatch]).sequenced(3))  // the message's u
        _ = try apply(StreamTest.bookFrame("delta", u: 4, depth: 2, bids: [("100.5", "1")]), to: &sync)
        #expect(sync.book.bids.levels().map(\.price) == [fx("100.5"), fx("100")])
        #expect(sync.counts.trimmedLevels == 2)
    }

    @Test("a book left crossed by a message is stale and asks for a resubscribe")
    func crossedBook() throws {
        var sync = BybitBookSync(symbol: btc, depth: 50)
        _ = try apply(snapshot(u: 10), to: &sync)
        let outcome = try apply(StreamTest.bookFrame("delta", u: 11, bids: [("101.5", "1")]), to: &sync).outcome
        #expect(outcome.action == .crossed)
        #expect(outcome.resubscribe)
        #expect(outcome.status?.stale == true)
        #expect(sync.counts.crossed == 1)
    }

    @Test("a snapshot with an empty side clears that side with one zero snapshot row")
    func emptySnapshotSide() throws {
        var sync = BybitBookSync(symbol: btc, depth: 50)
        _ = try apply(snapshot(u: 10), to: &sync)
        let (rows, _) = try apply(StreamTest.bookFrame("snapshot", u: 20, asks: [("105", "1")]), to: &sync)
        #expect(rows.first == BookDelta(symbol: btc, tsEvent: rows[0].tsEvent, tsRecv: 99, side: .buy, price: .zero, size: .zero, flags: [.snapshot]))
        #expect(sync.book.bids.isEmpty)
        var engineBook = OrderBook()
        engineBook.bids.set(price: fx("100"), size: fx("1"))
        for row in rows { engineBook.apply(row) }
        #expect(engineBook.bids.isEmpty)
        #expect(engineBook.asks.levels().map(\.price) == [fx("105")])
    }

    @Test("invalidating a live book (reconnect) makes it stale once and counts a resync")
    func invalidate() throws {
        var sync = BybitBookSync(symbol: btc, depth: 50)
        _ = try apply(snapshot(u: 10), to: &sync)
        #expect(sync.invalidate(reason: "disconnected") == .init(stale: true, reason: "disconnected"))
        #expect(sync.invalidate(reason: "disconnected") == nil)
        #expect(sync.counts.resyncs == 1)
        #expect(try apply(StreamTest.bookFrame("delta", u: 11), to: &sync).outcome.action == .dropped)
    }

    @Test("the top of book changes are reported so a quote can follow")
    func topChanged() throws {
        var sync = BybitBookSync(symbol: btc, depth: 50)
        #expect(try apply(snapshot(u: 10), to: &sync).outcome.topChanged)
        let deepChange = try apply(StreamTest.bookFrame("delta", u: 11, bids: [("98", "1")]), to: &sync).outcome
        #expect(!deepChange.topChanged)
        #expect(try apply(StreamTest.bookFrame("delta", u: 12, asks: [("101", "9")]), to: &sync).outcome.topChanged)
        let quote = try #require(sync.quote(tsEvent: 1, tsRecv: 2))
        #expect(quote.askSize == fx("9"))
        #expect(quote.bidPrice == fx("100"))
    }
}
