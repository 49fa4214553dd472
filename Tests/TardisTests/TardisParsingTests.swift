import Foundation
import HostCore
import HostFeeds
import Testing

struct TardisParsingTests {
    /// One file of each type for BTCUSDT; every value below is worked out by hand.
    static func writeSmallDataSet(_ fixture: TardisFixture, suffix: String = ".csv") {
        fixture.write("binance_quotes_2024-01-01_BTCUSDT" + suffix, [
            TardisFixture.quotesHeader,
            "binance,BTCUSDT,1704067200000100,1704067200000200,0.5,42000.1,42000,1.25",
            "binance,BTCUSDT,1704067200000300,1704067200000500,,,41999.99,0.00000001",
        ])
        fixture.write("binance_trades_2024-01-01_BTCUSDT" + suffix, [
            TardisFixture.tradesHeader,
            "binance,BTCUSDT,1704067200000150,1704067200000300,t1,buy,42000.1,0.01",
            "binance,BTCUSDT,1704067200000350,1704067200000500,t2,unknown,42000,2",
            "binance,BTCUSDT,1704067200000600,1704067200000700,t3,sell,41999.5,0.125",
        ])
        fixture.write("binance_incremental_book_L2_2024-01-01_BTCUSDT" + suffix, [
            TardisFixture.bookHeader,
            "binance,BTCUSDT,1704067200000000,1704067200000100,true,bid,42000,1",
            "binance,BTCUSDT,1704067200000000,1704067200000100,true,ask,42000.1,2",
            "binance,BTCUSDT,1704067200000400,1704067200000500,false,bid,42000,0",
            "binance,BTCUSDT,1704067200000400,1704067200000500,false,bid,41999.99,3",
            "binance,BTCUSDT,1704067200000650,1704067200000700,false,ask,42000.2,0.5",
        ])
    }

    @Test("a small data set parses into exactly the expected events, merged by local_timestamp")
    func smallDataSetExactEvents() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        Self.writeSmallDataSet(fixture)
        let dataSet = try fixture.open()
        let btc = try #require(dataSet.symbols.id(venue: "binance", symbol: "BTCUSDT"))
        var replay = dataSet.replay()
        let events = drain(&replay)

