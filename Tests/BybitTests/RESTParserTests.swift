import Foundation
import HostCore
import Testing
import VenueKit
@testable import Bybit

/// The REST parsers on recorded Bybit answers (read in place from the shared fixtures).
@Suite("Bybit REST parsers on recorded answers", fixturesPresent)
struct RESTParserTests {
    private func result(_ fixture: String, endpoint: String) throws -> (JSONValue, Int64?) {
        let json = try BybitRESTParser.json(Array(try Fixtures.text(fixture).utf8), endpoint: endpoint)
        let envelope = try BybitRESTParser.envelope(json, endpoint: endpoint)
        #expect(envelope.retCode == 0)
        return (try #require(envelope.result), envelope.timeMs)
    }

    private func decimal(_ text: String) -> Decimal { Decimal(string: text)! }

    @Test("spot instruments-info: tick from priceFilter, lot from basePrecision, min notional from minOrderAmt")
    func spotInstruments() throws {
        let (json, _) = try result("rest_instruments_info_spot_2023-09-14.json", endpoint: "GET /v5/market/instruments-info")
        let (page, cursor) = try BybitRESTParser.instrumentsPage(json, category: .spot, endpoint: "GET /v5/market/instruments-info")
        #expect(cursor == nil)
        #expect(page.instruments.map(\.symbol) == ["BTCUSDT", "ETHUSDT"])
        let btc = try #require(page.instruments.first)
        #expect(btc == Instrument(symbol: "BTCUSDT", venue: "bybit", baseAsset: "BTC", quoteAsset: "USDT", tickSize: decimal("0.01"),
                                  lotSize: decimal("0.000001"), minSize: decimal("0.000048"), minNotional: 1))
        #expect(page.instruments[1].lotSize == decimal("0.00001") && page.instruments[1].minSize == decimal("0.00062"))
        #expect(page.notTrading.isEmpty && page.malformed.isEmpty)
    }

    @Test("linear instruments-info: lot from qtyStep, min size from minOrderQty, min notional from minNotionalValue")
    func linearInstruments() throws {
        let (json, _) = try result("rest_instruments_info_linear.json", endpoint: "GET /v5/market/instruments-info")
        let (page, _) = try BybitRESTParser.instrumentsPage(json, category: .linear, endpoint: "GET /v5/market/instruments-info")
        #expect(page.instruments.count == 2)
        let eth = try #require(page.instruments.last)
        #expect(eth == Instrument(symbol: "ETHUSDT", venue: "bybit", baseAsset: "ETH", quoteAsset: "USDT", tickSize: decimal("0.01"),
                                  lotSize: decimal("0.01"), minSize: decimal("0.01"), minNotional: 5))
        #expect(page.instruments[0].tickSize == decimal("0.10") && page.instruments[0].lotSize == decimal("0.001"))
    }

    @Test("instruments not Trading are reported with their status, malformed items with the field")
    func skippedInstruments() throws {
        let body = #"""
        {"list":[{"symbol":"AUSDT","baseCoin":"A","quoteCoin":"USDT","status":"PreLaunch","priceFilter":{"tickSize":"0.1"},"lotSizeFilter":{"qtyStep":"1"}},
                 {"symbol":"BUSDT","baseCoin":"B","quoteCoin":"USDT","status":"Trading","priceFilter":{"tickSize":"abc"},"lotSizeFilter":{"qtyStep":"1"}},
                 {"symbol":"CUSDT","baseCoin":"C","quoteCoin":"USDT","status":"Trading","priceFilter":{"tickSize":"0.5"},"lotSizeFilter":{"qtyStep":"0.1"}}],
         "nextPageCursor":"next-1"}
        """#
        let json = try #require(JSONValue.parse(Array(body.utf8)))
        let (page, cursor) = try BybitRESTParser.instrumentsPage(json, category: .linear, endpoint: "GET /v5/market/instruments-info")
        #expect(page.instruments.map(\.symbol) == ["CUSDT"])
        #expect(page.notTrading == [.init(symbol: "AUSDT", reason: "PreLaunch")])
        #expect(page.malformed.map(\.symbol) == ["BUSDT"] && page.malformed[0].reason.contains("priceFilter.tickSize"))
        #expect(cursor == "next-1")
    }

    @Test("spot kline rows (newest first on the wire) come back oldest first with exact values")
    func spotKlines() throws {
        let (json, _) = try result("rest_kline_spot_D_testnet_2023-09-14.json", endpoint: "GET /v5/market/kline")
        let rows = try BybitRESTParser.klines(json, endpoint: "GET /v5/market/kline")
        #expect(rows.map(\.startMs) == [1_694_476_800_000, 1_694_563_200_000, 1_694_649_600_000])
        let first = try #require(rows.first)
        #expect(first.open == Fixed8(parsing: "23033.78") && first.high == Fixed8(parsing: "24000") && first.low == Fixed8(parsing: "18505.22")
                && first.close == Fixed8(parsing: "18979.62"))
        #expect(first.volume == decimal("60452.058887") && first.turnover == decimal("1244785350.99018522"))
    }

    @Test("linear kline rows come back oldest first, each close the next open")
    func linearKlines() throws {
        let (json, _) = try result("rest_kline_linear_D_testnet_2023-09-14.json", endpoint: "GET /v5/market/kline")
        let rows = try BybitRESTParser.klines(json, endpoint: "GET /v5/market/kline")
        #expect(rows.count == 3)
        #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.close == $1.open && $0.startMs + 86_400_000 == $1.startMs })
        #expect(rows[1].high == Fixed8(parsing: "34343"))
    }

    @Test("a kline row that is not 7 strings is a specific error naming the row")
    func malformedKline() throws {
        let body = #"{"list":[["1694649600000","1","2","0.5","1.5","10","15"],["1694563200000","1","2","0.5"]]}"#
        let json = try #require(JSONValue.parse(Array(body.utf8)))
        let error = try #require(throws: BybitRESTError.self) { try BybitRESTParser.klines(json, endpoint: "GET /v5/market/kline") }
        #expect(error.code == .invalidResponse && error.message.contains("row 1"))
    }

    @Test("a kline price with more than 8 decimals is refused, never rounded")
    func tooPreciseKline() throws {
        let body = #"{"list":[["1694649600000","1.000000001","2","0.5","1.5","10","15"]]}"#
        let json = try #require(JSONValue.parse(Array(body.utf8)))
        let error = try #require(throws: BybitRESTError.self) { try BybitRESTParser.klines(json, endpoint: "GET /v5/market/kline") }
        #expect(error.message.contains("open") && error.message.contains("more than 8 fractional digits"))
    }

    @Test("spot tickers: exact last price, bid/ask and 24 h turnover")
    func spotTickers() throws {
        let (json, _) = try result("rest_tickers_spot_BTCUSDT_2023-01-16.json", endpoint: "GET /v5/market/tickers")
        let tickers = try BybitRESTParser.tickers(json, category: .spot, endpoint: "GET /v5/market/tickers")
        let btc = try #require(tickers.tickers.first)
        #expect(btc.symbol == "BTCUSDT" && btc.lastPrice == Fixed8(parsing: "20533.13"))
        #expect(btc.bid1Price == Fixed8(parsing: "20517.96") && btc.ask1Price == Fixed8(parsing: "20527.77"))
        #expect(btc.turnover24h == decimal("243765620.65899866") && btc.volume24h == decimal("11801.27771"))
        #expect(btc.price24hPcnt == decimal("0.0068"))
    }

    @Test("top symbols by turnover: highest first, equal turnover ordered by symbol, bad rows reported")
    func topByTurnover() throws {
        let body = #"""
        {"category":"spot","list":[
          {"symbol":"CCCUSDT","lastPrice":"1","turnover24h":"500","volume24h":"1"},
          {"symbol":"AAAUSDT","lastPrice":"1","turnover24h":"900","volume24h":"1"},
          {"symbol":"BBBUSDT","lastPrice":"1","turnover24h":"500","volume24h":"1"},
          {"symbol":"DDDUSDT","lastPrice":"x","turnover24h":"9000","volume24h":"1"},
          {"symbol":"EEEUSDC","lastPrice":"2","bid1Price":"","turnover24h":"700","volume24h":"1"}]}
        """#
        let json = try #require(JSONValue.parse(Array(body.utf8)))
        let tickers = try BybitRESTParser.tickers(json, category: .spot, endpoint: "GET /v5/market/tickers")
        #expect(tickers.topByTurnover(3) == ["AAAUSDT", "EEEUSDC", "BBBUSDT"])
        #expect(tickers.topByTurnover(3) { $0.symbol.hasSuffix("USDT") } == ["AAAUSDT", "BBBUSDT", "CCCUSDT"])
        #expect(tickers.malformed.map(\.symbol) == ["DDDUSDT"])
        #expect(tickers.tickers.first { $0.symbol == "EEEUSDC" }?.bid1Price == nil)
    }

    @Test("server time: timeNano exact to the nanosecond, envelope time kept")
    func serverTime() throws {
        let (json, time) = try result("rest_server_time.json", endpoint: "GET /v5/market/time")
        let serverTime = try BybitRESTParser.serverTime(json, envelopeMs: time, endpoint: "GET /v5/market/time")
        #expect(serverTime.nanoseconds == 1_694_667_737_126_471_019)
        #expect(serverTime.milliseconds == 1_694_667_737_126 && serverTime.envelopeMs == 1_694_667_737_126)
    }

    @Test("orderbook: bids best first, asks best first, u/seq/cts read")
    func orderBook() throws {
        let (json, _) = try result("docshape_http_get_orderbook.json", endpoint: "GET /v5/market/orderbook")
        let book = try BybitRESTParser.orderBook(json, endpoint: "GET /v5/market/orderbook")
        #expect(book.symbol == "BTCUSDT" && book.updateID == 1_234_567 && book.sequence == 9_876_543 && book.matchingEngineMs == 1_709_891_679_000)
        #expect(book.bids.map(\.price) == ["27450.50", "27450.00", "27449.50"].map { Fixed8(parsing: $0)! })
        #expect(book.asks.first == BybitREST.BookLevel(price: Fixed8(parsing: "27451.00")!, size: Fixed8(parsing: "1.200")!))
    }

    @Test("a crossed orderbook is refused")
    func crossedOrderBook() throws {
        let body = #"{"s":"X","b":[["10","1"]],"a":[["9.5","1"]],"ts":1,"u":2}"#
        let json = try #require(JSONValue.parse(Array(body.utf8)))
        let error = try #require(throws: BybitRESTError.self) { try BybitRESTParser.orderBook(json, endpoint: "GET /v5/market/orderbook") }
        #expect(error.message.contains("crossed"))
    }

    @Test("a body that is not JSON is an invalidResponse error quoting its start")
    func notJSON() throws {
        let error = try #require(throws: BybitRESTError.self) {
            try BybitRESTParser.json(Array("<html>busy</html>".utf8), endpoint: "GET /v5/market/time")
        }
        #expect(error.code == .invalidResponse && error.message.contains("<html>"))
    }

    @Test("a JSON body without retCode is not taken for a v5 envelope")
    func noEnvelope() throws {
        let json = try #require(JSONValue.parse(Array(#"{"result":{}}"#.utf8)))
        let error = try #require(throws: BybitRESTError.self) { try BybitRESTParser.envelope(json, endpoint: "GET /v5/market/time") }
        #expect(error.code == .invalidResponse && error.message.contains("retCode"))
    }
}
