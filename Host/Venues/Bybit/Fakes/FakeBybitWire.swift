import Bybit
import Foundation
import VenueFakes

/// The fake's messages in Bybit v5's wire shapes: key names, key order (spot and futures level 1
/// put `ts` before `type`), numbers as strings where the venue sends strings and as JSON numbers
/// where it sends numbers (`ts`, `cts`, `u`, `seq`, `T`, kline `start`/`end`).
enum FakeBybitWire {
    // MARK: Control frames

    /// Subscribe/unsubscribe acknowledgement. Spot: `ret_msg` is the op on success and `req_id`
    /// appears only when the request had one; linear: `ret_msg` "" on success and `req_id`
    /// always ("" when absent).
    static func ack(category: Bybit.Category, op: String, success: Bool, message: String?, connID: String, reqID: String?) -> String {
        let text = message ?? (category == .spot ? op : "")
        var json = #"{"success":\#(success),"ret_msg":\#(FakeJSON.quoted(text)),"conn_id":\#(FakeJSON.quoted(connID)),"#
        if category == .linear || reqID != nil { json += #""req_id":\#(FakeJSON.quoted(reqID ?? "")),"# }
        return json + #""op":\#(FakeJSON.quoted(op))}"#
    }

    /// The answer to `{"op":"ping"}`: spot `{"success":true,"ret_msg":"pong","conn_id":…,"op":"ping"}`
    /// (no `req_id`), linear the same plus `"req_id"`.
    static func pong(category: Bybit.Category, connID: String, reqID: String?) -> String {
        if category == .spot {
            return #"{"success":true,"ret_msg":"pong","conn_id":\#(FakeJSON.quoted(connID)),"op":"ping"}"#
        }
        return #"{"success":true,"ret_msg":"pong","conn_id":\#(FakeJSON.quoted(connID)),"req_id":\#(FakeJSON.quoted(reqID ?? "")),"op":"ping"}"#
    }

    // MARK: REST

    /// The v5 envelope around `result` (JSON text).
    static func envelope(_ result: String, retCode: Int = 0, retMsg: String = "OK", timeMs: Int64) -> String {
        #"{"retCode":\#(retCode),"retMsg":\#(FakeJSON.quoted(retMsg)),"result":\#(result),"retExtInfo":{},"time":\#(timeMs)}"#
    }

    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\(FakeJSON.quoted($0.0)):\(FakeJSON.quoted($0.1))" }.joined(separator: ",") + "}"
    }
}

extension SimMarket {
    func price(_ ticks: Int64) -> String { tick.text(ticks) }
    func size(_ lots: Int64) -> String { lot.text(lots) }

    private func levels(_ levels: [SimLevel]) -> String {
        var out = "["
        for (index, level) in levels.enumerated() {
            if index > 0 { out += "," }
            // A deleted level's size is "0", as the venue writes it.
            out += "[\"" + price(level.price) + "\",\"" + (level.size == 0 ? "0" : size(level.size)) + "\"]"
        }
        return out + "]"
    }

    /// `orderbook.<depth>.<symbol>` snapshot or delta.
    func bookMessage(depth: Int, type: String, bids: [SimLevel], asks: [SimLevel], u: Int64, ts: Int64, cts: Int64) -> String {
        let topic = "\"orderbook.\(depth).\(spec.symbol)\""
        let data = #"{"s":"\#(spec.symbol)","b":\#(levels(bids)),"a":\#(levels(asks)),"u":\#(u),"seq":\#(seq)}"#
        if spec.category == .spot || depth == 1 {
            return #"{"topic":\#(topic),"ts":\#(ts),"type":"\#(type)","data":\#(data),"cts":\#(cts)}"#
        }
        return #"{"topic":\#(topic),"type":"\#(type)","ts":\#(ts),"data":\#(data),"cts":\#(cts)}"#
    }

    /// The REST `orderbook` result: `{s, b, a, ts, u, seq, cts}` with `limit` levels per side.
    func restOrderBook(limit: Int, u: Int64, ts: Int64, cts: Int64) -> String {
        #"{"s":"\#(spec.symbol)","b":\#(levels(Array(bids.prefix(limit)))),"a":\#(levels(Array(asks.prefix(limit)))),"ts":\#(ts),"u":\#(u),"seq":\#(seq),"cts":\#(cts)}"#
    }