        let t: Int64 = 1_704_067_200_000_000_000  // 2024-01-01 in ns
        func book(_ event: Int64, _ recv: Int64, _ side: Side, _ price: Int64, _ size: Int64, _ flags: BookDelta.Flags) -> MarketEvent {
            .bookDelta(BookDelta(symbol: btc, tsEvent: t + event, tsRecv: t + recv, side: side,
                                 price: Fixed8(raw: price), size: Fixed8(raw: size), flags: flags))
        }
        let expected: [MarketEvent] = [
            book(0, 100_000, .buy, 4_200_000_000_000, 100_000_000, [.snapshot]),
            book(0, 100_000, .sell, 4_200_010_000_000, 200_000_000, [.snapshot, .endOfBatch]),
            .quote(QuoteTick(symbol: btc, tsEvent: t + 100_000, tsRecv: t + 200_000,
                             bidPrice: Fixed8(raw: 4_200_000_000_000), bidSize: Fixed8(raw: 125_000_000),
                             askPrice: Fixed8(raw: 4_200_010_000_000), askSize: Fixed8(raw: 50_000_000))),
            .trade(TradeTick(symbol: btc, tsEvent: t + 150_000, tsRecv: t + 300_000, price: Fixed8(raw: 4_200_010_000_000),
                             size: Fixed8(raw: 1_000_000), aggressor: .buy, tradeID: TradeID.from("t1"))),
            // Equal local_timestamp 500 µs: quotes, then trades, then the L2 message.
            .quote(QuoteTick(symbol: btc, tsEvent: t + 300_000, tsRecv: t + 500_000,
                             bidPrice: Fixed8(raw: 4_199_999_000_000), bidSize: Fixed8(raw: 1),
                             askPrice: Fixed8(raw: 0), askSize: Fixed8(raw: 0))),
            .trade(TradeTick(symbol: btc, tsEvent: t + 350_000, tsRecv: t + 500_000, price: Fixed8(raw: 4_200_000_000_000),
                             size: Fixed8(raw: 200_000_000), aggressor: nil, tradeID: TradeID.from("t2"))),
            book(400_000, 500_000, .buy, 4_200_000_000_000, 0, []),
            book(400_000, 500_000, .buy, 4_199_999_000_000, 300_000_000, [.endOfBatch]),
            .trade(TradeTick(symbol: btc, tsEvent: t + 600_000, tsRecv: t + 700_000, price: Fixed8(raw: 4_199_950_000_000),
                             size: Fixed8(raw: 12_500_000), aggressor: .sell, tradeID: TradeID.from("t3"))),
            book(650_000, 700_000, .sell, 4_200_020_000_000, 50_000_000, [.endOfBatch]),
        ]
        #expect(events == expected)
        #expect(replay.failure == nil)
    }

    @Test("the data set registers each symbol once as a generic instrument of the file's exchange")
    func registersSymbols() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        Self.writeSmallDataSet(fixture)
        let dataSet = try fixture.open()
        #expect(dataSet.symbols.count == 1)
        let id = try #require(dataSet.symbols.id(venue: "binance", symbol: "BTCUSDT"))
        #expect(dataSet.symbols.instrument(id) == Instrument.generic(symbol: "BTCUSDT", venue: "binance"))
    }

    @Test("symbols already in the given table keep their id and instrument")
    func keepsKnownInstruments() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        Self.writeSmallDataSet(fixture)
        var table = SymbolTable()
        table.register(Instrument.generic(symbol: "ETHUSDT", venue: "binance"))
        var configured = Instrument.generic(symbol: "BTCUSDT", venue: "binance")
        configured.tickSize = Decimal(string: "0.1")!
        let id = table.register(configured)
        let dataSet = try TardisDataSet(directory: fixture.directory, symbols: table)
        #expect(dataSet.symbols.id(venue: "binance", symbol: "BTCUSDT") == id)
        #expect(dataSet.symbols.instrument(id)?.tickSize == Decimal(string: "0.1")!)
        var replay = dataSet.replay()
        #expect(drain(&replay).allSatisfy { $0.symbol == id })
    }

    @Test("a snapshot in the middle of an L2 file is flagged snapshot, its message ending at its last row")
    func snapshotMidFile() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write("binance_incremental_book_L2_2024-01-01_BTCUSDT.csv", [
            TardisFixture.bookHeader,
            "binance,BTCUSDT,\(us(0)),\(us(10)),true,bid,100,1",
            "binance,BTCUSDT,\(us(0)),\(us(10)),true,ask,101,1",
            "binance,BTCUSDT,\(us(20)),\(us(30)),false,bid,100,2",
            "binance,BTCUSDT,\(us(40)),\(us(50)),true,bid,99,5",
            "binance,BTCUSDT,\(us(40)),\(us(50)),true,ask,102,6",
            "binance,BTCUSDT,\(us(40)),\(us(50)),true,ask,103,7",
            "binance,BTCUSDT,\(us(60)),\(us(70)),false,ask,102,0",
        ])
        var replay = try fixture.open().replay()
        let rows = drain(&replay).compactMap(\.bookDelta)
        #expect(rows.map(\.flags) == [[.snapshot], [.snapshot, .endOfBatch], [.endOfBatch],
                                      [.snapshot], [.snapshot], [.snapshot, .endOfBatch], [.endOfBatch]])
        #expect(rows.map(\.price) == ["100", "101", "100", "99", "102", "103", "102"].map(fixed))
        #expect(rows.map(\.side) == [.buy, .sell, .buy, .buy, .sell, .sell, .sell])
    }

    @Test("L2 rows sharing a local_timestamp form one message: only its last row is endOfBatch")
    func l2MessageBoundaries() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        // Exchange timestamps differ inside a message; the local_timestamp decides.
        fixture.write("binance_incremental_book_L2_2024-01-01_BTCUSDT.csv", [
            TardisFixture.bookHeader,
            "binance,BTCUSDT,\(us(1)),\(us(100)),false,bid,10,1",
            "binance,BTCUSDT,\(us(2)),\(us(100)),false,bid,9,1",
            "binance,BTCUSDT,\(us(3)),\(us(100)),false,ask,11,1",
            "binance,BTCUSDT,\(us(4)),\(us(200)),false,ask,12,1",
            "binance,BTCUSDT,\(us(5)),\(us(300)),false,ask,11,0",
            "binance,BTCUSDT,\(us(5)),\(us(300)),false,ask,13,2",
        ])
        var replay = try fixture.open().replay()
        let rows = drain(&replay).compactMap(\.bookDelta)
        #expect(rows.map(\.isEndOfBatch) == [false, false, true, true, false, true])
        #expect(rows.map(\.tsRecv) == [ns(100), ns(100), ns(100), ns(200), ns(300), ns(300)])
        #expect(rows.map(\.tsEvent) == [ns(1), ns(2), ns(3), ns(4), ns(5), ns(5)])
    }

    @Test("the last L2 row of a message is endOfBatch even when its message spans a batch boundary")
    func l2MessageAcrossBlocks() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        // 3000 rows in messages of 7 rows: blocks of 1024 events end mid-message.
        var lines = [TardisFixture.bookHeader]
        for i in 0..<3_000 { lines.append("binance,BTCUSDT,\(us(Int64(i / 7))),\(us(Int64(i / 7))),false,bid,\(100 + i % 7),1") }
        fixture.write("binance_incremental_book_L2_2024-01-01_BTCUSDT.csv", lines)
        var replay = try fixture.open().replay()
        let rows = drain(&replay).compactMap(\.bookDelta)
        #expect(rows.count == 3_000)
        #expect(rows.indices.allSatisfy { rows[$0].isEndOfBatch == ($0 % 7 == 6 || $0 == 2_999) })
    }

    @Test("a .csv.gz file gives the same events as the plain file")
    func gzipMatchesPlain() throws {
        let plain = TardisFixture(), gzipped = TardisFixture()
        defer { plain.remove(); gzipped.remove() }
        Self.writeSmallDataSet(plain)
        Self.writeSmallDataSet(gzipped, suffix: ".csv.gz")
        var a = try plain.open().replay()
        var b = try gzipped.open().replay()
        let expected = drain(&a)
        #expect(expected.count == 10)
        #expect(drain(&b) == expected)
    }

    @Test("a gzip file of several concatenated members and many chunks decodes completely")
    func gzipMultiMember() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        var lines = [TardisFixture.quotesHeader]
        for i in 0..<40_000 { lines.append("binance,BTCUSDT,\(us(Int64(i))),\(us(Int64(i))),\(i % 97).5,\(1_000 + i % 13),\(999 + i % 13),\(i % 89)") }
        let text = Array((lines.joined(separator: "\n") + "\n").utf8)
        TardisFixture.gzip(text, to: fixture.path("binance_quotes_2024-01-01_BTCUSDT.csv.gz"), members: 3)
        let dataSet = try fixture.open()
        var replay = dataSet.replay()
        let events = drain(&replay)
        #expect(replay.failure == nil)
        #expect(events.count == 40_000)
        #expect(events.last?.tsRecv == ns(39_999))
        #expect(replay.statistics.bytesDecoded == Int64(text.count))
    }

    @Test("CRLF line endings, blank lines and a missing final newline are accepted")
    func crlfAndNoFinalNewline() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        let text = TardisFixture.tradesHeader + "\r\n"
            + "binance,BTCUSDT,\(us(1)),\(us(2)),a,buy,10.5,1\r\n\r\n\n"
            + "binance,BTCUSDT,\(us(3)),\(us(4)),b,sell,11,2"
        FileManagerWriter.write(text, to: fixture.path("binance_trades_2024-01-01_BTCUSDT.csv"))
        var replay = try fixture.open().replay()
        let events = drain(&replay)
        #expect(replay.failure == nil)
        #expect(events.count == 2)
        guard case .trade(let last)? = events.last else { Issue.record("expected a trade"); return }
        #expect(last.price == fixed("11") && last.size == fixed("2") && last.aggressor == .sell && last.tsRecv == ns(4))
    }

    @Test("numbers Tardis writes in exponent form or with a sign parse exactly")
    func exponentAndSignedNumbers() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write("binance_trades_2024-01-01_BTCUSDT.csv", [
            TardisFixture.tradesHeader,
            "binance,BTCUSDT,\(us(1)),\(us(1)),a,buy,1.5e3,1e-7",
            "binance,BTCUSDT,\(us(2)),\(us(2)),b,buy,+2.50,2E-8",
            "binance,BTCUSDT,\(us(3)),\(us(3)),c,buy,0.25e0,0.100000000",
        ])
        var replay = try fixture.open().replay()
        let trades = drain(&replay).compactMap { event -> TradeTick? in
            if case .trade(let t) = event { return t }
            return nil
        }
        #expect(replay.failure == nil)
        #expect(trades.map(\.price.raw) == [150_000_000_000, 250_000_000, 25_000_000])
        #expect(trades.map(\.size.raw) == [10, 2, 10_000_000])
    }

    @Test("time is the tsRecv of the event next() returns")
    func timeIsNextEventTime() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        Self.writeSmallDataSet(fixture)
        var replay = try fixture.open().replay()
        var matches = true
        while true {
            let time = replay.time
            guard let event = replay.next() else { break }
            if event.tsRecv != time { matches = false }
        }
        #expect(matches)
    }

    @Test("counters give rows and bytes read per file and in total")
    func statisticsCountRowsAndBytes() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        Self.writeSmallDataSet(fixture)
        var replay = try fixture.open().replay()
        _ = drain(&replay)
        let statistics = replay.statistics
        let byName = Dictionary(uniqueKeysWithValues: statistics.files.map { ($0.path.split(separator: "/").last!, $0) })
        #expect(byName["binance_quotes_2024-01-01_BTCUSDT.csv"]?.rowsRead == 2)
        #expect(byName["binance_trades_2024-01-01_BTCUSDT.csv"]?.rowsRead == 3)
        #expect(byName["binance_incremental_book_L2_2024-01-01_BTCUSDT.csv"]?.rowsRead == 5)
        #expect(statistics.rowsRead == 10)
        #expect(statistics.rowsSkipped == 0 && statistics.rowsFiltered == 0)
        let sizes = try statistics.files.map { try FileManagerWriter.size(of: $0.path) }
        #expect(statistics.bytesRead == sizes.reduce(0, +))
    }
}
