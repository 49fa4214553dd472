import Bybit
import Foundation
import HostCore
import Testing
import VenueKit

private let fx = StreamTest.fx

@Suite(fixturesPresent)
struct FrameParserTests {
    @Test("the recorded 500-level snapshot parses with its topic, u, seq, ts, cts and 500 levels a side, best first")
    func orderbook500Snapshot() throws {
        let line = try #require(try StreamTest.orderbook500().first)
        let book = try #require(StreamTest.orderbook(try StreamTest.parse(line)))
        #expect(book.depth == 500)
        #expect(book.symbol == "XRPUSDT")
        #expect(book.kind == .snapshot)
        #expect(book.tsNs == 1_733_011_200_691_000_000)
        #expect(book.bids.count == 500)
        #expect(book.asks.count == 500)
        #expect(book.bids.first == .init(price: fx("1.9531"), size: fx("6203")))
        #expect(book.bids[1] == .init(price: fx("1.9530"), size: fx("2409")))
    }

    @Test("a recorded delta keeps u, seq and cts exactly")
    func orderbook500Delta() throws {
        let line = try StreamTest.orderbook500()[1]
        let book = try #require(StreamTest.orderbook(try StreamTest.parse(line)))
        #expect(book.kind == .delta)
        #expect(book.updateID == 20_254_870)
        #expect(book.sequence == 130_020_239_261)
        #expect(book.ctsNs == 1_733_011_200_691_000_000)
        #expect(book.bids.count == 13)
        #expect(book.asks.count == 22)
        #expect(book.asks.last == .init(price: fx("1.9823"), size: fx("141")))
    }

    @Test("a delta level with size \"0\" parses as a deletion (size zero)")
    func deltaDeletion() throws {
        let book = try #require(StreamTest.orderbook(try StreamTest.parse(try Fixtures.text("docshape_ws_orderbook50_delta.json"))))
        #expect(book.bids.last == .init(price: fx("30240.00"), size: .zero))
        #expect(book.asks.first == .init(price: fx("30248.70"), size: .zero))
        #expect(book.updateID == 177_400_507)
        #expect(book.sequence == 66_544_703_342)
    }

    @Test("the docs' orderbook.50 snapshot parses without cts")
    func docSnapshotWithoutCts() throws {
        let book = try #require(StreamTest.orderbook(try StreamTest.parse(try Fixtures.text("docshape_ws_orderbook50_snapshot.json"))))
        #expect(book.depth == 50)
        #expect(book.ctsNs == nil)
        #expect(book.bids == [.init(price: fx("16493.50"), size: fx("0.006")), .init(price: fx("16493.00"), size: fx("0.100"))])
        #expect(book.asks == [.init(price: fx("16611.00"), size: fx("0.029")), .init(price: fx("16612.00"), size: fx("0.213"))])
    }

    @Test("a publicTrade message carrying three recorded trades yields all three, taker side from S, tick direction from L")
    func linearTrades() throws {
        let frame = try StreamTest.arrayElements("tardis_node_v5_linear_inverse_2023-04-05.json")[0]
        guard case .trades(let message) = try StreamTest.parse(frame) else { Issue.record("not trades"); return }
        #expect(message.symbol == "BTCUSD")
        #expect(message.trades.count == 3)
        #expect(message.trades.map(\.size) == [fx("5823"), fx("3"), fx("5593")])
        #expect(message.trades.allSatisfy { $0.aggressor == .buy && $0.price == fx("28560.50") && $0.timeNs == 1_680_673_823_564_000_000 })
        #expect(message.trades.map(\.tickDirection) == ["PlusTick", "ZeroPlusTick", "ZeroPlusTick"])
        #expect(message.trades[0].id == "0cbf2330-952d-5d03-a462-4bf826c867af")
    }

    @Test("recorded spot trades have numeric-text ids, no tick direction, and Sell takers")
    func spotTrades() throws {
        let frame = try StreamTest.arrayElements("tardis_node_v5_spot_2023-04-05.json")[0]
        guard case .trades(let message) = try StreamTest.parse(frame) else { Issue.record("not trades"); return }
        #expect(message.trades.count == 4)
        #expect(message.trades.allSatisfy { $0.aggressor == .sell && $0.tickDirection == nil && !$0.isBlockTrade })
        #expect(message.trades.map(\.id) == ["2290000000050703789", "2290000000050703790", "2290000000050703791", "2290000000050703792"])
        #expect(message.trades[3].size == fx("0.055371"))
    }

