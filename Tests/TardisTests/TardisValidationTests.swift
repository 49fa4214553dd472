import Foundation
import HostCore
import HostFeeds
import Testing

/// Rows that parse but are not market data, exchanges, and the messages of issue 11.
struct TardisValidationTests {
    static let quotesFile = "binance_quotes_2024-01-01_BTCUSDT.csv"
    static let tradesFile = "binance_trades_2024-01-01_BTCUSDT.csv"
    static let bookFile = "binance_incremental_book_L2_2024-01-01_BTCUSDT.csv"

    /// A file named `name` whose third line is `row` (quote fields: ask_amount, ask_price, bid_price, bid_amount).
    static func write(_ fixture: TardisFixture, _ name: String, badRow row: String) -> String {
        let (header, good1, good3): (String, String, String)
        switch name {
        case quotesFile:
            header = TardisFixture.quotesHeader
            good1 = "binance,BTCUSDT,\(us(10)),\(us(10)),1,101,100,1"
            good3 = "binance,BTCUSDT,\(us(30)),\(us(30)),1,102,101,1"
        case tradesFile:
            header = TardisFixture.tradesHeader
            good1 = "binance,BTCUSDT,\(us(10)),\(us(10)),1,buy,100,1"
            good3 = "binance,BTCUSDT,\(us(30)),\(us(30)),3,sell,101,2"
        default:
            header = TardisFixture.bookHeader
            good1 = "binance,BTCUSDT,\(us(10)),\(us(10)),false,bid,100,1"
            good3 = "binance,BTCUSDT,\(us(30)),\(us(30)),false,ask,101,2"
        }
        return fixture.write(name, [header, good1, row, good3])
    }

    /// Replays the one-file data set; the events, the error that ended it and the counters.
    static func replay(_ fixture: TardisFixture, skipMalformed: Bool = false) throws -> ([MarketEvent], TardisError?, TardisStatistics) {
        var replay = try fixture.open(TardisOptions(skipMalformed: skipMalformed)).replay()
        let events = drain(&replay)
        return (events, replay.failure, replay.statistics)
    }

    /// Expects the third line of `name` to be a malformed row whose message contains `mention`.
    static func expectMalformed(_ name: String, _ row: String, mention: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        let path = write(fixture, name, badRow: row)
        let (events, failure, _) = try replay(fixture)
        #expect(events.map(\.tsRecv) == [ns(10)], sourceLocation: sourceLocation)
        let error = try #require(failure, sourceLocation: sourceLocation)
        #expect(error.code == .malformedRow && error.path == path && error.line == 3, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(mention), "\(error)", sourceLocation: sourceLocation)
    }

    @Test("a quote with an empty price but an amount is malformed, not a price of 0",
          arguments: [("1,,100,1", "ask side is half empty"), ("1,101,,1", "bid side is half empty"),
                      (",101,100,1", "ask side is half empty"), ("1,101,100,", "bid side is half empty")])
    func halfEmptyQuoteSide(fields: String, mention: String) throws {
        try Self.expectMalformed(Self.quotesFile, "binance,BTCUSDT,\(us(20)),\(us(20)),\(fields)", mention: mention)
    }

