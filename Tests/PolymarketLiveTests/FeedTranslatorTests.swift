import Foundation
import HostCore
import HostEngine
import HostPolymarket
import PolymarketREST
import PolymarketStreams
import Testing

/// The live feed's rules: series symbols follow the active window, books are resynced,
/// windows roll over without mixing, resolutions settle.
@Suite("Polymarket feed translation")
struct FeedTranslatorTests {
    static let start: Int64 = 1_773_307_200_000  // a 5-minute boundary (ms)

    static func window(_ n: Int64, twap: Bool = false) -> GammaMarket {
        let s = start + n * 300_000
        return GammaMarket(id: "\(n)", question: "Bitcoin Up or Down \(n)", slug: "btc-updown-5m-\(s / 1000)",
                           conditionID: "0xc\(n)", upTokenID: "up\(n)", downTokenID: "down\(n)", windowStartMs: s, windowEndMs: s + 300_000,
                           tickSize: Decimal(string: "0.01")!, minOrderSize: 5, negRisk: false,
                           resolution: twap ? .twap(lookbackSeconds: 60) : .spot, asset: "btc", duration: .m5)
    }

    struct Fixture {
        var translator: FeedTranslator
        var symbols: SymbolTable
        var series: PolymarketSeries
        init(windows: [GammaMarket] = [FeedTranslatorTests.window(0), FeedTranslatorTests.window(1)]) {
            var table = SymbolTable()
            series = PolymarketSeries.register(asset: "btc", duration: .m5, in: &table)
            symbols = table
            translator = FeedTranslator(markets: PolymarketMarkets(series: [series]))
            translator.discovered(windows, series: 0)
        }
    }

    static func book(_ token: String, at ms: Int64, bids: [(String, String)], asks: [(String, String)]) -> MarketChannelMessage {
        .book(BookMessage(assetID: token, market: "0xc", timestampMs: ms, hash: "h",
                          bids: bids.map { PriceLevel(price: Fixed8(parsing: $0.0)!, size: Fixed8(parsing: $0.1)!) },
                          asks: asks.map { PriceLevel(price: Fixed8(parsing: $0.0)!, size: Fixed8(parsing: $0.1)!) }))
    }

    static func deltas(_ inputs: [EngineInput]) -> [BookDelta] {
        inputs.compactMap { if case .market(.bookDelta(let d)) = $0 { d } else { nil } }
    }

    static func statuses(_ inputs: [EngineInput]) -> [(SymbolID, Bool)] {
        inputs.compactMap { if case .feedStatus(let s, let stale, _) = $0 { (s, stale) } else { nil } }
    }

    static func settlements(_ inputs: [EngineInput]) -> [Settlement] {
        inputs.compactMap { if case .market(.settlement(let s)) = $0 { s } else { nil } }
    }

    @Test("the current window is activated and both tokens stay stale until their first book")
    func activationWaitsForBooks() {
        var f = Fixture()
        let inputs = f.translator.advance(nowMs: Self.start + 10_000)
        #expect(f.translator.markets.activeToken(f.series.up)?.tokenID == "up0")
        #expect(Self.statuses(inputs).map(\.1) == [true, true])
    }

    @Test("a book snapshot of the active token is delivered as snapshot rows and makes the symbol fresh")
    func bookSnapshotDelivered() {
        var f = Fixture()
        _ = f.translator.advance(nowMs: Self.start + 10_000)
        let inputs = f.translator.handle([Self.book("up0", at: Self.start + 11_000, bids: [("0.55", "10"), ("0.54", "20")], asks: [("0.57", "5")])],
                                         receivedNs: 1)
        let rows = Self.deltas(inputs)
        #expect(rows.count == 3)
        #expect(rows.allSatisfy { $0.symbol == f.series.up && $0.isSnapshot })
        #expect(rows.last?.isEndOfBatch == true)
        #expect(Self.statuses(inputs).count == 1)
        #expect(Self.statuses(inputs).first?.0 == f.series.up && Self.statuses(inputs).first?.1 == false)
    }

