import Binance
import Foundation
import HostCore
import Testing
import VenueKit

private func bytes(_ name: String) throws -> [UInt8] { Array(try Fixtures.text(name).utf8) }
private func decimal(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }
private func fixed(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }

/// The REST body parsers on recorded Binance answers.
@Suite(fixturesPresent)
struct RESTParserFixtureTests {
    @Test("exchangeInfo 2021 excerpt: every TRADING symbol becomes an instrument with exact filters and MIN_NOTIONAL")
    func exchangeInfoExcerpt() throws {
        let info = try BinanceRESTParser.exchangeInfo(try bytes("rest_exchangeInfo_excerpt_2021-10-12.json"))
        #expect(info.instruments.map(\.symbol) == ["BTCUSDT", "ETHUSDT", "LRCBTC", "BLZETH", "NKNUSDT", "RUNEEUR"])
        #expect(info.skipped.isEmpty)
        let btc = try #require(info.instruments.first)
        #expect(btc == Instrument(symbol: "BTCUSDT", venue: "binance", baseAsset: "BTC", quoteAsset: "USDT",
                                  tickSize: decimal("0.01"), lotSize: decimal("0.00001"), minSize: decimal("0.00001"), minNotional: decimal("10")))
    }

    @Test("exchangeInfo 2021 excerpt: the REQUEST_WEIGHT limit of that time (1200 per minute) is read")
    func exchangeInfoRateLimits() throws {
        let info = try BinanceRESTParser.exchangeInfo(try bytes("rest_exchangeInfo_excerpt_2021-10-12.json"))
        let limit = try #require(info.requestWeightLimit)
        #expect(limit.limit == 1200)
        #expect(limit.windowMs == 60_000)
        #expect(info.rateLimits.count == 4)
    }

    @Test("exchangeInfo BTCUSDT+ETHUSDT: ETHUSDT's lot size and minimum quantity are 0.0001")
    func exchangeInfoTwoSymbols() throws {
        let info = try BinanceRESTParser.exchangeInfo(try bytes("rest_exchangeInfo_BTCUSDT_ETHUSDT_2021-10-22.json"))
        let eth = try #require(info.instruments.first { $0.symbol == "ETHUSDT" })
        #expect(eth.lotSize == decimal("0.0001"))
        #expect(eth.minSize == decimal("0.0001"))
        #expect(eth.tickSize == decimal("0.01"))
        #expect(eth.baseAsset == "ETH" && eth.quoteAsset == "USDT")
    }

    @Test("klines BTCUSDT 1m: ten rows, the first one exact to the last digit")
    func klines() throws {
        let rows = try BinanceRESTParser.klines(try bytes("rest_klines_BTCUSDT_1m_2021-10-22.json"))
        #expect(rows.count == 10)
        let first = try #require(rows.first)
        #expect(first == BinanceRESTKline(openTime: 1_634_943_780_000, open: fixed("60685.22"), high: fixed("60729.84"), low: fixed("60670.90"),
                                         close: fixed("60719.27"), volume: decimal("21.63272"), closeTime: 1_634_943_839_999,
                                         quoteVolume: decimal("1313200.01340410"), trades: 617, takerBuyBaseVolume: decimal("12.28492"),
                                         takerBuyQuoteVolume: decimal("745719.41022840")))
        #expect(zip(rows, rows.dropFirst()).allSatisfy { $1.openTime - $0.openTime == 60_000 })
    }

    @Test("ticker/24hr doc shape (one object): symbol, last, open, high and low prices and volumes exact")
    func ticker() throws {
        let tickers = try BinanceRESTParser.tickers24h(try bytes("docshape_ticker_24hr_response.json"))
        #expect(tickers == [BinanceTicker24h(symbol: "BNBBTC", lastPrice: fixed("4.000002"), volume: decimal("8913.3"), quoteVolume: decimal("15.3"),
                                              count: 76, openTime: 1_499_783_499_040, closeTime: 1_499_869_899_040,
                                              openPrice: fixed("99"), highPrice: fixed("100"), lowPrice: fixed("0.1"))])
    }

    @Test("depth NKNUSDT limit 1000: the snapshot the book sync starts from, via the one depth parser")
    func depthSnapshot() throws {
        let snapshot = try BinanceDepthSnapshot.parse(try bytes("rest_depth_snapshot_NKNUSDT_limit1000.json"))
        #expect(snapshot.lastUpdateID == 499_869_752)
        #expect(snapshot.bids.first == BinanceLevel(price: fixed("0.3521"), size: fixed("672")))
        #expect(snapshot.asks.first == BinanceLevel(price: fixed("0.3525"), size: fixed("3959")))
        #expect(snapshot.bids.count == 609)
        #expect(snapshot.asks.count == 1000)
    }
}

/// Parser behaviour on shapes the recordings do not cover (modern filters, bad bodies).
struct RESTParserShapeTests {
    private static let modernInfo = """
    {"timezone":"UTC","serverTime":1700000000000,"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000}],
     "exchangeFilters":[],"symbols":[
      {"symbol":"SOLUSDT","status":"TRADING","baseAsset":"SOL","quoteAsset":"USDT","filters":[
        {"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"10000.00000000","tickSize":"0.01000000"},
        {"filterType":"LOT_SIZE","minQty":"0.00100000","maxQty":"9000000.00000000","stepSize":"0.00100000"},
        {"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true,"maxNotional":"9000000.00000000","applyMaxToMarket":false,"avgPriceMins":5}]},
      {"symbol":"LUNAUSDT","status":"BREAK","baseAsset":"LUNA","quoteAsset":"USDT","filters":[]},
      {"symbol":"ODDUSDT","status":"TRADING","baseAsset":"ODD","quoteAsset":"USDT","filters":[
        {"filterType":"LOT_SIZE","minQty":"1.00000000","maxQty":"100.00000000","stepSize":"1.00000000"}]}]}
    """

