import Binance
import Foundation
import HostCore
import Testing
import VenueKit

private func fx(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }
private func parseOne(_ frame: String) throws -> BinanceStreamMessage? { try StreamTestSupport.parseOne(frame) }
private func fixtureFrames(_ name: String) throws -> [String] { try StreamTestSupport.fixtureFrames(name) }
private func byteOffset(of needle: String, in text: String) -> Int? { StreamTestSupport.byteOffset(of: needle, in: text) }

@Suite(fixturesPresent)
struct StreamParserFixtureTests {
    @Test("the first recorded NKNUSDT depth diff parses with its update ids, ns event time and exact levels")
    func depthUpdateFirstLine() throws {
        let line = try #require(try Fixtures.lines("ws_depthUpdate_100ms_NKNUSDT.jsonl").first)
        let update = try #require(try parseOne(line)?.depthUpdate)
        #expect(update.symbol == "NKNUSDT")
        #expect(update.firstUpdateID == 499_869_750)
        #expect(update.finalUpdateID == 499_869_752)
        #expect(update.eventTime == 1_633_998_512_068 * 1_000_000)
        #expect(Array(update.bids) == [BinanceLevel(price: fx("0.3513"), size: fx("6195")), BinanceLevel(price: fx("0.3475"), size: fx("5548")),
                                BinanceLevel(price: fx("0.3464"), size: fx("6222"))])
        #expect(update.asks.isEmpty)
    }

    @Test("every line of the NKNUSDT depth capture parses as a depthUpdate with U ≤ u")
    func depthUpdateAllLines() throws {
        let lines = try Fixtures.lines("ws_depthUpdate_100ms_NKNUSDT.jsonl")
        #expect(lines.count == 150)
        var parser = BinanceStreamParser()
        for line in lines {
            let update = try #require(try parser.parse(line)?.depthUpdate)
            #expect(update.firstUpdateID <= update.finalUpdateID)
            #expect(update.symbol == "NKNUSDT")
        }
        #expect(parser.unknownEvents == 0)
    }

    @Test("recorded bookTicker frames parse with u, both sides exact, and no event time (spot sends none)")
    func bookTicker() throws {
        let frames = try fixtureFrames("ws_bookTicker_combined.json")
        let tickers = try frames.map { try #require(try parseOne($0)?.bookTicker) }
        #expect(tickers.count == 3)
        #expect(tickers[0] == BinanceBookTicker(symbol: "NKNUSDT", updateID: 499_869_768, bidPrice: fx("0.3521"), bidSize: fx("672"),
                                                askPrice: fx("0.3526"), askSize: fx("3199"), eventTime: nil))
        #expect(tickers.map(\.updateID) == [499_869_768, 499_869_769, 499_869_778])
    }

    @Test("recorded aggTrade frames parse with ids, ns trade time and m=false as a buy aggressor")
    func aggTrade() throws {
        let trades = try fixtureFrames("ws_aggTrade_combined.json").map { try #require(try parseOne($0)?.aggTrade) }
        #expect(trades.count == 2)
        let first = trades[0]
        #expect(first.symbol == "NKNUSDT")
        #expect(first.aggregateTradeID == 15_683_430)
        #expect(first.price == fx("0.3528"))
        #expect(first.size == fx("58"))
        #expect(first.firstTradeID == 19_862_790 && first.lastTradeID == 19_862_790)
        #expect(first.tradeTime == 1_633_998_523_963 * 1_000_000)
        #expect(first.aggressor == .buy)
        #expect(trades[1].price == fx("0.00000638"))
    }

    @Test("the testnet aggTrade frame with an extra st field parses")
    func aggTradeTestnet() throws {
        let trade = try #require(try parseOne(try Fixtures.text("ws_aggTrade_ETHUSDT_testnet_combined.json"))?.aggTrade)
        #expect(trade.symbol == "ETHUSDT")
        #expect(trade.aggregateTradeID == 226_532)
        #expect(trade.price == fx("1632.46"))
    }

    @Test("a recorded trade frame parses; m=true (buyer is maker) makes the aggressor a seller; old b/a order ids are ignored")
    func trade() throws {
        let trade = try #require(try parseOne(try Fixtures.text("ws_trade_ETHUSDT_combined.json"))?.trade)
        #expect(trade == BinanceTrade(symbol: "ETHUSDT", eventTime: 1_639_351_062_244_000_000, tradeID: 705_291_099, price: fx("4149.74"),
                                      size: fx("0.4387"), tradeTime: 1_639_351_062_243_000_000, buyerIsMaker: true))
        #expect(trade.aggressor == .sell)
    }

    @Test("recorded kline frames parse every candle field, open (x=false)")
    func kline() throws {
        let klines = try fixtureFrames("ws_kline_1m_combined.json").map { try #require(try parseOne($0)?.kline) }
        #expect(klines.count == 2)
        let k = klines[0]
        #expect(k.symbol == "NKNUSDT" && k.interval == "1m")
        #expect(k.openTime == 1_633_998_480_000 * 1_000_000 && k.closeTime == 1_633_998_539_999 * 1_000_000)
        #expect(k.open == fx("0.3527") && k.close == fx("0.3528") && k.high == fx("0.3528") && k.low == fx("0.3522"))
        #expect(k.volume == fx("25877") && k.quoteVolume == fx("9116.046"))
        #expect(k.takerBuyBaseVolume == fx("58") && k.takerBuyQuoteVolume == fx("20.4624"))
        #expect(k.tradeCount == 30 && !k.isClosed)
        #expect(k.firstTradeID == 19_862_761 && k.lastTradeID == 19_862_790)
    }

    @Test("every frame of the cryptofeed capture parses without error, by kind as recorded")
    func cryptofeedCapture() throws {
        let frames = try StreamTestSupport.cryptofeedFrames()
        #expect(frames.count == 265)
        var parser = BinanceStreamParser()
        var kinds: [String: Int] = [:]
        for frame in frames {
            let message = try #require(try parser.parse(frame))
            let kind = switch message {
            case .depthUpdate: "depth"
            case .bookTicker: "bookTicker"
            case .aggTrade: "aggTrade"
            case .kline: "kline"
            default: "other"
            }
            kinds[kind, default: 0] += 1
        }
        #expect(kinds == ["depth": 177, "bookTicker": 84, "aggTrade": 2, "kline": 2])
        #expect(parser.unknownEvents == 0)
    }

    @Test("the Tardis 2019 messages parse: trades, bookTicker, depth diffs, the recorder snapshot; the 24hrTicker is skipped and counted")
    func tardisMessages() throws {
        let frames = try fixtureFrames("tardis_node_spot_messages_2019.json")
        var parser = BinanceStreamParser()
        let messages = try frames.map { try #require(try parser.parse($0)) }
        #expect(messages.compactMap(\.trade).count == 2)
        #expect(messages.compactMap(\.bookTicker).count == 1)
        #expect(messages.compactMap(\.depthUpdate).count == 4)
        let snapshots = messages.compactMap(\.partialDepth)
        #expect(snapshots.count == 2)
        #expect(snapshots.allSatisfy { $0.isRecordedSnapshot })
        #expect(snapshots.map(\.symbol) == ["BTCUSDC", "GNTBTC"])
        #expect(snapshots[1].book.lastUpdateID == 41_603_417)
        #expect(messages.compactMap(\.unknownKind) == ["24hrTicker"])
        #expect(parser.unknownEvents == 1)
        #expect(messages[0].trade?.aggressor == .buy)
        #expect(messages[1].trade?.aggressor == .sell)
    }

    @Test("a partial-book stream frame takes its symbol and level count from the stream name")
    func partialDepth() throws {
        let body = try Fixtures.text("rest_depth_BTCUSDT_limit10_2021-10-22.json")
        let partial = try #require(try parseOne("{\"stream\":\"btcusdt@depth10@100ms\",\"data\":\(body)}")?.partialDepth)
        #expect(partial.symbol == "BTCUSDT")
        #expect(partial.levels == 10)
        #expect(!partial.isRecordedSnapshot)
        #expect(partial.book.lastUpdateID == 14_527_958_487)
        #expect(partial.book.bids.first == BinanceLevel(price: fx("60650"), size: fx("0.00213")))
        #expect(partial.book.asks.count == 10)
    }

    @Test("the NKNUSDT REST snapshot parses to the same levels as an independent JSON decode")
    func depthSnapshot() throws {
        let text = try Fixtures.text("rest_depth_snapshot_NKNUSDT_limit1000.json")
        let snapshot = try BinanceDepthSnapshot.parse(text)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(snapshot.lastUpdateID == 499_869_752)
        func levels(_ key: String) throws -> [BinanceLevel] {
            try #require(object[key] as? [[String]]).map { BinanceLevel(price: fx($0[0]), size: fx($0[1])) }
        }
        #expect(snapshot.bids == (try levels("bids")))
        #expect(snapshot.asks == (try levels("asks")))
    }

    @Test("every truncation of a recorded depth frame throws a StreamParseError inside the frame, never a message")
    func truncatedFrames() throws {
        let line = try #require(try Fixtures.lines("ws_depthUpdate_100ms_NKNUSDT.jsonl").dropFirst().first)
        let bytes = Array(line.utf8)
        for cut in 1..<bytes.count {
            let prefix = String(decoding: bytes[..<cut], as: UTF8.self)
            var parser = BinanceStreamParser()
            do {
                _ = try parser.parse(prefix)
                Issue.record("prefix of \(cut) bytes parsed")
            } catch {
                #expect(error.offset >= 0 && error.offset <= cut)
            }
        }
    }
}

struct StreamParserShapeTests {
    static let raw = #"{"e":"depthUpdate","E":1633998512568,"s":"NKNUSDT","U":499869753,"u":499869754,"b":[["0.35170000","4265.00000000"]],"a":[["0.35290000","10968.00000000"]]}"#

    @Test("a raw (non-combined) depthUpdate parses to the same message as its combined form")
    func rawPayload() throws {
        let raw = try parseOne(Self.raw)
        let combined = try parseOne("{\"stream\":\"nknusdt@depth@100ms\",\"data\":\(Self.raw)}")
        #expect(raw != nil && raw == combined)
    }

    @Test("the envelope is parsed whichever of stream and data comes first")
    func dataBeforeStream() throws {
        let ticker = #"{"u":7,"s":"BTCUSDT","b":"1.5","B":"2","a":"1.6","A":"3"}"#
        let message = try parseOne("{\"data\":\(ticker),\"stream\":\"btcusdt@bookTicker\"}")
        #expect(message?.bookTicker?.updateID == 7)
        #expect(try parseOne(ticker)?.bookTicker?.askSize == fx("3"))
    }

    @Test("serverShutdown parses raw and in the combined !serverShutdown form with its event time in ns")
    func serverShutdown() throws {
        #expect(try parseOne(#"{"e":"serverShutdown","E":1700000000000}"#) == .serverShutdown(eventTime: 1_700_000_000_000_000_000))
        #expect(try parseOne(#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1700000000001}}"#)
            == .serverShutdown(eventTime: 1_700_000_000_001_000_000))
    }

    @Test("subscribe answers parse with numeric, string and list results")
    func responses() throws {
        #expect(try parseOne(#"{"result":null,"id":1}"#)?.response == BinanceControlResponse(id: "1", streams: nil))
        #expect(try parseOne(#"{"result":null,"id":"sub-7"}"#)?.response?.id == "sub-7")
        #expect(try parseOne(#"{"result":["btcusdt@aggTrade","btcusdt@depth"],"id":3}"#)?.response?.streams == ["btcusdt@aggTrade", "btcusdt@depth"])
    }

    @Test("error answers parse in the nested and the flat form")
    func errors() throws {
        #expect(try parseOne(#"{"error":{"code":2,"msg":"Invalid request: unknown variant"},"id":9}"#)?.controlError
            == BinanceControlError(code: 2, message: "Invalid request: unknown variant", id: "9"))
        #expect(try parseOne(#"{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"}"#)?.controlError
            == BinanceControlError(code: 3, message: "Invalid JSON: expected value at line 1 column 1", id: nil))
    }

    @Test("unmodelled payloads are skipped and counted: an unknown e, an all-market array, an unknown stream kind")
    func unknownKinds() throws {
        var parser = BinanceStreamParser()
        #expect(try parser.parse(#"{"stream":"btcusdt@avgPrice","data":{"e":"avgPrice","E":1,"s":"BTCUSDT","i":"5m","w":"1.5","T":1}}"#)?.unknownKind == "avgPrice")
        #expect(try parser.parse(#"{"stream":"!miniTicker@arr","data":[{"e":"24hrMiniTicker","E":1,"s":"BTCUSDT"}]}"#)?.unknownKind == "!miniTicker@arr")
        #expect(try parser.parse(#"[{"e":"24hrMiniTicker","E":1,"s":"BTCUSDT"}]"#)?.unknownKind == "array")
        #expect(try parser.parse(#"{"stream":"btcusdt@newThing","data":{"x":1}}"#)?.unknownKind == "newThing")
        #expect(parser.unknownEvents == 4)
    }

    @Test("text that is not JSON yields no message and is counted")
    func nonJSON() throws {
        var parser = BinanceStreamParser()
        #expect(try parser.parse("hello") == nil)
        #expect(try parser.parse("") == nil)
        #expect(parser.ignoredFrames == 2)
    }

    @Test("a depthUpdate without u is a missing-field error at the payload's offset")
    func missingField() throws {
        let frame = #"{"stream":"x@depth","data":{"e":"depthUpdate","E":1,"s":"X","U":5,"b":[],"a":[]}}"#
        let error = try #require(throws: StreamParseError.self) { try parseOne(frame) }
        #expect(error.code == .missingField)
        #expect(error.offset == byteOffset(of: #"{"e""#, in: frame))
        #expect(error.expected.contains("\"u\""))
    }

    @Test("a price with nine fraction digits is an invalid-value error at that price")
    func tooPrecise() throws {
        let frame = #"{"e":"depthUpdate","E":1,"s":"X","U":5,"u":5,"b":[["0.123456789","1"]],"a":[]}"#
        let error = try #require(throws: StreamParseError.self) { try parseOne(frame) }
        #expect(error.code == .invalidValue)
        #expect(error.offset == byteOffset(of: #""0.123456789""#, in: frame))
    }

    @Test("a negative quantity and a zero price are refused at the boundary")
    func corruptLevels() throws {
        #expect(throws: StreamParseError.self) { try parseOne(#"{"e":"depthUpdate","E":1,"s":"X","U":5,"u":5,"b":[["1.5","-1"]],"a":[]}"#) }
        #expect(throws: StreamParseError.self) { try parseOne(#"{"e":"depthUpdate","E":1,"s":"X","U":5,"u":5,"b":[],"a":[["0","1"]]}"#) }
    }

    @Test("U greater than u is refused")
    func reversedIDs() throws {
        #expect(throws: StreamParseError.self) { try parseOne(#"{"e":"depthUpdate","E":1,"s":"X","U":9,"u":5,"b":[],"a":[]}"#) }
    }

    @Test("bytes after the frame's object are a malformed-JSON error")
    func trailingBytes() throws {
        let error = try #require(throws: StreamParseError.self) { try parseOne(Self.raw + "}") }
        #expect(error.code == .malformedJSON)
        #expect(error.offset == Self.raw.utf8.count)
    }

    @Test("microsecond time unit scales event times by 1000, not 1e6")
    func microseconds() throws {
        var parser = BinanceStreamParser(timeUnit: .microseconds)
        let update = try #require(try parser.parse(#"{"e":"depthUpdate","E":1633998512568123,"s":"X","U":1,"u":1,"b":[],"a":[]}"#)?.depthUpdate)
        #expect(update.eventTime == 1_633_998_512_568_123_000)
    }
}

