import Foundation
import HostCore
import Testing

/// The candle rules of SIGNALS §1, one behaviour per test.
struct BarsTests {
    static let btc = SymbolID(0)
    static let eth = SymbolID(1)
    static let second: Int64 = 1_000_000_000
    static let minute: Int64 = 60 * second
    /// A day boundary (so a boundary of every timeframe): 2021-10-22T00:00:00Z.
    static let t0: Int64 = 1_634_860_800 * second

    static func p(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }

    static func trade(_ ts: Int64, _ price: String, _ size: String = "1", _ side: Side? = .buy,
                      recv: Int64? = nil, symbol: SymbolID = btc) -> TradeTick {
        TradeTick(symbol: symbol, tsEvent: ts, tsRecv: recv ?? ts, price: p(price), size: p(size), aggressor: side)
    }

    static func oneMinute(settle: Int64 = 0) -> BarAggregator { BarAggregator(timeframes: [.oneMinute], settle: settle) }

    // MARK: Buckets

    @Test("buckets are half-open: a trade exactly at a boundary opens the next bucket")
    func halfOpenBuckets() {
        var bars = Self.oneMinute()
        bars.add(Self.trade(Self.t0 + Self.minute - 1, "100"))
        bars.add(Self.trade(Self.t0 + Self.minute, "200"))
        let out = bars.advance(to: Self.t0 + 2 * Self.minute)
        #expect(out.map(\.start) == [Self.t0, Self.t0 + Self.minute])
        #expect(out.map(\.close) == [Self.p("100"), Self.p("200")])
        #expect(out.allSatisfy { $0.start % Self.minute == 0 && $0.trades == 1 })
        #expect(BarTimeframe.oneMinute.bucketStart(of: -1) == -Self.minute)
    }

    @Test("a trade belongs to the bucket of its exchange timestamp, not its local receive time")
    func bucketByExchangeTimestamp() {
        var bars = Self.oneMinute()
        bars.add(Self.trade(Self.t0 + 59 * Self.second, "100", recv: Self.t0 + Self.minute + Self.second))
        let out = bars.advance(to: Self.t0 + Self.minute + Self.second)
        #expect(out.count == 1)
        #expect(out.first?.start == Self.t0)
    }

    @Test("open and close follow merge order, also when exchange timestamps tie or go backwards")
    func openCloseByMergeOrder() {
        var bars = Self.oneMinute()
        bars.add(Self.trade(Self.t0 + 10 * Self.second, "3"))
        bars.add(Self.trade(Self.t0 + 10 * Self.second, "1"))
        bars.add(Self.trade(Self.t0 + 50 * Self.second, "5"))
        bars.add(Self.trade(Self.t0 + 5 * Self.second, "2"))  // earlier exchange time, added last
        let bar = bars.advance(to: Self.t0 + Self.minute)[0]
        #expect(bar.open == Self.p("3"))
        #expect(bar.close == Self.p("2"))
        #expect(bar.high == Self.p("5"))
        #expect(bar.low == Self.p("1"))
        #expect(bar.trades == 4)
    }

    // MARK: Sums

    @Test("OHLC, volume and quote volume are exact over many 8-decimal trades")
    func exactSums() {
        var bars = Self.oneMinute()
        var expectedQuote = Decimal(0)
        var expectedVolume = Decimal(0)
        for i in 0..<1000 {
            let price = Fixed8(raw: 1_234_567_890_123 + Int64(i) * 7)  // 12345.67890123 + i·0.00000007
            let size = Fixed8(raw: 12_345_678 + Int64(i) * 3)  // 0.12345678 + i·0.00000003
            expectedQuote += price.decimal * size.decimal
            expectedVolume += size.decimal
            bars.add(TradeTick(symbol: Self.btc, tsEvent: Self.t0 + Int64(i) * 1_000_000, tsRecv: Self.t0, price: price,
                               size: size, aggressor: .buy))
        }
        let bar = bars.advance(to: Self.t0 + Self.minute)[0]
        // Expected values computed independently with Python's decimal module (60 digits).
        #expect(bar.quoteVolume.description == "1524342.768375494034")
        #expect(bar.volume.description == "123.471765")
        #expect(bar.quoteVolume.decimal == expectedQuote)
        #expect(bar.volume.decimal == expectedVolume)
        #expect(bar.open == Self.p("12345.67890123"))
        #expect(bar.high == Self.p("12345.67897116"))
        #expect(bar.low == Self.p("12345.67890123"))
        #expect(bar.close == Self.p("12345.67897116"))
        #expect(bar.trades == 1000)
        // 12345.67893619641732… rounds to 12345.67893620.
        #expect(bar.vwap == Self.p("12345.6789362"))
    }