    @Test("price_change entries become delta rows per symbol with the batch end on each symbol's last row")
    func priceChangeBecomesDeltas() {
        var f = Fixture()
        _ = f.translator.advance(nowMs: Self.start + 10_000)
        _ = f.translator.handle([Self.book("up0", at: Self.start + 11_000, bids: [("0.55", "10")], asks: [("0.57", "5")]),
                                 Self.book("down0", at: Self.start + 11_000, bids: [("0.43", "5")], asks: [("0.45", "10")])], receivedNs: 1)
        let change = MarketChannelMessage.priceChange(PriceChangeMessage(market: "0xc0", timestampMs: Self.start + 12_000, changes: [
            PriceChangeEntry(assetID: "up0", price: Fixed8(parsing: "0.56")!, size: Fixed8(parsing: "7")!, side: .buy, hash: "a"),
            PriceChangeEntry(assetID: "down0", price: Fixed8(parsing: "0.44")!, size: Fixed8(parsing: "7")!, side: .sell, hash: "b"),
            PriceChangeEntry(assetID: "up0", price: Fixed8(parsing: "0.55")!, size: .zero, side: .buy, hash: "c"),
        ]))
        let rows = Self.deltas(f.translator.handle([change], receivedNs: 2))
        #expect(rows.map(\.symbol) == [f.series.up, f.series.up, f.series.down])
        #expect(rows.map(\.isEndOfBatch) == [false, true, true])
        #expect(rows[1].size == .zero)
    }

    @Test("a price_change older than the token's last book is dropped")
    func outOfOrderPriceChangeDropped() {
        var f = Fixture()
        _ = f.translator.advance(nowMs: Self.start + 10_000)
        _ = f.translator.handle([Self.book("up0", at: Self.start + 20_000, bids: [("0.55", "10")], asks: [])], receivedNs: 1)
        let late = MarketChannelMessage.priceChange(PriceChangeMessage(market: "0xc0", timestampMs: Self.start + 19_000, changes: [
            PriceChangeEntry(assetID: "up0", price: Fixed8(parsing: "0.50")!, size: Fixed8(parsing: "1")!, side: .buy, hash: "x"),
        ]))
        #expect(Self.deltas(f.translator.handle([late], receivedNs: 2)).isEmpty)
        #expect(f.translator.droppedOutOfOrder == 1)
    }

    @Test("a tick-size change drops the book, marks the symbol stale and records the new tick until a fresh book")
    func tickSizeChangeResyncs() {
        var f = Fixture()
        _ = f.translator.advance(nowMs: Self.start + 10_000)
        _ = f.translator.handle([Self.book("up0", at: Self.start + 11_000, bids: [("0.55", "10")], asks: [("0.57", "5")])], receivedNs: 1)
        let change = MarketChannelMessage.tickSizeChange(TickSizeChangeMessage(assetID: "up0", market: "0xc0", oldTick: Fixed8(parsing: "0.01")!,
                                                                                newTick: Fixed8(parsing: "0.001")!, timestampMs: Self.start + 12_000))
        let inputs = f.translator.handle([change], receivedNs: 2)
        #expect(Self.deltas(inputs).count == 1 && Self.deltas(inputs)[0].isSnapshot && Self.deltas(inputs)[0].size == .zero)
        #expect(Self.statuses(inputs).map(\.1) == [true])
        #expect(f.translator.markets.activeToken(f.series.up)?.tickSize == Decimal(string: "0.001"))
        let fresh = f.translator.handle([Self.book("up0", at: Self.start + 13_000, bids: [("0.551", "10")], asks: [])], receivedNs: 3)
        #expect(Self.statuses(fresh).map(\.1) == [false])
    }

    @Test("at the rollover the next window's book is delivered at once and both symbols wait for the old window's resolution")
    func rolloverWaitsForResolution() {
        var f = Fixture()
        _ = f.translator.advance(nowMs: Self.start + 250_000)
        _ = f.translator.handle([Self.book("up0", at: Self.start + 250_000, bids: [("0.90", "10")], asks: [("0.92", "5")]),
                                 Self.book("down0", at: Self.start + 250_000, bids: [("0.08", "5")], asks: [("0.10", "10")]),
                                 Self.book("up1", at: Self.start + 260_000, bids: [("0.49", "10")], asks: [("0.51", "5")]),
                                 Self.book("down1", at: Self.start + 260_000, bids: [("0.49", "5")], asks: [("0.51", "10")])], receivedNs: 1)
        let inputs = f.translator.advance(nowMs: Self.start + 300_100)
        #expect(f.translator.markets.activeToken(f.series.up)?.tokenID == "up1")
        let rows = Self.deltas(inputs)
        #expect(rows.contains { $0.symbol == f.series.up && $0.price == Fixed8(parsing: "0.49")! })
        #expect(Self.statuses(inputs).map(\.1) == [true, true])
        #expect(Self.settlements(inputs).isEmpty)
    }