/// The canonical-layout fast path must give exactly what the general parser gives, and
/// leave every other layout (and every error) to it.
@Suite(fixturesPresent)
struct StreamParserFastPathTests {
    static func both(_ frame: String) -> (fast: Result<BinanceStreamMessage?, StreamParseError>, general: Result<BinanceStreamMessage?, StreamParseError>) {
        var fast = BinanceStreamParser(fastPath: true)
        var general = BinanceStreamParser(fastPath: false)
        return (Result { () throws(StreamParseError) in try fast.parse(frame) }, Result { () throws(StreamParseError) in try general.parse(frame) })
    }

    @Test("every recorded frame parses to the same message with and without the fast path")
    func recordedFrames() throws {
        var frames = try Fixtures.lines("ws_depthUpdate_100ms_NKNUSDT.jsonl") + StreamTestSupport.cryptofeedFrames()
        frames += try StreamTestSupport.fixtureFrames("ws_bookTicker_combined.json") + StreamTestSupport.fixtureFrames("tardis_node_spot_messages_2019.json")
        for frame in frames {
            let (fast, general) = Self.both(frame)
            #expect(try fast.get() == general.get(), "\(frame)")
        }
    }

    @Test("variants outside the canonical layout (reordered keys, spaces, raw form, escapes, other streams) agree with the general parser")
    func variants() throws {
        let line = try #require(try Fixtures.lines("ws_depthUpdate_100ms_NKNUSDT.jsonl").dropFirst().first)
        let data = String(line[line.range(of: "\"data\":")!.upperBound...].dropLast())
        let ticker = #"{"u":499869768,"s":"NKNUSDT","b":"0.35210000","B":"672.00000000","a":"0.35260000","A":"3199.00000000"}"#
        let variants = [
            data,                                                                  // raw depthUpdate
            "{\"data\":\(data),\"stream\":\"nknusdt@depth@100ms\"}",               // data first
            line.replacingOccurrences(of: ",", with: ", "),                          // spaces
            line + "  ",                                                           // trailing blanks
            line.replacingOccurrences(of: "\"U\":499869753,\"u\":499869754", with: "\"u\":499869754,\"U\":499869753"),
            line.replacingOccurrences(of: "NKNUSDT", with: "NKN\\u0055SDT"),         // escaped symbol
            line.replacingOccurrences(of: "0.35170000", with: "0.351700001"),         // too precise → error
            line.replacingOccurrences(of: "4265.00000000", with: "-4265"),            // negative → error
            ticker,                                                                 // raw bookTicker
            "{\"stream\":\"nknusdt@bookTicker\",\"data\":\(ticker)}",
            "{\"stream\":\"nknusdt@other\",\"data\":\(ticker)}",                    // not a bookTicker stream → unknown
            "{\"stream\":\"nknusdt@bookTicker\",\"data\":\(ticker.replacingOccurrences(of: "\"0.35210000\"", with: "\"\""))}",
            String(line.dropLast()),                                               // truncated
        ]
        for frame in variants {
            let (fast, general) = Self.both(frame)
            switch (fast, general) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(frame)")
            case (.failure(let a), .failure(let b)): #expect(a == b, "\(frame)")
            default: Issue.record("fast \(fast) vs general \(general) for \(frame)")
            }
        }
    }
}
