import Foundation
import HostCore
import PolymarketStreams
import Testing

struct UserChannelParserTests {
    private func parseFixture(_ name: String) throws -> UserChannelMessage {
        var parser = UserChannelParser()
        let messages = try parser.parse(try Fixtures.text(name))
        return try #require(messages.first)
    }

    @Test("an order placement parses sizes as decimals, seconds and ms timestamps, null trades as empty", fixturesPresent)
    func placement() throws {
        guard case .order(let order) = try parseFixture("ws_user_order_placement.json") else { Issue.record("not an order"); return }
        #expect(order.id == "0x0f76f4dc6eaf3332f4100f2e8a0b4a927351dd64646b7bb12f37df775c657a78")
        #expect(order.type == .placement)
        #expect(order.status == .live)
        #expect(order.side == .buy)
        #expect(order.originalSize == 5)
        #expect(order.sizeMatched == 0)
        #expect(order.price == dec("0.513"))
        #expect(order.timestampMs == 1_725_842_520_990)
        #expect(order.createdAtSeconds == 1_725_842_520)
        #expect(order.orderType == "GTC")
        #expect(order.associateTrades.isEmpty)
        #expect(order.outcome == "Yes")
        #expect(order.owner == "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe")
    }

    @Test("an order cancellation is canceled and terminal", fixturesPresent)
    func cancellation() throws {
        guard case .order(let order) = try parseFixture("ws_user_order_cancellation.json") else { Issue.record("not an order"); return }
        #expect(order.type == .cancellation)
        #expect(order.status == .canceled)
        #expect(order.status.isTerminal)
        #expect(order.side == .sell)
        #expect(order.sizeMatched == 5)
    }

    @Test("an FOK kill keeps its free-text status, reads size_matched \"\" as zero and created_at \"\" as absent", fixturesPresent)
    func fokKilled() throws {
        guard case .order(let order) = try parseFixture("ws_user_order_fok_killed.json") else { Issue.record("not an order"); return }
        #expect(order.status.rawValue == "CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed.")
        #expect(order.status.isCanceled)
        #expect(order.sizeMatched == 0)
        #expect(order.createdAtSeconds == nil)
        #expect(order.orderType == "FOK")
        #expect(order.originalSize == 12)
        #expect(order.timestampMs == 1_777_824_065_000)
    }

    @Test("an FOK market BUY kill keeps its pUSD original size exactly", fixturesPresent)
    func fokPusd() throws {
        guard case .order(let order) = try parseFixture("ws_user_order_fok_cancel_pusd.json") else { Issue.record("not an order"); return }
        #expect(order.originalSize == dec("1.01"))
        #expect(order.price == dec("0.01"))
        #expect(order.status.isCanceled)
    }

    @Test("a matched trade parses maker orders, seconds timestamps and trader side", fixturesPresent)
    func tradeMatched() throws {
        guard case .trade(let trade) = try parseFixture("ws_user_trade_matched.json") else { Issue.record("not a trade"); return }
        #expect(trade.id == "f50e8ab2-652d-4dc8-9c82-8e46197fe98d")
        #expect(trade.status == .matched)
        #expect(trade.side == .buy)
        #expect(trade.size == 5)
        #expect(trade.price == dec("0.52"))
        #expect(trade.timestampMs == 1_725_958_682_125)
        #expect(trade.matchTimeSeconds == 1_725_958_681)
        #expect(trade.lastUpdateSeconds == 1_725_958_682)
        #expect(trade.traderSide == "TAKER")
        #expect(trade.bucketIndex == 0)
        #expect(trade.takerOrderID == "0x5b605a0e8e40f3402d3cb3bc19edad6733ed23fbc079d2a09ee399c3487ace81")
        let maker = try #require(trade.makerOrders.first)
        #expect(trade.makerOrders.count == 1)
        #expect(maker.orderID == "0xa39ab90ec5515224a2a39c9ef967b51d10bda754902a318cac84135018b5885a")
        #expect(maker.matchedAmount == 5)
        #expect(maker.price == dec("0.52"))
        #expect(maker.makerAddress == "0x629BC4a1E53e1d475beB7ea3D388791e96Dd995A")
    }

