import Foundation
import PolymarketREST
import Testing

/// Fixtures are read in place from the steering repo (`/work/shared/fixtures/polymarket`).
enum PolymarketFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()  // repo root
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures/polymarket")

    static var available: Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent("SOURCES.md").path) }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}

@Suite("Gamma market parsing", .enabled(if: PolymarketFixtures.available, "needs /work/shared/fixtures/polymarket"))
struct GammaMarketParsingTests {
    @Test("the 5m fixture yields its window, tokens by outcome name and order rules")
    func spotFixture() throws {
        let market = try GammaMarket.parse(json: PolymarketFixtures.bytes("gamma_market_btc_updown_5m.json"))
        #expect(market.slug == "btc-updown-5m-1773307200")
        #expect(market.upTokenID == "104239898038807136052399800151408521467737075933964991162589336683346093173875")
        #expect(market.downTokenID == "71183960810705820955071415844881728181970340514894896943812046065452395013351")
        #expect(market.windowStartMs == 1_773_307_200_000)
        #expect(market.windowEndMs == 1_773_307_500_000)
        #expect(market.tickSize == Decimal(string: "0.01"))
        #expect(market.minOrderSize == 5)
        #expect(market.negRisk == false)
        #expect(market.acceptingOrders && !market.closed && market.feesEnabled)
        #expect(market.conditionID == "0x78443f961b9a65869dcb39359de9960165c7e5cbad0904eac7f29cd77872a63b")
        #expect(market.asset == "btc")
        #expect(market.duration == .m5)
        #expect(market.upPrice == Decimal(string: "0.505"))
    }

    @Test("the 5m fixture resolves on the spot stream")
    func spotFixtureResolution() throws {
        let market = try GammaMarket.parse(json: PolymarketFixtures.bytes("gamma_market_btc_updown_5m.json"))
        #expect(market.resolution == .spot)
        #expect(market.resolutionSource == "https://data.chain.link/streams/btc-usd")
        #expect(market.feeSchedule == nil)
    }

    @Test("the TWAP fixture resolves on a 60 s TWAP and carries its fee schedule")
    func twapFixture() throws {
        let market = try GammaMarket.parse(json: PolymarketFixtures.bytes("gamma_market_btc_updown_5m_twap_reduced.json"))
        #expect(market.resolution == .twap(lookbackSeconds: 60))
        #expect(market.windowStartMs == 1_787_414_400_000)
        #expect(market.windowEndMs == 1_787_414_700_000)
        #expect(market.feeSchedule == GammaMarket.FeeSchedule(rate: Decimal(string: "0.07")!, exponent: 1, takerOnly: true,
                                                               rebateRate: Decimal(string: "0.2")!))
        #expect(market.upTokenID == "113013382422133157315656090194075928009220145127085300671933810669470922115281")
    }
}

@Suite("Gamma market parsing without fixtures")
struct GammaMarketShapeTests {
    @Test("Up is found by name when the venue lists Down first")
    func upFoundByName() throws {
        let json = #"""
        {"id":"1","slug":"eth-updown-15m-1773306900","question":"q","conditionId":"0x01","outcomes":"[\"Down\", \"Up\"]",
         "clobTokenIds":"[\"222\", \"111\"]","eventStartTime":"2026-03-12T09:15:00Z","endDate":"2026-03-12T09:30:00Z",
         "orderPriceMinTickSize":0.001,"orderMinSize":5,"negRisk":true,"acceptingOrders":false,"closed":true}
        """#
        let market = try GammaMarket.parse(json: Array(json.utf8))
        #expect(market.upTokenID == "111")
        #expect(market.downTokenID == "222")
        #expect(market.tickSize == Decimal(string: "0.001"))
        #expect(market.negRisk && market.closed && !market.acceptingOrders)
        #expect(market.duration == .m15)
    }

    @Test("a market that is not up/down is refused with a clear error")
    func notUpDown() {
        let json = #"{"slug":"will-it-rain","outcomes":"[\"Yes\", \"No\"]","clobTokenIds":"[\"1\", \"2\"]","endDate":"2026-03-12T09:30:00Z","orderPriceMinTickSize":0.01}"#
        #expect(throws: ClobError.self) { try GammaMarket.parse(json: Array(json.utf8)) }
    }
}
