import VenueKit
import Foundation
import HostCore
import PolymarketStreams
import Testing

struct MarketChannelParserFixtureTests {
    private func parseFixture(_ name: String) throws -> [MarketChannelMessage] {
        var parser = MarketChannelParser()
        return try parser.parse(try Fixtures.text(name))
    }

    @Test("the 2024 book capture parses with every level, wire order kept and best prices found", fixturesPresent)
    func book2024() throws {
        let book = try #require(try parseFixture("ws_market_book_real_2024.json").first?.book)
        #expect(book.assetID == "48331043336612883890938759509493159234755048973500640148014422747788308965732")
        #expect(book.market == "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917")
        #expect(book.timestampMs == 1_728_799_418_260)
        #expect(book.hash == "655a38d4977427b086c25b985993691b753ed166")
        #expect(book.bids.count == 76)
        #expect(book.asks.count == 86)
        #expect(book.bids.first == PriceLevel(price: fx("0.001"), size: fx("9000023.58")))
        #expect(book.asks.first == PriceLevel(price: fx("0.999"), size: fx("10500100")))
        #expect(book.bestBid?.price == fx("0.511"))
        #expect(book.bestAsk == PriceLevel(price: fx("0.514"), size: fx("20230.87")))
        #expect(book.tickSize == nil)
    }

    @Test("the 2026 book capture carries tick_size and last_trade_price", fixturesPresent)
    func book2026() throws {
        let book = try #require(try parseFixture("ws_market_book_captured_2026.json").first?.book)
        #expect(book.tickSize == fx("0.01"))
        #expect(book.lastTradePrice == fx("0.92"))
        #expect(book.bids.count == 7)
        #expect(book.asks.count == 57)
        #expect(book.bids.first == PriceLevel(price: fx("0.01"), size: fx("3149725.72")))
        #expect(book.bestBid == PriceLevel(price: fx("0.07"), size: fx("182528.55")))
        #expect(book.bestAsk == PriceLevel(price: fx("0.08"), size: fx("228198.28")))
    }

