import Foundation
import PolymarketREST
import Testing

struct UpDownSlugTests {
    @Test("5m slugs use the window start aligned down to 300 s")
    func fiveMinutes() {
        #expect(UpDownSlug.slug(asset: "btc", duration: .m5, windowStartMs: 1_773_307_399_000) == "btc-updown-5m-1773307200")
    }

    @Test("15m slugs use the window start aligned down to 900 s")
    func fifteenMinutes() {
        #expect(UpDownSlug.slug(asset: "eth", duration: .m15, windowStartMs: 1_773_307_399_000) == "eth-updown-15m-1773306900")
    }

    @Test("4h slugs use the window start aligned down to 14400 s")
    func fourHours() {
        #expect(UpDownSlug.slug(asset: "sol", duration: .h4, windowStartMs: 1_773_307_399_000) == "sol-updown-4h-1773302400")
    }

    @Test("hourly slugs name the ET start hour in summer time (EDT)")
    func hourlySummer() {
        // 2026-06-19 12:30Z = 8:30am EDT.
        #expect(UpDownSlug.slug(asset: "btc", duration: .hourly, windowStartMs: 1_781_872_200_000) == "bitcoin-up-or-down-june-19-2026-8am-et")
    }

    @Test("hourly slugs name the ET start hour in winter time (EST), crossing the UTC date")
    func hourlyWinter() {
        // 2026-11-13 02:00Z = Nov 12, 9pm EST.
        #expect(UpDownSlug.slug(asset: "btc", duration: .hourly, windowStartMs: 1_794_535_200_000) == "bitcoin-up-or-down-november-12-2026-9pm-et")
    }

    @Test("hourly slugs write noon as 12pm and midnight as 12am")
    func hourlyNoonAndMidnight() {
        // 2026-01-05 17:00Z = noon EST; 05:00Z = midnight EST.
        #expect(UpDownSlug.slug(asset: "eth", duration: .hourly, windowStartMs: 1_767_632_400_000) == "ethereum-up-or-down-january-5-2026-12pm-et")
        #expect(UpDownSlug.slug(asset: "eth", duration: .hourly, windowStartMs: 1_767_589_200_000) == "ethereum-up-or-down-january-5-2026-12am-et")
    }

    @Test("daily windows run noon ET to noon ET and are named by their end date")
    func daily() {
        // 2026-03-12 09:20Z = 5:20am EDT: before noon, so the window ends at noon that day (16:00Z).
        let now: Int64 = 1_773_307_200_000
        let start = UpDownSlug.windowStart(duration: .daily, containing: now)
        #expect(start == 1_773_244_800_000)  // 2026-03-11 16:00Z
        #expect(UpDownSlug.windowEnd(duration: .daily, windowStartMs: start) == 1_773_331_200_000)  // 2026-03-12 16:00Z
        #expect(UpDownSlug.slug(asset: "btc", duration: .daily, windowStartMs: start) == "bitcoin-up-or-down-on-march-12-2026")
    }

    @Test("a daily window spanning the spring DST change lasts 23 hours")
    func dailyAcrossDST() {
        // Noon EST 2026-03-07 (17:00Z) to noon EDT 2026-03-08 (16:00Z).
        let start = UpDownSlug.windowStart(duration: .daily, containing: 1_772_928_000_000)  // 2026-03-08 00:00Z
        #expect(start == 1_772_902_800_000)
        #expect(UpDownSlug.windowEnd(duration: .daily, windowStartMs: start) - start == 23 * 3_600_000)
    }

    @Test("slugs parse back to asset, duration and window start", arguments: [
        (UpDownDuration.m5, Int64(1_773_307_200_000)), (.m15, 1_773_306_900_000), (.h4, 1_773_302_400_000),
        (.hourly, 1_781_870_400_000), (.daily, 1_773_244_800_000),
    ])
    func parseRoundTrip(duration: UpDownDuration, start: Int64) throws {
        let slug = UpDownSlug.slug(asset: "btc", duration: duration, windowStartMs: start)
        let parsed = try #require(UpDownSlug.parse(slug: slug))
        #expect(parsed.asset == "btc")
        #expect(parsed.duration == duration)
        #expect(parsed.windowStartMs == start)
    }
}