    @Test("a quote side with both fields empty (Tardis: no bids or no asks) is kept as price 0, size 0")
    func emptyQuoteSideIsKept() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        _ = Self.write(fixture, Self.quotesFile, badRow: "binance,BTCUSDT,\(us(20)),\(us(20)),,,100,1")
        let (events, failure, _) = try Self.replay(fixture)
        #expect(failure == nil)
        guard events.count == 3, case .quote(let quote) = events[1] else { Issue.record("expected 3 quotes"); return }
        #expect(quote.askPrice == .zero && quote.askSize == .zero && quote.bidPrice == fixed("100"))
    }

    @Test("a quote price of zero or below is malformed",
          arguments: [("1,0,100,1", "ask_price must be greater than 0"), ("1,-101,100,1", "ask_price must be greater than 0"),
                      ("1,101,0,1", "bid_price must be greater than 0"), ("1,101,-5,1", "bid_price must be greater than 0")])
    func nonPositiveQuotePrice(fields: String, mention: String) throws {
        try Self.expectMalformed(Self.quotesFile, "binance,BTCUSDT,\(us(20)),\(us(20)),\(fields)", mention: mention)
    }

    @Test("a negative quote amount is malformed",
          arguments: [("-1,101,100,1", "ask_amount must not be negative"), ("1,101,100,-0.5", "bid_amount must not be negative")])
    func negativeQuoteAmount(fields: String, mention: String) throws {
        try Self.expectMalformed(Self.quotesFile, "binance,BTCUSDT,\(us(20)),\(us(20)),\(fields)", mention: mention)
    }

    @Test("a crossed or locked quote (bid not below ask) is malformed", arguments: ["1,100,101,1", "1,100,100,1"])
    func crossedQuote(fields: String) throws {
        try Self.expectMalformed(Self.quotesFile, "binance,BTCUSDT,\(us(20)),\(us(20)),\(fields)", mention: "crossed")
    }

    @Test("a trade price or amount of zero or below is malformed",
          arguments: [("0,1", "price must be greater than 0"), ("-100,1", "price must be greater than 0"),
                      ("100,0", "amount must be greater than 0"), ("100,-1", "amount must be greater than 0")])
    func nonPositiveTrade(fields: String, mention: String) throws {
        try Self.expectMalformed(Self.tradesFile, "binance,BTCUSDT,\(us(20)),\(us(20)),2,buy,\(fields)", mention: mention)
    }

    @Test("an L2 price of zero or below, or a negative L2 amount, is malformed",
          arguments: [("0,1", "price must be greater than 0"), ("-100,1", "price must be greater than 0"),
                      ("100,-1", "amount must not be negative")])
    func invalidBookRow(fields: String, mention: String) throws {
        try Self.expectMalformed(Self.bookFile, "binance,BTCUSDT,\(us(20)),\(us(20)),false,bid,\(fields)", mention: mention)
    }

    @Test("an L2 amount of 0 (a level deleted) is valid")
    func zeroBookAmountDeletes() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        _ = Self.write(fixture, Self.bookFile, badRow: "binance,BTCUSDT,\(us(20)),\(us(20)),false,bid,100,0")
        let (events, failure, _) = try Self.replay(fixture)
        #expect(failure == nil)
        #expect(events.compactMap(\.bookDelta).map(\.size) == [fixed("1"), .zero, fixed("2")])
    }

    @Test("a lone '-' or '.' as a number is malformed, not 0", arguments: ["-", ".", "-."])
    func loneSignOrDot(text: String) throws {
        try Self.expectMalformed(Self.tradesFile, "binance,BTCUSDT,\(us(20)),\(us(20)),2,buy,100,\(text)", mention: "amount")
    }

    @Test("a row whose exchange differs from the file name's exchange is malformed")
    func exchangeMismatch() throws {
        try Self.expectMalformed(Self.tradesFile, "bybit,BTCUSDT,\(us(20)),\(us(20)),2,buy,100,1", mention: "exchange \"bybit\"")
    }

    @Test("a file whose first row names another exchange fails at its first row")
    func exchangeMismatchFirstRow() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write(Self.tradesFile, [TardisFixture.tradesHeader, "bybit,BTCUSDT,\(us(10)),\(us(10)),1,buy,100,1"])
        let (events, failure, _) = try Self.replay(fixture)
        #expect(events.isEmpty)
        #expect(failure?.code == .malformedRow && failure?.line == 2)
    }

    @Test("with skipMalformed, invalid values are skipped and counted", arguments: [false, true])
    func invalidValuesSkipped(crossed: Bool) throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        _ = Self.write(fixture, Self.quotesFile, badRow: "binance,BTCUSDT,\(us(20)),\(us(20)),\(crossed ? "1,100,101,1" : "1,,100,1")")
        let (events, failure, statistics) = try Self.replay(fixture, skipMalformed: true)
        #expect(failure == nil)
        #expect(events.map(\.tsRecv) == [ns(10), ns(30)])
        #expect(statistics.rowsSkipped == 1)
    }

    @Test("a malformed row's fix names the --skip-malformed flag, not a skip_malformed key")
    func fixNamesTheFlag() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        _ = Self.write(fixture, Self.tradesFile, badRow: "binance,BTCUSDT,\(us(20)),\(us(20)),2,buy,100,x")
        let (_, failure, _) = try Self.replay(fixture)
        let error = try #require(failure)
        #expect(error.fix.contains("--skip-malformed"))
        #expect(!error.fix.contains("skip_malformed"))
    }

    @Test("two exchanges' files of one symbol are listed by symbolsOnSeveralExchanges")
    func twoExchangesOneSymbol() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write("binance_quotes_2024-01-01_BTCUSDT.csv", [TardisFixture.quotesHeader, "binance,BTCUSDT,\(us(10)),\(us(10)),1,101,100,1"])
        fixture.write("bybit_quotes_2024-01-01_BTCUSDT.csv", [TardisFixture.quotesHeader, "bybit,BTCUSDT,\(us(11)),\(us(11)),1,101,100,1"])
        fixture.write("binance_quotes_2024-01-01_ETHUSDT.csv", [TardisFixture.quotesHeader, "binance,ETHUSDT,\(us(12)),\(us(12)),1,11,10,1"])
        let conflicts = try fixture.open().symbolsOnSeveralExchanges
        #expect(conflicts.map(\.symbol) == ["BTCUSDT"])
        #expect(Set(conflicts.first?.files.map(\.exchange) ?? []) == ["binance", "bybit"])
        #expect(try fixture.open(TardisOptions(symbols: ["ETHUSDT"])).symbolsOnSeveralExchanges.isEmpty)
    }

    @Test("a header behind a UTF-8 byte-order mark is a wrong_header error that says byte-order mark")
    func byteOrderMark() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write(Self.tradesFile, ["\u{FEFF}" + TardisFixture.tradesHeader, "binance,BTCUSDT,\(us(10)),\(us(10)),1,buy,100,1"])
        do {
            _ = try fixture.open()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .wrongHeader && error.line == 1)
            #expect(error.message.contains("byte-order mark"))
        }
    }

    @Test("a data path that is a file says it is a file, not that it does not exist")
    func dataIsAFile() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        let path = Self.write(fixture, Self.tradesFile, badRow: "binance,BTCUSDT,\(us(20)),\(us(20)),2,buy,100,1")
        do {
            _ = try TardisDataSet(directory: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("is a file, not a directory"))
            #expect(!error.message.contains("does not exist"))
        }
    }

    @Test("a directory without Tardis names says so in a grammatical sentence")
    func noTardisNamesMessage() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write("notes.txt", ["hello"])
        do {
            _ = try fixture.open()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .noMatchingFiles)
            #expect(error.message.hasPrefix("no file in the directory is named {exchange}_"))
            #expect(!error.message.contains("found no file is named"))
        }
    }
}