    @Test("buy and sell volume split by aggressor; a trade with unknown aggressor counts in neither")
    func buySellSplit() {
        var bars = Self.oneMinute()
        bars.add(Self.trade(Self.t0, "10", "1.5", .buy))
        bars.add(Self.trade(Self.t0 + 1, "10", "0.25", .sell))
        bars.add(Self.trade(Self.t0 + 2, "10", "2", nil))
        bars.add(Self.trade(Self.t0 + 3, "10", "0.5", .buy))
        let bar = bars.advance(to: Self.t0 + Self.minute)[0]
        #expect(bar.buyVolume == WideFixed8(Self.p("2")))
        #expect(bar.sellVolume == WideFixed8(Self.p("0.25")))
        #expect(bar.volume == WideFixed8(Self.p("4.25")))
        #expect(bar.trades == 4)
    }

    @Test("vwap is quote volume over volume rounded half to even; an empty bar's vwap is the previous close")
    func vwapRule() {
        func vwap(_ trades: [(String, String)]) -> Fixed8 {
            var bars = Self.oneMinute()
            for (i, t) in trades.enumerated() { bars.add(Self.trade(Self.t0 + Int64(i), t.0, t.1)) }
            return bars.advance(to: Self.t0 + Self.minute)[0].vwap
        }
        #expect(vwap([("1", "2"), ("2", "1")]) == Self.p("1.33333333"))  // 4/3, rounded down
        #expect(vwap([("1", "1"), ("2", "2")]) == Self.p("1.66666667"))  // 5/3, rounded up
        #expect(vwap([("1.00000001", "1"), ("1.00000002", "1")]) == Self.p("1.00000002"))  // tie …015 → even …02
        #expect(vwap([("1.00000002", "1"), ("1.00000003", "1")]) == Self.p("1.00000002"))  // tie …025 → even …02
        #expect(vwap([("7", "0")]) == Self.p("7"))  // zero volume: the close

        var bars = Self.oneMinute()
        bars.add(Self.trade(Self.t0, "100", "1"))
        bars.add(Self.trade(Self.t0 + 1, "101", "3"))
        let out = bars.advance(to: Self.t0 + 2 * Self.minute)
        #expect(out[0].vwap == Self.p("100.75"))
        #expect(out[1].isEmpty)
        #expect(out[1].vwap == Self.p("101"))
    }

    // MARK: Empty buckets

    @Test("empty buckets after the first traded bucket are bars at the previous close, and none come before it")
    func emptyBuckets() {
        var bars = Self.oneMinute()
        #expect(bars.advance(to: Self.t0 + 5 * Self.minute).isEmpty)
        bars.add(Self.trade(Self.t0 + 5 * Self.minute, "100", "2"))
        bars.add(Self.trade(Self.t0 + 8 * Self.minute, "90", "1"))
        let out = bars.advance(to: Self.t0 + 10 * Self.minute)
        #expect(out.map(\.start) == (5..<10).map { Self.t0 + Int64($0) * Self.minute })
        #expect(out.map(\.isEmpty) == [false, true, true, false, true])
        let empty = out[1]
        #expect([empty.open, empty.high, empty.low, empty.close] == Array(repeating: Self.p("100"), count: 4))
        #expect(empty.volume == .zero && empty.quoteVolume == .zero && empty.buyVolume == .zero && empty.sellVolume == .zero)
        #expect(empty.trades == 0)
        #expect(out[4].close == Self.p("90"))
    }

    // MARK: Finality

    @Test("a bar is not final before start + tf + settle and is final exactly at it")
    func settleDelay() {
        let settle = 2 * Self.second
        var bars = Self.oneMinute(settle: settle)
        bars.add(Self.trade(Self.t0 + Self.second, "100"))
        #expect(bars.advance(to: Self.t0 + Self.minute).isEmpty)
        #expect(bars.advance(to: Self.t0 + Self.minute + settle - 1).isEmpty)
        let out = bars.advance(to: Self.t0 + Self.minute + settle)
        #expect(out.map(\.start) == [Self.t0])
    }

