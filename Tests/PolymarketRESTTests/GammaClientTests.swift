import Foundation
import Logging
import PolymarketFakes
import PolymarketREST
import Testing

struct GammaClientTests {
    static let t0: Int64 = 1_773_307_200_000

    func withGamma(_ body: (FakeGammaServer, GammaClient) async throws -> Void) async throws {
        let server = FakeGammaServer()
        try await server.start()
        do {
            try await body(server, GammaClient(baseURL: server.baseURL, logger: Logger(label: "test.gamma")))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("market(slug:) parses the served market and finds Up by name")
    func marketBySlug() async throws {
        try await withGamma { server, gamma in
            var window = FakeGammaWindow.interval(asset: "btc", duration: "5m", seconds: 300, startMs: Self.t0, twapLookbackSeconds: 60)
            window.downListedFirst = true
            server.add(window)
            let market = try #require(try await gamma.market(slug: window.slug))
            #expect(market.upTokenID == window.upTokenID)
            #expect(market.downTokenID == window.downTokenID)
            #expect(market.windowStartMs == Self.t0 && market.windowEndMs == Self.t0 + 300_000)
            #expect(market.resolution == .twap(lookbackSeconds: 60))
        }
    }

    @Test("an unknown slug is nil, not an error")
    func unknownSlug() async throws {
        try await withGamma { _, gamma in
            let market = try await gamma.market(slug: "btc-updown-5m-1")
            #expect(market == nil)
        }
    }

    @Test("markets(slug:) and event(slug:) return the same window")
    func marketsAndEvent() async throws {
        try await withGamma { server, gamma in
            let window = FakeGammaWindow.interval(asset: "eth", duration: "15m", seconds: 900, startMs: Self.t0)
            server.add(window)
            #expect(try await gamma.markets(slug: window.slug).map(\.slug) == [window.slug])
            let event = try #require(try await gamma.event(slug: window.slug))
            #expect(event.markets.map(\.upTokenID) == [window.upTokenID])
        }
    }

    @Test("currentAndNext returns the window containing now and the one after it")
    func currentAndNextFiveMinutes() async throws {
        try await withGamma { server, gamma in
            for index in 0..<3 {
                server.add(.interval(asset: "btc", duration: "5m", seconds: 300, startMs: Self.t0 + Int64(index) * 300_000))
            }
            let markets = try await gamma.currentAndNext(asset: "btc", duration: .m5, nowMs: Self.t0 + 299_000)
            #expect(markets.map(\.windowStartMs) == [Self.t0, Self.t0 + 300_000])
        }
    }

    @Test("hourly windows are discovered through search")
    func hourlyThroughSearch() async throws {
        try await withGamma { server, gamma in
            let start: Int64 = 1_781_870_400_000
            for offset in [Int64(0), 3_600_000] {
                server.add(FakeGammaWindow(
                    slug: UpDownSlug.slug(asset: "btc", duration: .hourly, windowStartMs: start + offset), asset: "btc", duration: "hourly",
                    startMs: start + offset, endMs: start + offset + 3_600_000, upTokenID: "u\(offset)", downTokenID: "d\(offset)"
                ))
            }
            let markets = try await gamma.currentAndNext(asset: "btc", duration: .hourly, nowMs: start + 1000)
            #expect(markets.map(\.upTokenID) == ["u0", "u3600000"])
            #expect(server.requests.contains { $0.hasPrefix("/public-search") })
            #expect(!server.requests.contains { $0.hasPrefix("/markets/slug/") })
        }
    }

    @Test("series(slug:) lists the series' events")
    func series() async throws {
        try await withGamma { server, gamma in
            server.add(.interval(asset: "btc", duration: "5m", seconds: 300, startMs: Self.t0))
            let series = try #require(try await gamma.series(slug: "btc-up-or-down-5m"))
            #expect(series.recurrence == "5m")
            #expect(series.events.map(\.slug) == ["btc-updown-5m-\(Self.t0 / 1000)"])
        }
    }
}