    @Test("the batched price_change yields one entry per change with best bid/ask", fixturesPresent)
    func batchedPriceChange() throws {
        let change = try #require(try parseFixture("ws_market_price_change_batched.json").first?.priceChange)
        #expect(change.market == "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1")
        #expect(change.timestampMs == 1_729_084_877_448)
        #expect(change.changes.count == 3)
        let asset = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
        #expect(change.changes[0] == PriceChangeEntry(assetID: asset, price: fx("0.6"), size: fx("3300"), side: .buy,
                                                      hash: "bf32b3746fff40c76c98021b7f3f07261169dd26", bestBid: fx("0.6"), bestAsk: fx("0.7")))
        #expect(change.changes.map(\.price) == [fx("0.6"), fx("0.5"), fx("0.7")])
        #expect(change.changes.map(\.hash).last == "cf32b3746fff40c76c98021b7f3f07261169dd28")
    }

    @Test("the legacy single-change price_change becomes one entry", fixturesPresent)
    func legacyPriceChange() throws {
        let change = try #require(try parseFixture("ws_market_price_change_legacy_single_2024.json").first?.priceChange)
        #expect(change.timestampMs == 1_723_967_931_411)
        #expect(change.changes == [PriceChangeEntry(
            assetID: "48331043336612883890938759509493159234755048973500640148014422747788308965732", price: fx("0.514"),
            size: fx("21574.08"), side: .sell, hash: "bf32b3746fff40c76c98021b7f3f07261169dd26")])
    }

    @Test("last_trade_price parses price, size, side and fee", fixturesPresent)
    func lastTrade() throws {
        let messages = try parseFixture("ws_market_last_trade_price.json")
        guard case .lastTradePrice(let trade) = try #require(messages.first) else { Issue.record("not a trade: \(messages)"); return }
        #expect(trade.price == fx("0.491"))
        #expect(trade.size == fx("85.36"))
        #expect(trade.side == .sell)
        #expect(trade.feeRateBps == 0)
        #expect(trade.timestampMs == 1_724_564_136_087)
        #expect(trade.assetID == "21742633143463906290569050155826241533067272736897614950488156847949938836455")
    }

    @Test("tick_size_change parses old and new tick", fixturesPresent)
    func tickSizeChange() throws {
        let messages = try parseFixture("ws_market_tick_size_change.json")
        guard case .tickSizeChange(let tick) = try #require(messages.first) else { Issue.record("wrong kind: \(messages)"); return }
        #expect(tick.oldTick == fx("0.01"))
        #expect(tick.newTick == fx("0.001"))
        #expect(tick.timestampMs == 1_739_068_041_853)
    }

    @Test("best_bid_ask parses bid, ask and spread", fixturesPresent)
    func bestBidAsk() throws {
        let messages = try parseFixture("ws_market_best_bid_ask.json")
        guard case .bestBidAsk(let top) = try #require(messages.first) else { Issue.record("wrong kind: \(messages)"); return }
        #expect(top.bestBid == fx("0.73"))
        #expect(top.bestAsk == fx("0.77"))
        #expect(top.spread == fx("0.04"))
        #expect(top.timestampMs == 1_766_789_469_958)
    }

    @Test("new_market parses ids, outcomes and tick, skipping nested objects and escaped text", fixturesPresent)
    func newMarket() throws {
        let messages = try parseFixture("ws_market_new_market.json")
        guard case .newMarket(let market) = try #require(messages.first) else { Issue.record("wrong kind: \(messages)"); return }
        #expect(market.id == "1031769")
        #expect(market.slug == "nvda-above-240-on-january-30-2026")
        #expect(market.question == "Will NVIDIA (NVDA) close above $240 end of January?")
        #expect(market.assetIDs.count == 2)
        #expect(market.outcomes == ["Yes", "No"])
        #expect(market.tickSize == fx("0.01"))
        #expect(market.active == true)
        #expect(market.timestampMs == 1_766_790_415_550)
    }

    @Test("market_resolved parses the winner", fixturesPresent)
    func marketResolved() throws {
        let messages = try parseFixture("ws_market_market_resolved.json")
        guard case .marketResolved(let resolved) = try #require(messages.first) else { Issue.record("wrong kind: \(messages)"); return }
        #expect(resolved.winningAssetID == "76043073756653678226373981964075571318267289248134717369284518995922789326425")
        #expect(resolved.winningOutcome == "Yes")
        #expect(resolved.assetIDs.count == 2)
        #expect(resolved.market == "0x311d0c4b6671ab54af4970c06fcf58662516f5168997bdda209ec3db5aa6b0c1")
    }

    @Test("the 2026 stream excerpt parses as book, seven price changes, then a re-snapshot with the changes' hash", fixturesPresent)
    func streamExcerpt() throws {
        let messages = try parseFixture("ws_market_stream_excerpt_2026.json")
        #expect(messages.count == 9)
        let first = try #require(messages.first?.book)
        #expect(first.tickSize == fx("0.001"))
        #expect(first.bids.count == 24)
        #expect(first.asks.count == 22)
        #expect(first.bestAsk?.price == fx("0.397"))
        let changes = messages.dropFirst().dropLast().compactMap(\.priceChange)
        #expect(changes.count == 7)
        #expect(changes.allSatisfy { $0.changes.count == 2 })
        #expect(changes[2].changes.map(\.size) == [Fixed8.zero, Fixed8.zero])
        let last = try #require(messages.last?.book)
        #expect(last.timestampMs == changes.last?.timestampMs)
        let lastEntryForAsset = try #require(changes.last?.changes.first { $0.assetID == last.assetID })
        #expect(last.hash == lastEntryForAsset.hash)
        #expect(last.asks.first { $0.price == fx("0.4") }?.size == fx("5"))
        #expect(last.bestAsk == PriceLevel(price: fx("0.301"), size: fx("45.83")))
    }
}

struct MarketChannelParserFrameTests {
    @Test("PONG and NO NEW ASSETS yield no messages and are counted")
    func nonJSONTexts() throws {
        var parser = MarketChannelParser()
        #expect(try parser.parse("PONG").isEmpty)
        #expect(try parser.parse("NO NEW ASSETS").isEmpty)
        #expect(parser.ignoredFrames == 2)
    }

    @Test("an unknown event_type with nested values is skipped as .unknown and counted")
    func unknownEvent() throws {
        var parser = MarketChannelParser()
        let frame = #"{"event_type":"something_new","x":{"nested":[1,-2.5e3,{"a":"b\"c"}],"t":true,"n":null},"y":[]}"#
        #expect(try parser.parse(frame) == [.unknown(eventType: "something_new")])
        #expect(parser.unknownEvents == 1)
    }