    @Test("within the settle delay a trade arriving out of exchange order still counts in its earlier bucket")
    func outOfOrderWithinSettle() {
        var bars = Self.oneMinute(settle: 2 * Self.second)
        bars.add(Self.trade(Self.t0 + Self.minute + Self.second / 2, "110", recv: Self.t0 + Self.minute + Self.second / 2))
        #expect(bars.advance(to: Self.t0 + Self.minute + Self.second / 2).isEmpty)
        bars.add(Self.trade(Self.t0 + 59 * Self.second, "100", recv: Self.t0 + Self.minute + Self.second))
        #expect(bars.advance(to: Self.t0 + Self.minute + Self.second).isEmpty)
        let out = bars.advance(to: Self.t0 + 2 * Self.minute + 2 * Self.second)
        #expect(out.map(\.start) == [Self.t0, Self.t0 + Self.minute])
        #expect(out.map(\.close) == [Self.p("100"), Self.p("110")])
        #expect(bars.lateTrades == 0)
    }

    @Test("no bar is emitted twice across repeated advance calls")
    func noDoubleEmission() {
        var bars = Self.oneMinute()
        bars.add(Self.trade(Self.t0, "100"))
        var all: [Bar] = []
        for clock in [Self.t0 + Self.minute, Self.t0 + Self.minute, Self.t0 + 90 * Self.second, Self.t0 + 2 * Self.minute,
                      Self.t0 + Self.minute, Self.t0 + 3 * Self.minute, Self.t0 + 3 * Self.minute] {
            all += bars.advance(to: clock)
        }
        #expect(all.map(\.start) == [Self.t0, Self.t0 + Self.minute, Self.t0 + 2 * Self.minute])
        #expect(bars.finish(at: Self.t0 + 3 * Self.minute).isEmpty)
    }

    @Test("a trade for an already final bucket is dropped and counted late, and the bar is not re-emitted")
    func lateTradeDropped() {
        var bars = BarAggregator(timeframes: [.oneMinute, .fiveMinutes], settle: 0)
        bars.add(Self.trade(Self.t0 + 10 * Self.second, "100"))
        let first = bars.advance(to: Self.t0 + Self.minute + Self.second)
        #expect(first.map(\.trades) == [1])
        bars.add(Self.trade(Self.t0 + 20 * Self.second, "500", recv: Self.t0 + Self.minute + 2 * Self.second))
        #expect(bars.lateTrades == 1)
        #expect(bars.lateTrades(for: .oneMinute) == 1)
        #expect(bars.lateTrades(for: .fiveMinutes) == 0)  // its 5m bucket is still open: it counts there
        let rest = bars.finish(at: Self.t0 + 5 * Self.minute)
        #expect(rest.filter { $0.timeframe == .oneMinute }.map(\.start) == (1..<5).map { Self.t0 + Int64($0) * Self.minute })
        #expect(rest.filter { $0.timeframe == .oneMinute }.allSatisfy { $0.isEmpty && $0.close == Self.p("100") })
        let fiveMinute = rest.filter { $0.timeframe == .fiveMinutes }
        #expect(fiveMinute.count == 1 && fiveMinute[0].trades == 2 && fiveMinute[0].high == Self.p("500"))
    }

    @Test("at the end of the data a partial bucket is not emitted")
    func partialBucketNotEmitted() {
        var bars = Self.oneMinute()
        bars.add(Self.trade(Self.t0, "100"))
        bars.add(Self.trade(Self.t0 + Self.minute + 30 * Self.second, "101"))
        let out = bars.finish(at: Self.t0 + Self.minute + 59 * Self.second)
        #expect(out.map(\.start) == [Self.t0])
    }

    // MARK: Several timeframes and symbols

