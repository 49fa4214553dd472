import HostCore
import HostFeeds
import Testing

struct TardisMergeTests {
    /// (data type, symbol, venue) of an event, to check the order.
    static func label(_ event: MarketEvent, _ symbols: SymbolTable) -> String {
        let instrument = symbols.instrument(event.symbol)!
        let kind = switch event {
        case .quote: "quote"
        case .trade: "trade"
        case .bookDelta(let d): d.isEndOfBatch ? "book/end" : "book"
        default: "other"
        }
        return "\(kind) \(instrument.symbol)@\(instrument.venue)"
    }

    @Test("equal local_timestamps across files merge by data type, then symbol, then exchange")
    func equalTimestampsMergeInDocumentedOrder() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        let t = us(100)
        fixture.write("binance_incremental_book_L2_2024-01-01_ETHUSDT.csv", [
            TardisFixture.bookHeader, "binance,ETHUSDT,\(t),\(t),false,bid,10,1", "binance,ETHUSDT,\(t),\(t),false,ask,11,1"])
        fixture.write("binance_incremental_book_L2_2024-01-01_BTCUSDT.csv", [
            TardisFixture.bookHeader, "binance,BTCUSDT,\(t),\(t),false,bid,10,1", "binance,BTCUSDT,\(t),\(t),false,ask,11,1"])
        fixture.write("binance_trades_2024-01-01_ETHUSDT.csv", [TardisFixture.tradesHeader, "binance,ETHUSDT,\(t),\(t),1,buy,10,1"])
        fixture.write("binance_trades_2024-01-01_BTCUSDT.csv", [TardisFixture.tradesHeader, "binance,BTCUSDT,\(t),\(t),1,buy,10,1"])
        fixture.write("binance_quotes_2024-01-01_ETHUSDT.csv", [TardisFixture.quotesHeader, "binance,ETHUSDT,\(t),\(t),1,11,10,1"])
        fixture.write("bybit_quotes_2024-01-01_BTCUSDT.csv", [TardisFixture.quotesHeader, "bybit,BTCUSDT,\(t),\(t),1,11,10,1"])
        fixture.write("binance_quotes_2024-01-01_BTCUSDT.csv", [TardisFixture.quotesHeader, "binance,BTCUSDT,\(t),\(t),1,11,10,1"])
        let dataSet = try fixture.open()
        var replay = dataSet.replay()
        let labels = drain(&replay).map { Self.label($0, dataSet.symbols) }
        #expect(labels == [
            "quote BTCUSDT@binance", "quote BTCUSDT@bybit", "quote ETHUSDT@binance",
            "trade BTCUSDT@binance", "trade ETHUSDT@binance",
            "book BTCUSDT@binance", "book/end BTCUSDT@binance", "book ETHUSDT@binance", "book/end ETHUSDT@binance",
        ])
    }

    @Test("an L2 message is never split by rows of another file, and rows of one file keep their order")
    func l2MessageNotSplit() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write("binance_incremental_book_L2_2024-01-01_BTCUSDT.csv", [
            TardisFixture.bookHeader,
            "binance,BTCUSDT,\(us(0)),\(us(50)),false,bid,10,1",
            "binance,BTCUSDT,\(us(0)),\(us(50)),false,bid,9,1",
            "binance,BTCUSDT,\(us(0)),\(us(50)),false,bid,8,1",
        ])
        // Quotes of a symbol sorting after BTCUSDT on both sides of the message's time.
        fixture.write("binance_quotes_2024-01-01_XRPUSDT.csv", [
            TardisFixture.quotesHeader,
            "binance,XRPUSDT,\(us(0)),\(us(40)),1,2,1,1",
            "binance,XRPUSDT,\(us(0)),\(us(50)),1,3,1,1",
            "binance,XRPUSDT,\(us(0)),\(us(50)),1,4,1,1",
            "binance,XRPUSDT,\(us(0)),\(us(60)),1,5,1,1",
        ])
        let dataSet = try fixture.open()
        var replay = dataSet.replay()
        let events = drain(&replay)
        #expect(events.map { Self.label($0, dataSet.symbols) } == [
            "quote XRPUSDT@binance", "quote XRPUSDT@binance", "quote XRPUSDT@binance",
            "book BTCUSDT@binance", "book BTCUSDT@binance", "book/end BTCUSDT@binance", "quote XRPUSDT@binance",
        ])
        let askPrices = events.compactMap { event -> Fixed8? in
            if case .quote(let q) = event { return q.askPrice }
            return nil
        }
        #expect(askPrices == ["2", "3", "4", "5"].map(fixed))
    }

    @Test("files of one stream on consecutive dates are read one after the other")
    func datesChain() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write("binance_trades_2024-01-02_BTCUSDT.csv", [TardisFixture.tradesHeader, "binance,BTCUSDT,\(us(300)),\(us(300)),3,buy,3,1"])
        fixture.write("binance_trades_2024-01-01_BTCUSDT.csv", [
            TardisFixture.tradesHeader, "binance,BTCUSDT,\(us(100)),\(us(100)),1,buy,1,1", "binance,BTCUSDT,\(us(200)),\(us(200)),2,buy,2,1"])
        fixture.write("binance_quotes_2024-01-01_BTCUSDT.csv", [TardisFixture.quotesHeader, "binance,BTCUSDT,\(us(250)),\(us(250)),1,2,1,1"])
        let dataSet = try fixture.open()
        #expect(dataSet.files.map { $0.path.split(separator: "/").last! } == [
            "binance_quotes_2024-01-01_BTCUSDT.csv", "binance_trades_2024-01-01_BTCUSDT.csv", "binance_trades_2024-01-02_BTCUSDT.csv"])
        var replay = dataSet.replay()
        #expect(drain(&replay).map(\.tsRecv) == [ns(100), ns(200), ns(250), ns(300)])
    }

    @Test("a grouped file (symbol part PERPETUALS) takes each row's symbol from the symbol column")
    func groupedFileSymbolsFromColumn() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write("binance-futures_trades_2024-01-01_PERPETUALS.csv", [
            TardisFixture.tradesHeader,
            "binance-futures,BTCUSDT,\(us(1)),\(us(1)),1,buy,100,1",
            "binance-futures,ETHUSDT,\(us(2)),\(us(2)),2,sell,10,1",
            "binance-futures,BTCUSDT,\(us(3)),\(us(3)),3,buy,101,1",
        ])
        let dataSet = try fixture.open()
        let btc = try #require(dataSet.symbols.id(venue: "binance-futures", symbol: "BTCUSDT"))
        let eth = try #require(dataSet.symbols.id(venue: "binance-futures", symbol: "ETHUSDT"))
        var replay = dataSet.replay()
        #expect(drain(&replay).map(\.symbol) == [btc, eth, btc])
    }
}