    @Test("market_resolved settles the ended window: the winner at 1, the loser at 0, then the symbols are fresh")
    func resolutionSettles() {
        var f = Fixture()
        _ = f.translator.advance(nowMs: Self.start + 250_000)
        _ = f.translator.handle([Self.book("up1", at: Self.start + 260_000, bids: [("0.49", "10")], asks: []),
                                 Self.book("down1", at: Self.start + 260_000, bids: [("0.49", "5")], asks: [])], receivedNs: 1)
        _ = f.translator.advance(nowMs: Self.start + 300_100)
        let resolved = MarketChannelMessage.marketResolved(MarketResolvedMessage(
            id: "0", market: "0xc0", assetIDs: ["up0", "down0"], winningAssetID: "down0", winningOutcome: "Down", timestampMs: Self.start + 305_000))
        let inputs = f.translator.handle([resolved], receivedNs: 2)
        let settled = Self.settlements(inputs)
        #expect(settled.map(\.symbol) == [f.series.up, f.series.down])
        #expect(settled.map(\.price) == [.zero, Fixed8(1)])
        #expect(Self.statuses(inputs).map(\.1) == [false, false])
    }

    @Test("a resolution that arrives before the rollover is settled at the rollover")
    func earlyResolutionSettledAtRollover() {
        var f = Fixture()
        _ = f.translator.advance(nowMs: Self.start + 250_000)
        let resolved = MarketChannelMessage.marketResolved(MarketResolvedMessage(
            id: "0", market: "0xc0", assetIDs: ["up0", "down0"], winningAssetID: "up0", winningOutcome: "Up", timestampMs: Self.start + 299_000))
        #expect(Self.settlements(f.translator.handle([resolved], receivedNs: 1)).isEmpty)
        let settled = Self.settlements(f.translator.advance(nowMs: Self.start + 300_100))
        #expect(settled.map(\.price) == [Fixed8(1), .zero])
    }

    @Test("Gamma's final outcome prices settle a window whose market_resolved was missed")
    func gammaResolutionSettles() {
        var f = Fixture()
        _ = f.translator.advance(nowMs: Self.start + 250_000)
        _ = f.translator.advance(nowMs: Self.start + 300_100)
        var final = Self.window(0)
        final.closed = true
        final.upPrice = 1
        final.downPrice = 0
        let settled = Self.settlements(f.translator.resolvedByGamma(final, nowNs: 5))
        #expect(settled.map(\.price) == [Fixed8(1), .zero])
        #expect(f.translator.unsettledWindows.isEmpty)
    }

    @Test("a lost connection marks its tokens stale until the snapshot after the resubscription")
    func connectionLossMarksStale() {
        var f = Fixture()
        _ = f.translator.advance(nowMs: Self.start + 10_000)
        _ = f.translator.handle([Self.book("up0", at: Self.start + 11_000, bids: [("0.55", "10")], asks: [])], receivedNs: 1)
        #expect(Self.statuses(f.translator.connectionLost(assets: ["up0", "down0"])).map(\.1) == [true])
        #expect(Self.statuses(f.translator.handle([Self.book("up0", at: Self.start + 15_000, bids: [("0.56", "1")], asks: [])], receivedNs: 2))
            .map(\.1) == [false])
    }

    @Test("Chainlink ticks become oracle prices of the series' oracle symbol; Binance ticks are not the oracle")
    func chainlinkTicksAreTheOracle() {
        let f = Fixture()
        let tick = CryptoPrice(topic: .chainlink, symbol: "btc/usd", timestampMs: Self.start + 1_000, value: Decimal(string: "67234.5")!)
        let inputs = f.translator.oracle(tick, receivedNs: 9)
        guard case .market(.oracle(let o))? = inputs.first else { Issue.record("no oracle event"); return }
        #expect(o.symbol == f.series.oracle && o.price == Fixed8(parsing: "67234.5")! && o.tsEvent == (Self.start + 1_000) * 1_000_000)
        #expect(f.translator.oracle(CryptoPrice(topic: .binance, symbol: "btcusdt", timestampMs: 1, value: 1), receivedNs: 9).isEmpty)
    }

    @Test("TWAP-resolved markets take the 60-second TWAP stream as the oracle, so the guard compares like with like")
    func twapMarketsUseTwapStream() {
        let f = Fixture(windows: [Self.window(0, twap: true)])
        let spot = CryptoPrice(topic: .chainlink, symbol: "btc/usd", timestampMs: 1, value: 1)
        let twap = CryptoPrice(topic: .twap60, symbol: "btc/usd", timestampMs: 1, value: 2)
        #expect(f.translator.oracle(spot, receivedNs: 1).isEmpty)
        #expect(f.translator.oracle(twap, receivedNs: 1).count == 1)
    }
}