    @Test("1m and 5m bars agree: the five 1m bars of a 5m bucket aggregate to it")
    func timeframesConsistent() {
        var bars = BarAggregator(timeframes: [.oneMinute, .fiveMinutes], settle: 0)
        var state: UInt64 = 42
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var ts = Self.t0
        while ts < Self.t0 + 20 * Self.minute {
            let side: Side? = [Side.buy, .sell, nil][Int(next() % 3)]
            bars.add(TradeTick(symbol: Self.btc, tsEvent: ts, tsRecv: ts, price: Fixed8(raw: 5_000_000_000_000 + Int64(next() % 100_000_000)),
                               size: Fixed8(raw: Int64(next() % 1_000_000_000) + 1), aggressor: side))
            ts += Int64(next() % 3_000_000_000)
        }
        let out = bars.finish(at: Self.t0 + 20 * Self.minute)
        let ones = out.filter { $0.timeframe == .oneMinute }
        let fives = out.filter { $0.timeframe == .fiveMinutes }
        #expect(ones.count == 20 && fives.count == 4)
        #expect(out.prefix(20).allSatisfy { $0.timeframe == .oneMinute })  // timeframe order, then start
        for five in fives {
            let parts = ones.filter { $0.start >= five.start && $0.start < five.end }
            #expect(parts.count == 5)
            #expect(five.open == parts.first!.open && five.close == parts.last!.close)
            #expect(five.high == parts.map(\.high).max()! && five.low == parts.map(\.low).min()!)
            #expect(five.volume == parts.map(\.volume).reduce(.zero, +))
            #expect(five.quoteVolume == parts.map(\.quoteVolume).reduce(.zero, +))
            #expect(five.buyVolume == parts.map(\.buyVolume).reduce(.zero, +))
            #expect(five.sellVolume == parts.map(\.sellVolume).reduce(.zero, +))
            #expect(five.trades == parts.map(\.trades).reduce(0, +))
        }
    }

    @Test("bars of several symbols come out by timeframe, then start, then symbol")
    func severalSymbolsOrdered() {
        var bars = BarAggregator(timeframes: [.fiveMinutes, .oneMinute], settle: 0)
        bars.add(Self.trade(Self.t0 + Self.minute, "3000", symbol: Self.eth))
        bars.add(Self.trade(Self.t0, "60000", symbol: Self.btc))
        let out = bars.finish(at: Self.t0 + 5 * Self.minute)
        #expect(out.map(\.timeframe) == [.fiveMinutes, .fiveMinutes] + Array(repeating: .oneMinute, count: 9))
        #expect(out.prefix(2).map(\.symbol) == [Self.btc, Self.eth])
        let ones = out.dropFirst(2)
        #expect(ones.map(\.start) == ones.map(\.start).sorted())
        #expect(ones.filter { $0.symbol == Self.btc }.count == 5)  // minute 0 on, ETH from minute 1
        #expect(ones.filter { $0.symbol == Self.eth }.count == 4)
        #expect(ones.filter { $0.symbol == Self.eth }.allSatisfy { $0.close == Self.p("3000") })
    }

    // MARK: Batch