    /// `publicTrade.<symbol>`: the trades of one step, oldest first (spot: numeric ids and no
    /// `L`; linear: UUID ids and the tick direction `L`).
    func tradeMessage(_ trades: [SimTrade], ts: Int64) -> String {
        var data: [String] = []
        data.reserveCapacity(trades.count)
        for trade in trades {
            let side = trade.takerBuys ? "Buy" : "Sell"
            if spec.category == .spot {
                data.append(#"{"i":"\#(trade.id)","T":\#(trade.timeMs),"p":"\#(price(trade.price))","v":"\#(size(trade.size))","S":"\#(side)","s":"\#(spec.symbol)","BT":false,"RPI":false,"seq":\#(seq)}"#)
            } else {
                data.append(#"{"T":\#(trade.timeMs),"s":"\#(spec.symbol)","S":"\#(side)","v":"\#(size(trade.size))","p":"\#(price(trade.price))","L":"\#(trade.tickDirection)","i":"\#(trade.id)","BT":false,"RPI":false,"seq":\#(seq)}"#)
            }
        }
        let topic = "publicTrade.\(spec.symbol)"
        if spec.category == .spot {
            return #"{"topic":"\#(topic)","ts":\#(ts),"type":"snapshot","data":[\#(data.joined(separator: ","))]}"#
        }
        return #"{"topic":"\#(topic)","type":"snapshot","ts":\#(ts),"data":[\#(data.joined(separator: ","))]}"#
    }

    /// The ticker fields now, in the venue's order (spot: the 9 spot fields; linear: the
    /// derivatives fields including best bid/ask).
    func tickerFields(nowMs: Int64) -> [(String, String)] {
        let change = prev24 > 0 ? Self.rounded(Decimal(lastPrice - prev24) / Decimal(prev24), spec.category == .spot ? 4 : 6) : 0
        let last = price(lastPrice)
        if spec.category == .spot {
            return [
                ("symbol", spec.symbol), ("lastPrice", last), ("highPrice24h", price(high24)), ("lowPrice24h", price(low24)),
                ("prevPrice24h", price(prev24)), ("volume24h", volume24.plainText), ("turnover24h", Self.rounded(turnover24, 8).plainText),
                ("price24hPcnt", change.plainText), ("usdIndexPrice", last),
            ]
        }
        let bid = bids.first ?? SimLevel(price: lastPrice, size: 0)
        let ask = asks.first ?? SimLevel(price: lastPrice, size: 0)
        let mark = (bid.price + ask.price) / 2
        let interest = Decimal(openInterest) * lot.decimal
        let nextFunding = (nowMs / 28_800_000 + 1) * 28_800_000
        return [
            ("symbol", spec.symbol), ("tickDirection", lastTickDirection), ("price24hPcnt", change.plainText), ("lastPrice", last),
            ("prevPrice24h", price(prev24)), ("highPrice24h", price(high24)), ("lowPrice24h", price(low24)), ("prevPrice1h", price(prev1h)),
            ("markPrice", price(mark)), ("indexPrice", price(mark)), ("openInterest", interest.plainText),
            ("openInterestValue", Self.rounded(interest * Decimal(mark) * tick.decimal, 2).plainText),
            ("turnover24h", Self.rounded(turnover24, 4).plainText), ("volume24h", volume24.plainText), ("nextFundingTime", String(nextFunding)),
            ("fundingRate", "0.0001"), ("bid1Price", price(bid.price)), ("bid1Size", size(bid.size)), ("ask1Price", price(ask.price)),
            ("ask1Size", size(ask.size)),
        ]
    }

    /// `tickers.<symbol>`; `fields` are all of them (snapshot) or the changed ones plus `symbol` (linear delta).
    func tickerMessage(type: String, fields: [(String, String)], ts: Int64) -> String {
        let data = FakeBybitWire.object(fields)
        if spec.category == .spot {
            return #"{"topic":"tickers.\#(spec.symbol)","ts":\#(ts),"type":"snapshot","cs":\#(seq),"data":\#(data)}"#
        }
        return #"{"topic":"tickers.\#(spec.symbol)","type":"\#(type)","data":\#(data),"cs":\#(seq),"ts":\#(ts)}"#
    }

    /// `kline.<interval>.<symbol>` with one candle; `end` is the candle's last millisecond.
    func klineMessage(interval: String, candle: SimCandle, confirm: Bool, ts: Int64) -> String {
        let data = #"{"start":\#(candle.start),"end":\#(candle.end - 1),"interval":"\#(interval)","open":"\#(price(candle.open))","close":"\#(price(candle.close))","high":"\#(price(candle.high))","low":"\#(price(candle.low))","volume":"\#(size(candle.volume))","turnover":"\#(Self.rounded(candle.turnover, 8).plainText)","confirm":\#(confirm),"timestamp":\#(ts)}"#
        return #"{"topic":"kline.\#(interval).\#(spec.symbol)","data":[\#(data)],"ts":\#(ts),"type":"snapshot"}"#
    }

    /// A REST kline row: 7 strings.
    func klineRow(_ candle: SimCandle) -> String {
        #"["\#(candle.start)","\#(price(candle.open))","\#(price(candle.high))","\#(price(candle.low))","\#(price(candle.close))","\#(size(candle.volume))","\#(Self.rounded(candle.turnover, 8).plainText)"]"#
    }

    /// A REST `instruments-info` item in the category's shape.
    func instrumentItem() -> String {
        let s = spec
        if s.category == .spot {
            return #"{"symbol":"\#(s.symbol)","baseCoin":"\#(s.baseCoin)","quoteCoin":"\#(s.quoteCoin)","innovation":"0","status":"\#(s.status)","marginTrading":"both","stTag":"0","lotSizeFilter":{"basePrecision":"\#(s.lotSize)","quotePrecision":"0.00000001","minOrderQty":"\#(s.minOrderQty)","maxOrderQty":"1000000","minOrderAmt":"\#(s.minNotional)","maxOrderAmt":"4000000","maxLimitOrderQty":"1000000","maxMarketOrderQty":"500000","postOnlyMaxLimitOrderSize":"1000000"},"priceFilter":{"tickSize":"\#(s.tickSize)"},"riskParameters":{"priceLimitRatioX":"0.05","priceLimitRatioY":"0.05"}}"#
        }
        return #"{"symbol":"\#(s.symbol)","contractType":"LinearPerpetual","status":"\#(s.status)","baseCoin":"\#(s.baseCoin)","quoteCoin":"\#(s.quoteCoin)","launchTime":"\#(listedMs)","deliveryTime":"0","deliveryFeeRate":"","priceScale":"\#(tick.decimals)","leverageFilter":{"minLeverage":"1","maxLeverage":"100.00","leverageStep":"0.01"},"priceFilter":{"minPrice":"\#(s.tickSize)","maxPrice":"1999999.80","tickSize":"\#(s.tickSize)"},"lotSizeFilter":{"maxOrderQty":"1190.000","minOrderQty":"\#(s.minOrderQty)","qtyStep":"\#(s.lotSize)","postOnlyMaxOrderQty":"1190.000","maxMktOrderQty":"500.000","minNotionalValue":"\#(s.minNotional)"},"unifiedMarginTrade":true,"fundingInterval":480,"settleCoin":"\#(s.quoteCoin)"}"#
    }

    /// A REST `tickers` row in the category's shape.
    func tickerRow(nowMs: Int64) -> String {
        let bid = bids.first.map { (price($0.price), size($0.size)) } ?? ("", "")
        let ask = asks.first.map { (price($0.price), size($0.size)) } ?? ("", "")
        var fields = Dictionary(uniqueKeysWithValues: tickerFields(nowMs: nowMs))
        fields["bid1Price"] = bid.0
        fields["bid1Size"] = bid.1
        fields["ask1Price"] = ask.0
        fields["ask1Size"] = ask.1
        let order = spec.category == .spot
            ? ["symbol", "bid1Price", "bid1Size", "ask1Price", "ask1Size", "lastPrice", "prevPrice24h", "price24hPcnt", "highPrice24h",
               "lowPrice24h", "turnover24h", "volume24h", "usdIndexPrice"]
            : ["symbol", "lastPrice", "indexPrice", "markPrice", "prevPrice24h", "price24hPcnt", "highPrice24h", "lowPrice24h", "prevPrice1h",
               "openInterest", "openInterestValue", "turnover24h", "volume24h", "fundingRate", "nextFundingTime", "ask1Size", "bid1Price",
               "ask1Price", "bid1Size"]
        return FakeBybitWire.object(order.map { ($0, fields[$0] ?? "") })
    }
}