    @Test("modern exchangeInfo: NOTIONAL gives the minimum notional")
    func notionalFilter() throws {
        let info = try BinanceRESTParser.exchangeInfo(Array(Self.modernInfo.utf8))
        let sol = try #require(info.instruments.first)
        #expect(sol.symbol == "SOLUSDT")
        #expect(sol.minNotional == decimal("5"))
        #expect(sol.lotSize == decimal("0.001"))
    }

    @Test("exchangeInfo: a symbol not TRADING and one without PRICE_FILTER are skipped with the reason")
    func skippedSymbols() throws {
        let info = try BinanceRESTParser.exchangeInfo(Array(Self.modernInfo.utf8))
        #expect(info.instruments.map(\.symbol) == ["SOLUSDT"])
        #expect(info.skipped.map(\.symbol) == ["LUNAUSDT", "ODDUSDT"])
        #expect(info.skipped[0].status == "BREAK")
        #expect(info.skipped[0].reason.contains("not TRADING"))
        #expect(info.skipped[1].reason.contains("PRICE_FILTER"))
    }

    @Test("a truncated exchangeInfo body is a parse error, not a partial list")
    func truncatedBody() {
        let cut = Array(Self.modernInfo.utf8.prefix(300))
        #expect(throws: StreamParseError.self) { try BinanceRESTParser.exchangeInfo(cut) }
    }

    @Test("a kline row with five elements is refused, naming the missing element")
    func shortKlineRow() throws {
        let error = try #require(throws: StreamParseError.self) {
            try BinanceRESTParser.klines(Array(#"[[1634943780000,"1.0","2.0","0.5","1.5"]]"#.utf8))
        }
        #expect(error.code == .invalidValue)
        #expect(error.expected.contains("volume"))
    }

    @Test("a kline whose high is below its low is refused")
    func inconsistentKline() {
        let row = #"[[1,"1.0","0.5","2.0","1.0","1","59999","1",1,"0","0","0"]]"#
        #expect(throws: StreamParseError.self) { try BinanceRESTParser.klines(Array(row.utf8)) }
    }

    @Test("klines out of time order are refused")
    func klinesOutOfOrder() {
        let rows = #"[[120000,"1","1","1","1","1",179999,"1",1,"0","0","0"],[60000,"1","1","1","1","1",119999,"1",1,"0","0","0"]]"#
        #expect(throws: StreamParseError.self) { try BinanceRESTParser.klines(Array(rows.utf8)) }
    }

    @Test("a ticker without quoteVolume is refused")
    func tickerWithoutQuoteVolume() {
        #expect(throws: StreamParseError.self) { try BinanceRESTParser.tickers24h(Array(#"[{"symbol":"BTCUSDT","volume":"1"}]"#.utf8)) }
    }

    @Test("an empty body is a parse error")
    func emptyBody() {
        #expect(throws: StreamParseError.self) { try BinanceRESTParser.tickers24h([]) }
    }

    @Test("Binance's error body gives code and message")
    func errorBody() throws {
        let body = try #require(BinanceRESTParser.errorBody(Array(#"{"code":-1121,"msg":"Invalid symbol."}"#.utf8)))
        #expect(body.code == -1121)
        #expect(body.message == "Invalid symbol.")
        #expect(BinanceRESTParser.errorBody(Array("<html>".utf8)) == nil)
    }

    @Test("server time body gives unix ms")
    func serverTime() throws {
        #expect(try BinanceRESTParser.serverTime(Array(#"{"serverTime":1499827319559}"#.utf8)) == 1_499_827_319_559)
    }
}

/// Choosing the most traded symbols.
struct RESTTopSymbolsTests {
    private func ticker(_ symbol: String, _ volume: Decimal) -> BinanceTicker24h {
        BinanceTicker24h(symbol: symbol, lastPrice: nil, volume: 0, quoteVolume: volume, count: 0, openTime: 0, closeTime: 0)
    }

    @Test("top-N ranks by quote volume and breaks ties by symbol name")
    func rankingAndTies() {
        let tickers = [ticker("ETHUSDT", 500), ticker("BTCUSDT", 900), ticker("SOLUSDT", 500), ticker("ADAUSDT", 500), ticker("XRPUSDT", 10)]
        #expect(BinanceTicker24h.top(tickers, count: 3).map(\.symbol) == ["BTCUSDT", "ADAUSDT", "ETHUSDT"])
    }

    @Test("top-N with a quote asset keeps only symbols quoted in it")
    func quoteFilter() {
        let tickers = [ticker("ETHBTC", 5_000), ticker("BTCUSDT", 900), ticker("USDTTRY", 800), ticker("ETHUSDT", 100)]
        #expect(BinanceTicker24h.top(tickers, count: 10, quoteAsset: "USDT").map(\.symbol) == ["BTCUSDT", "ETHUSDT"])
    }

    @Test("top-N among instruments drops symbols that are not listed as TRADING")
    func amongInstruments() {
        let tickers = [ticker("LUNAUSDT", 9_000), ticker("BTCUSDT", 900), ticker("ETHUSDT", 100)]
        let instruments = ["BTCUSDT", "ETHUSDT"].map { Instrument.generic(symbol: $0, venue: "binance") }
        #expect(BinanceTicker24h.top(tickers, count: 2, quoteAsset: "USDT", instruments: instruments).map(\.symbol) == ["BTCUSDT", "ETHUSDT"])
    }
}