    @Test("the docs' publicTrade example parses every field")
    func docTrade() throws {
        guard case .trades(let message) = try StreamTest.parse(try Fixtures.text("docshape_ws_publicTrade.json")) else {
            Issue.record("not trades"); return
        }
        let trade = try #require(message.trades.first)
        #expect(trade == BybitStreamMessage.Trade(timeNs: 1_672_304_486_865_000_000, symbol: "BTCUSDT", aggressor: .buy, size: fx("0.001"),
                                                  price: fx("16578.50"), tickDirection: "PlusTick",
                                                  id: "20f43950-d8dd-5b31-9112-a178eb6023af", isBlockTrade: false))
        #expect(message.tsNs == 1_672_304_486_868_000_000)
    }

    @Test("a recorded spot ticker snapshot keeps last price, 24 h totals and index price exactly")
    func spotTicker() throws {
        guard case .ticker(let ticker) = try StreamTest.parse(try Fixtures.text("ws_tickers_spot_BTCUSDT.json")) else {
            Issue.record("not a ticker"); return
        }
        #expect(ticker.kind == .snapshot)
        #expect(ticker.crossSequence == 2_588_407_389)
        #expect(ticker.fields.lastPrice == fx("21109.77"))
        #expect(ticker.fields.volume24h == Decimal(string: "6780.866843"))
        #expect(ticker.fields.turnover24h == Decimal(string: "141946527.22907118"))
        #expect(ticker.fields.usdIndexPrice == fx("21120.2400136"))
        #expect(ticker.fields.bid1Price == nil)
    }

    @Test("a recorded linear ticker snapshot keeps bid/ask, mark, index, funding and open interest exactly")
    func linearTicker() throws {
        guard case .ticker(let ticker) = try StreamTest.parse(try Fixtures.text("ws_tickers_linear_BTCUSDT.json")) else {
            Issue.record("not a ticker"); return
        }
        let f = ticker.fields
        #expect(f.bid1Price == fx("17215.50"))
        #expect(f.bid1Size == fx("84.489"))
        #expect(f.ask1Price == fx("17216.00"))
        #expect(f.ask1Size == fx("83.020"))
        #expect(f.markPrice == fx("17217.33"))
        #expect(f.indexPrice == fx("17227.36"))
        #expect(f.fundingRate == fx("-0.000212"))
        #expect(f.openInterest == Decimal(string: "68744.761"))
        #expect(f.nextFundingTimeMs == 1_673_280_000_000)
        #expect(ticker.tsNs == 1_673_272_861_686_000_000)
    }

    @Test("a linear ticker's open interest value becomes an oracle event (source open_interest) once per change; spot tickers none")
    func openInterestEvents() throws {
        guard case .ticker(let linear) = try StreamTest.parse(try Fixtures.text("ws_tickers_linear_BTCUSDT.json")),
              case .ticker(let spot) = try StreamTest.parse(try Fixtures.text("ws_tickers_spot_BTCUSDT.json")) else {
            Issue.record("not tickers"); return
        }
        var interest = BybitOpenInterest()
        let event = interest.event(symbol: SymbolID(3), ticker: linear, tsRecv: 99)
        #expect(event == .oracle(OraclePrice(symbol: SymbolID(3), tsEvent: 1_673_272_861_686_000_000, tsRecv: 99, source: "open_interest",
                                             price: fx("1183601235.91"))))
        #expect(interest.event(symbol: SymbolID(3), ticker: linear, tsRecv: 100) == nil)  // unchanged
        var changed = linear
        changed.fields.openInterestValue = Decimal(string: "1183601300")
        #expect(interest.event(symbol: SymbolID(3), ticker: changed, tsRecv: 101) != nil)
        #expect(interest.event(symbol: SymbolID(4), ticker: spot, tsRecv: 102) == nil)
    }

    @Test("a recorded linear ticker delta merges into its snapshot: changed fields replaced, absent ones kept")
    func tickerDeltaMerge() throws {
        let frames = try StreamTest.arrayElements("tardis_node_v5_linear_inverse_2023-04-05.json")
        var merger = BybitTickerMerger()
        for frame in frames[6...7] {
            guard case .ticker(let ticker) = try StreamTest.parse(frame) else { Issue.record("not a ticker"); return }
            _ = merger.apply(ticker)
        }
        let merged = try #require(merger.tickers["BTCUSD"])
        #expect(merged.fields.openInterest == Decimal(449_736_674))  // from the delta
        #expect(merged.fields.lastPrice == fx("28560.00"))  // kept from the snapshot
        #expect(merged.fields.markPrice == fx("28560.00"))
        #expect(merged.fields.volume24h == Decimal(661_543_991))
        #expect(merged.tsNs == 1_680_673_822_776_000_000)
        #expect(merged.crossSequence == 20_856_433_603)
    }

    @Test("a ticker delta before any snapshot is dropped and counted")
    func tickerDeltaWithoutSnapshot() throws {
        let frames = try StreamTest.arrayElements("tardis_node_v5_linear_inverse_2023-04-05.json")
        guard case .ticker(let delta) = try StreamTest.parse(frames[7]) else { Issue.record("not a ticker"); return }
        var merger = BybitTickerMerger()
        #expect(merger.apply(delta) == nil)
        #expect(merger.droppedDeltas == 1)
    }

    @Test("the docs' kline example parses every candle field; an open candle is not confirmed")
    func docKline() throws {
        guard case .kline(let kline) = try StreamTest.parse(try Fixtures.text("docshape_ws_kline.json")) else {
            Issue.record("not a kline"); return
        }
        #expect(kline.interval == "5")
        #expect(kline.symbol == "BTCUSDT")
        let candle = try #require(kline.candles.first)
        #expect(candle.startNs == 1_672_324_800_000_000_000)
        #expect(candle.endNs == 1_672_325_099_999_000_000)
        #expect([candle.open, candle.close, candle.high, candle.low] == [fx("16649.5"), fx("16677"), fx("16677"), fx("16608")])
        #expect(candle.volume == fx("2.081"))
        #expect(candle.turnover == fx("34666.4005"))
        #expect(!candle.confirmed)
    }

    @Test("a confirmed candle becomes a bar that ends at the candle's exclusive end")
    func candleBar() throws {
        let text = try Fixtures.text("docshape_ws_kline.json").replacingOccurrences(of: "\"confirm\": false", with: "\"confirm\": true")
        guard case .kline(let kline) = try StreamTest.parse(text) else { Issue.record("not a kline"); return }
        let candle = try #require(kline.candles.first)
        #expect(candle.confirmed)
        let bar = candle.bar(symbol: SymbolID(3), tsRecv: 42)
        #expect(bar.openTime == 1_672_324_800_000_000_000)
        #expect(bar.tsEvent == 1_672_325_100_000_000_000)
        #expect(bar.interval == 300_000_000_000)
        #expect(bar.close == fx("16677"))
    }

    @Test("a subscribe ack parses as a successful op response with its request id")
    func subscribeAck() throws {
        let message = try StreamTest.parse(try Fixtures.text("docshape_ws_subscription_ack.json"))
        #expect(message == .opResponse(.init(op: "subscribe", success: true, retMessage: "", connectionID: "cejreaspqfm9se7usbrg-2xh",
                                             requestID: "sub-orderbook-1")))
    }

    @Test("a failed subscribe parses with success false and the venue's reason")
    func subscribeFailure() throws {
        guard case .opResponse(let response) = try StreamTest.parse(try Fixtures.text("docshape_ws_subscription_failure.json")) else {
            Issue.record("not an op response"); return
        }
        #expect(!response.success)
        #expect(response.retMessage == "Invalid topic: invalid.topic.BTCUSDT")
        #expect(response.requestID == nil)
    }

    @Test("spot, linear and option pong answers parse as pongs", arguments: [
        #"{"success":true,"ret_msg":"pong","conn_id":"0970e817-426e-429a-a679-ff7f55e0b16a","op":"ping"}"#,
        #"{"success":true,"ret_msg":"pong","conn_id":"465772b1-7630-4fdc-a492-e003e6f0f260","req_id":"","op":"ping"}"#,
        #"{"args":["1672916271846"],"op":"pong"}"#,
    ])
    func pongs(frame: String) throws {
        guard case .pong = try StreamTest.parse(frame) else { Issue.record("not a pong"); return }
    }

    @Test("recorded liquidation topics parse as unknown topics and are counted")
    func unknownTopics() throws {
        let frames = try StreamTest.arrayElements("tardis_node_v5_linear_inverse_2023-04-05.json")
        var parser = BybitFrameParser()
        let liquidation = try parser.parse(frames[11])  // `data` comes before `topic` in this one
        #expect(liquidation == .unknown(topic: "liquidation.GALAUSDT"))
        #expect(try parser.parse(frames[14]) == .unknown(topic: "allLiquidation.PIPPINUSDT"))
        #expect(parser.unknownTopics == 2)
    }

    @Test("an orderbook message whose data comes before its topic and type parses the same")
    func keyOrder() throws {
        let reordered = #"{"data":{"u":5,"a":[["101.5","2"]],"seq":9,"b":[["100.5","1"]],"s":"ETHUSDT"},"cts":1700000000001,"ts":1700000000002,"type":"delta","topic":"orderbook.200.ETHUSDT"}"#
        let book = try #require(StreamTest.orderbook(try StreamTest.parse(reordered)))
        #expect(book == BybitStreamMessage.Orderbook(depth: 200, symbol: "ETHUSDT", kind: .delta, tsNs: 1_700_000_000_002_000_000,
                                                     ctsNs: 1_700_000_000_001_000_000, updateID: 5, sequence: 9,
                                                     bids: [.init(price: fx("100.5"), size: fx("1"))], asks: [.init(price: fx("101.5"), size: fx("2"))]))
    }

    @Test("the compact orderbook path and the general scanner agree on every recorded message")
    func compactPathMatchesGeneral() throws {
        var parser = BybitFrameParser()
        for line in try StreamTest.orderbook500() {
            let compact = try parser.parse(line)
            // A blank after the opening brace is valid JSON the compact path does not take.
            let general = try parser.parse("{ " + line.dropFirst())
            #expect(compact == general)
        }
        let spot = try StreamTest.arrayElements("tardis_node_v5_spot_2023-04-05.json")[4]  // `ts` before `type`, no `cts`
        let compact = try #require(StreamTest.orderbook(try parser.parse(spot.filter { !$0.isWhitespace })))
        #expect(compact == StreamTest.orderbook(try parser.parse(spot)))
        #expect(compact.updateID == 59_438_060)
    }

    /// Frames that must be refused, with the code each must carry.
    static let malformed: [(name: String, frame: String, code: StreamParseError.Code)] = [
        ("truncated", #"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[["1","2"]"#, .malformedJSON),
        ("not JSON", "pong", .malformedJSON),
        ("trailing bytes", #"{"op":"pong"} x"#, .malformedJSON),
        ("a price that is not a decimal", StreamTest.bookFrame("delta", u: 2, bids: [("abc", "1")]), .invalidValue),
        ("a zero price", StreamTest.bookFrame("delta", u: 2, bids: [("0", "1")]), .invalidValue),
        ("a negative size", StreamTest.bookFrame("delta", u: 2, asks: [("10", "-1")]), .invalidValue),
        ("a price with nine decimals", StreamTest.bookFrame("delta", u: 2, bids: [("0.000000001", "1")]), .invalidValue),
        ("a level with one element", #"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"b":[["1"]],"a":[],"u":2}}"#, .invalidValue),
        ("no u", #"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[]}}"#, .missingField),
        ("no asks", #"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"b":[],"u":2}}"#, .missingField),
        ("an unknown type", #"{"topic":"orderbook.50.BTCUSDT","type":"full","ts":1,"data":{"b":[],"a":[],"u":2}}"#, .invalidValue),
        ("no type on a book", #"{"topic":"orderbook.50.BTCUSDT","ts":1,"data":{"b":[],"a":[],"u":2}}"#, .missingField),
        ("no ts", #"{"topic":"orderbook.50.BTCUSDT","type":"delta","data":{"b":[],"a":[],"u":2}}"#, .missingField),
        ("no data", #"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1}"#, .missingField),
        ("a depth that is not a number", #"{"topic":"orderbook.x.BTCUSDT","type":"delta","ts":1,"data":{"b":[],"a":[],"u":2}}"#, .invalidValue),
        ("a topic without a symbol", #"{"topic":"orderbook.50.","type":"delta","ts":1,"data":{"b":[],"a":[],"u":2}}"#, .invalidValue),
        ("trade data that is an object", #"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":{"T":1}}"#, .malformedJSON),
        ("a trade side that is neither Buy nor Sell", #"{"topic":"publicTrade.BTCUSDT","ts":1,"data":[{"T":1,"S":"Hold","v":"1","p":"2","i":"x"}]}"#, .invalidValue),
        ("a trade without a price", #"{"topic":"publicTrade.BTCUSDT","ts":1,"data":[{"T":1,"S":"Buy","v":"1","i":"x"}]}"#, .invalidValue),
        ("a candle whose high is below its low", #"{"topic":"kline.1.BTCUSDT","ts":1,"data":[{"start":0,"end":59999,"interval":"1","open":"5","close":"5","high":"4","low":"6","volume":"1","turnover":"5","confirm":true,"timestamp":1}]}"#, .invalidValue),
        ("an op response without success", #"{"ret_msg":"","conn_id":"x","op":"subscribe"}"#, .missingField),
        ("neither topic nor op", #"{"ret_msg":"","conn_id":"x"}"#, .missingField),
    ]

    @Test("malformed frames throw a specific StreamParseError", arguments: 0..<malformed.count)
    func malformedFrames(index: Int) {
        let (name, frame, code) = Self.malformed[index]
        do {
            let message = try StreamTest.parse(frame)
            Issue.record("\(name): parsed as \(message)")
        } catch {
            #expect(error.code == code, "\(name): \(error)")
        }
    }
}