    @Test("a trade without event_type (REST item shape) parses as a confirmed trade", fixturesPresent)
    func tradeNoEnvelope() throws {
        guard case .trade(let trade) = try parseFixture("trade_confirmed_no_envelope.json") else { Issue.record("not a trade"); return }
        #expect(trade.status == .confirmed)
        #expect(trade.status.isTerminal)
        #expect(trade.transactionHash == "0x5fbfe1691c52958dfa3f98dc75ef516f5a9d4b370aead26598d06e3db069839f")
        #expect(trade.timestampMs == nil)
        #expect(trade.price == dec("0.489"))
        #expect(trade.makerOrders.first?.matchedAmount == 5)
    }

    @Test("a TRADE_STATUS_ prefix is removed from trade statuses")
    func tradeStatusPrefix() throws {
        var parser = UserChannelParser()
        let frame = #"{"event_type":"trade","id":"t1","side":"SELL","size":"1.5","price":"0.4","status":"TRADE_STATUS_MINED"}"#
        guard case .trade(let trade) = try #require(try parser.parse(frame).first) else { Issue.record("not a trade"); return }
        #expect(trade.status == .mined)
        #expect(trade.size == dec("1.5"))
    }

    @Test("other user-channel objects are .unknown, PONG is ignored")
    func unknownAndPong() throws {
        var parser = UserChannelParser()
        #expect(try parser.parse("PONG").isEmpty)
        #expect(try parser.parse(#"{"event_type":"heartbeat","data":{"x":[1]}}"#) == [.unknown(eventType: "heartbeat")])
        #expect(parser.ignoredFrames == 1)
        #expect(parser.unknownEvents == 1)
    }
}

struct RTDSParserTests {
    private func parseFixture(_ name: String) throws -> RTDSMessage {
        var parser = RTDSParser()
        return try #require(try parser.parse(try Fixtures.text(name)).first)
    }

    @Test("a Binance update parses symbol, time and the exact numeric value", fixturesPresent)
    func binanceUpdate() throws {
        #expect(try parseFixture("rtds_crypto_prices_update_binance.json")
            == .price(CryptoPrice(topic: .binance, symbol: "btcusdt", timestampMs: 1_780_730_269_000, value: dec("61035.86"))))
    }

    @Test("a subscribe snapshot yields its history points", fixturesPresent)
    func history() throws {
        guard case .history(let topic, let symbol, let points) = try parseFixture("rtds_crypto_prices_subscribe_binance.json") else {
            Issue.record("not history"); return
        }
        #expect(topic == "crypto_prices")
        #expect(symbol == "btcusdt")
        #expect(points.map(\.timestampMs) == [1_780_726_209_000, 1_780_726_210_000, 1_780_726_211_000])
        #expect(points.map(\.value) == [dec("61164.12"), dec("61161.07"), dec("61150.89")])
    }

    @Test("a TWAP-60 update keeps its topic and reads the 1e18-scaled full accuracy value", fixturesPresent)
    func twapUpdate() throws {
        #expect(try parseFixture("rtds_crypto_twap_sixty_update_constructed.json")
            == .price(CryptoPrice(topic: .twap60, symbol: "btc/usd", timestampMs: 1_786_179_814_000, value: dec("64997.81"))))
    }

    @Test("a Chainlink-format symbol labelled crypto_prices is reported as Chainlink")
    func mislabelled() throws {
        var parser = RTDSParser()
        let frame = #"{"topic":"crypto_prices","type":"update","timestamp":2,"payload":{"symbol":"btc/usd","timestamp":1,"value":65000.5}}"#
        #expect(try parser.parse(frame) == [.price(CryptoPrice(topic: .chainlink, symbol: "btc/usd", timestampMs: 1, value: dec("65000.5")))])
    }

    @Test("a Binance-format symbol labelled crypto_prices_chainlink is reported as Binance")
    func mislabelledBinance() throws {
        var parser = RTDSParser()
        let frame = #"{"topic":"crypto_prices_chainlink","type":"update","timestamp":2,"payload":{"symbol":"btcusdt","timestamp":1,"value":1}}"#
        guard case .price(let price) = try #require(try parser.parse(frame).first) else { Issue.record("not a price"); return }
        #expect(price.topic == .binance)
    }

    @Test("other topics are .unknown")
    func otherTopic() throws {
        var parser = RTDSParser()
        #expect(try parser.parse(#"{"topic":"comments","type":"update","payload":{"body":"hi"}}"#) == [.unknown])
    }
}