    @Test("materializing a range counts a row that was late live, fills empty buckets and stops at the last full one")
    func materializeCountsLateRow() {
        let rows = [
            Self.trade(Self.t0 + 10 * Self.second, "100"),
            Self.trade(Self.t0 + 70 * Self.second, "110"),
            Self.trade(Self.t0 + 20 * Self.second, "90", recv: Self.t0 + 75 * Self.second),  // late live
            Self.trade(Self.t0 + 3 * Self.minute + 5 * Self.second, "120"),  // in the partial last bucket
        ]
        var live = Self.oneMinute()
        var streamed: [Bar] = []
        for row in rows {
            live.add(row)
            streamed += live.advance(to: row.tsRecv)
        }
        #expect(live.lateTrades == 1)
        #expect(streamed.first?.trades == 1)

        let batch = BarAggregator.materialize(trades: rows, timeframe: .oneMinute, from: Self.t0 - 30 * Self.second,
                                              to: Self.t0 + 3 * Self.minute + 30 * Self.second)
        #expect(batch.map(\.start) == [Self.t0, Self.t0 + Self.minute, Self.t0 + 2 * Self.minute])
        #expect(batch[0].trades == 2)
        #expect(batch[0].low == Self.p("90") && batch[0].close == Self.p("90"))
        #expect(batch[2].isEmpty && batch[2].close == Self.p("110"))
        // Idempotent: re-running the range yields the same bars.
        #expect(BarAggregator.materialize(trades: rows, timeframe: .oneMinute, from: Self.t0 - 30 * Self.second,
                                          to: Self.t0 + 3 * Self.minute + 30 * Self.second) == batch)
    }

    // MARK: Gaps

    @Test("a clock jump of three hours at 1m emits the 180 empty bars of the gap")
    func bigClockJump() {
        var bars = Self.oneMinute()
        bars.add(Self.trade(Self.t0, "100"))
        let out = bars.advance(to: Self.t0 + 181 * Self.minute)
        #expect(out.count == 181)
        #expect(out.dropFirst().allSatisfy { $0.isEmpty })
        #expect(out.last?.start == Self.t0 + 180 * Self.minute)
        #expect(bars.largeGaps == 0)
    }

    @Test("a pathological gap is still filled bar by bar and counted as a large gap")
    func pathologicalGap() {
        var bars = BarAggregator(timeframes: [.oneSecond], settle: 0)
        bars.add(Self.trade(Self.t0, "100"))
        let out = bars.advance(to: Self.t0 + 2 * 86_400 * Self.second)
        #expect(out.count == 2 * 86_400)
        #expect(bars.largeGaps == 1)
    }

    // MARK: Timeframes

    @Test("timeframes parse from their exact spellings and a bad one gets an error naming the valid ones")
    func timeframeParsing() throws {
        #expect(BarTimeframe.allCases.map(\.rawValue) == ["1s", "1m", "5m", "15m", "1h", "4h", "1d"])
        for tf in BarTimeframe.allCases { #expect(BarTimeframe(text: tf.rawValue) == tf) }
        #expect(BarTimeframe(text: " 15m ") == .fifteenMinutes)
        #expect(BarTimeframe.fourHours.nanoseconds == 4 * 3_600 * Self.second)
        #expect(BarTimeframe.oneDay.nanoseconds == 86_400 * Self.second)
        for bad in ["2m", "1M", "", "60s", "1 m"] { #expect(BarTimeframe(text: bad) == nil) }
        #expect(BarTimeframe.errorMessage(for: "2m") == "unknown timeframe \"2m\" (valid: 1s, 1m, 5m, 15m, 1h, 4h, 1d)")
        #expect(throws: BarTimeframe.UnknownTimeframe(text: "2m")) { try BarTimeframe.parse("2m") }
        #expect(try BarTimeframe.parse("1h") == .oneHour)
    }

    // MARK: Cross-check on recorded data

    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/fixtures/binance").standardized

    struct Row {
        var timeMs: Int64
        var price: String
        var qty: String
        var isBuyerMaker: Bool
    }

    /// Both recorded Binance BTCUSDT files of 2021-10-22 (`/api/v3/trades` and `/aggTrades`), in time order.
    static func binanceRows() throws -> [Row] {
        var rows: [Row] = []
        for (file, keys) in [("rest_trades_BTCUSDT_2021-10-22.json", ("time", "price", "qty", "isBuyerMaker")),
                             ("rest_aggTrades_BTCUSDT_2021-10-22.json", ("T", "p", "q", "m"))] {
            let data = try Data(contentsOf: fixtures.appendingPathComponent(file))
            let objects = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
            for object in objects {
                rows.append(Row(timeMs: try #require((object[keys.0] as? NSNumber)?.int64Value),
                                price: try #require(object[keys.1] as? String), qty: try #require(object[keys.2] as? String),
                                isBuyerMaker: try #require(object[keys.3] as? Bool)))
            }
        }
        return rows.sorted { $0.timeMs < $1.timeMs }  // stable: ties keep file order
    }

    @Test("1m and 1s bars of recorded Binance trades match OHLCV grouped independently",
          .enabled(if: FileManager.default.fileExists(atPath: fixtures.appendingPathComponent("rest_trades_BTCUSDT_2021-10-22.json").path)))
    func binanceCrossCheck() throws {
        let rows = try Self.binanceRows()
        #expect(rows.count == 20)
        let posix = Locale(identifier: "en_US_POSIX")
        for (tf, bucketMs) in [(BarTimeframe.oneMinute, Int64(60_000)), (.oneSecond, 1_000)] {
            // Independent: Decimal arithmetic, dictionary grouping by ms bucket.
            struct Expected { var open, high, low, close, volume, quote, buy, sell: Decimal; var trades: Int }
            var groups: [Int64: Expected] = [:]
            for row in rows {
                let price = try #require(Decimal(string: row.price, locale: posix))
                let qty = try #require(Decimal(string: row.qty, locale: posix))
                let key = row.timeMs / bucketMs * bucketMs
                var g = groups[key] ?? Expected(open: price, high: price, low: price, close: price, volume: 0, quote: 0, buy: 0, sell: 0, trades: 0)
                g.high = max(g.high, price)
                g.low = min(g.low, price)
                g.close = price
                g.volume += qty
                g.quote += price * qty
                if row.isBuyerMaker { g.sell += qty } else { g.buy += qty }  // buyer maker: the seller took
                g.trades += 1
                groups[key] = g
            }

            var bars = BarAggregator(timeframes: [tf], settle: 0)
            var out: [Bar] = []
            for row in rows {
                let ns = row.timeMs * 1_000_000
                bars.add(TradeTick(symbol: Self.btc, tsEvent: ns, tsRecv: ns, price: Self.p(row.price), size: Self.p(row.qty),
                                   aggressor: row.isBuyerMaker ? .sell : .buy))
                out += bars.advance(to: ns)
            }
            let last = rows.last!.timeMs / bucketMs * bucketMs
            out += bars.finish(at: (last + bucketMs) * 1_000_000)

            let keys = groups.keys.sorted()
            #expect(out.first?.start == keys.first! * 1_000_000)
            #expect(out.last?.start == last * 1_000_000)
            #expect(out.count == Int((last - keys.first!) / bucketMs) + 1)
            #expect(out.filter { !$0.isEmpty }.count == groups.count)
            var previousClose = Decimal(0)
            for bar in out {
                if let g = groups[bar.start / 1_000_000] {
                    #expect(bar.open.decimal == g.open && bar.high.decimal == g.high && bar.low.decimal == g.low && bar.close.decimal == g.close)
                    #expect(bar.volume.decimal == g.volume && bar.quoteVolume.decimal == g.quote)
                    #expect(bar.buyVolume.decimal == g.buy && bar.sellVolume.decimal == g.sell)
                    #expect(bar.trades == g.trades)
                    previousClose = g.close
                } else {
                    #expect(bar.isEmpty && bar.close.decimal == previousClose && bar.vwap.decimal == previousClose)
                }
            }
        }
    }

    @Test("the quote volume of recorded Binance trades equals the sum of Binance's own quoteQty",
          .enabled(if: FileManager.default.fileExists(atPath: fixtures.appendingPathComponent("rest_trades_BTCUSDT_2021-10-22.json").path)))
    func binanceQuoteQty() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("rest_trades_BTCUSDT_2021-10-22.json"))
        let objects = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var bars = Self.oneMinute()
        var quoteQty = Fixed8.zero
        var lastNs: Int64 = 0
        for object in objects {
            let ns = try #require((object["time"] as? NSNumber)?.int64Value) * 1_000_000
            bars.add(TradeTick(symbol: Self.btc, tsEvent: ns, tsRecv: ns, price: Self.p(try #require(object["price"] as? String)),
                               size: Self.p(try #require(object["qty"] as? String)), aggressor: nil))
            quoteQty = quoteQty + Self.p(try #require(object["quoteQty"] as? String))
            lastNs = ns
        }
        let out = bars.finish(at: BarTimeframe.oneMinute.bucketStart(of: lastNs) + Self.minute)
        #expect(out.count == 1)
        #expect(out.first?.quoteVolume.decimal == quoteQty.decimal)
    }
}

@Suite struct Int128DoubleTests {
    @Test func nearestDoubleEqualsTheStandardConversionAtTheEdges() {
        let edges: [Int128] = [
            0, 1, -1, Int128(Int64.max), Int128(Int64.max) + 1, Int128(Int64.min), Int128(Int64.min) - 1, (1 << 64) - 1, 1 << 64,
            (1 << 53) + 1, (1 << 65) + 1, (1 << 117) + (1 << 64) + 1, Int128.max, Int128.min, Int128.min + 1,
        ]
        for value in edges { #expect(value.nearestDouble == Double(value), "\(value)") }
    }

    @Test func nearestDoubleEqualsTheStandardConversionForRandomMagnitudes() {
        var random = SplitMix64(seed: 128)
        for i in 0..<20_000 {
            let bits = Int(random.next() % 127) + 1
            var value = (Int128(random.next()) << 64 | Int128(random.next())) >> (127 - bits)
            if i % 2 == 1 { value = -value }
            #expect(value.nearestDouble == Double(value), "\(value)")
        }
    }
}