    @Test("an array frame yields its objects in order")
    func arrayFrame() throws {
        var parser = MarketChannelParser()
        let frame = #"[{"event_type":"book","asset_id":"1","market":"m","timestamp":"5","hash":"h","bids":[],"asks":[]},"#
            + #"{"event_type":"last_trade_price","asset_id":"1","market":"m","price":"0.5","size":"2","side":"BUY","timestamp":"6"}]"#
        let messages = try parser.parse(frame)
        #expect(messages.count == 2)
        #expect(messages.first?.book?.timestampMs == 5)
        guard case .lastTradePrice(let trade) = messages[1] else { Issue.record("not a trade"); return }
        #expect(trade.side == .buy)
    }

    @Test("prices without a leading zero and as JSON numbers parse exactly")
    func priceForms() throws {
        var parser = MarketChannelParser()
        let frame = #"{"event_type":"book","asset_id":"1","market":"m","timestamp":"1","hash":"h","bids":[{"price":".48","size":"30"}],"asks":[{"price":0.52,"size":12.25}]}"#
        let book = try #require(try parser.parse(frame).first?.book)
        #expect(book.bids == [PriceLevel(price: Fixed8(raw: 48_000_000), size: Fixed8(30))])
        #expect(book.asks == [PriceLevel(price: Fixed8(raw: 52_000_000), size: Fixed8(raw: 1_225_000_000))])
    }

    @Test("escaped strings are decoded")
    func escapes() throws {
        var parser = MarketChannelParser()
        let frame = #"{"event_type":"new_market","id":"1","market":"m","question":"A \"quoted\" caf\u00e9 \ud83d\ude00 line\nbreak","timestamp":"1"}"#
        guard case .newMarket(let market) = try #require(try parser.parse(frame).first) else { Issue.record("wrong kind"); return }
        #expect(market.question == "A \"quoted\" café 😀 line\nbreak")
        let trailing = #"{"event_type":"new_market","id":"1","market":"m","question":"ends in a backslash \\","slug":"s"}"#
        guard case .newMarket(let other) = try #require(try parser.parse(trailing).first) else { Issue.record("wrong kind"); return }
        #expect(other.question == "ends in a backslash \\")
        #expect(other.slug == "s")
    }

    @Test("a trailing comma in a level array is an error at the offending byte")
    func trailingComma() {
        var parser = MarketChannelParser()
        let frame = #"{"event_type":"book","asset_id":"1","bids":[{"price":"0.5","size":"1"},]}"#
        let offset = frame.utf8.firstIndex(of: UInt8(ascii: "]")).map { frame.utf8.distance(from: frame.utf8.startIndex, to: $0) }
        #expect(throws: StreamParseError(code: .malformedJSON, offset: offset!, expected: "'{'")) { try parser.parse(frame) }
    }

    @Test("a truncated frame is an error at its end")
    func truncated() {
        var parser = MarketChannelParser()
        let frame = #"{"event_type":"book","asset_id":"12"#
        #expect(throws: StreamParseError(code: .malformedJSON, offset: frame.utf8.count, expected: "closing '\"'")) { try parser.parse(frame) }
    }

    @Test("a missing colon names the expected byte and its offset")
    func missingColon() {
        var parser = MarketChannelParser()
        let frame = #"{"event_type" "book"}"#
        #expect(throws: StreamParseError(code: .malformedJSON, offset: 14, expected: "':'")) { try parser.parse(frame) }
    }

    @Test("bytes after the value are an error")
    func trailingGarbage() {
        var parser = MarketChannelParser()
        let frame = #"{"event_type":"x"} {"#
        #expect(throws: StreamParseError(code: .malformedJSON, offset: 19, expected: "end of frame")) { try parser.parse(frame) }
    }

    @Test("a book without asset_id is a missing-field error")
    func missingAsset() {
        var parser = MarketChannelParser()
        #expect(throws: StreamParseError(code: .missingField, offset: 0, expected: "field \"asset_id\"")) {
            try parser.parse(#"{"event_type":"book","bids":[],"asks":[]}"#)
        }
    }

    @Test("a price with more than eight decimals is an invalid-value error")
    func tooPrecise() throws {
        var parser = MarketChannelParser()
        let error = try #require(throws: StreamParseError.self) {
            try parser.parse(#"{"event_type":"book","asset_id":"1","bids":[{"price":"0.123456789","size":"1"}],"asks":[]}"#)
        }
        #expect(error.code == .invalidValue)
    }
}
