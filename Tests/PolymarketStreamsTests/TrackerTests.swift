import VenueKit
import Foundation
import HostCore
import PolymarketStreams
import Testing

struct PriceToBeatTrackerTests {
    let start: Int64 = 1_787_414_400_000

    private func tick(_ offsetMs: Int64, _ value: String, topic: RTDSTopic = .chainlink) -> CryptoPrice {
        CryptoPrice(topic: topic, symbol: "btc/usd", timestampMs: start + offsetMs, value: dec(value))
    }

    @Test("a tick before the window start is never taken")
    func beforeStartIgnored() {
        var tracker = PriceToBeatTracker(windowStartMs: start, topic: .chainlink)
        tracker.observe(tick(-1, "64000"))
        #expect(tracker.state == .pending)
        #expect(tracker.priceToBeat == nil)
    }

    @Test("the first tick at or after the start within the lag is the price to beat, later ticks change nothing")
    func firstAtOrAfterStart() {
        var tracker = PriceToBeatTracker(windowStartMs: start, maxLagMs: 10_000, topic: .chainlink)
        tracker.observe(tick(-500, "63999"))
        tracker.observe(tick(0, "64000.25"))
        tracker.observe(tick(1_000, "64100"))
        #expect(tracker.priceToBeat == dec("64000.25"))
        #expect(tracker.state == .captured(tick(0, "64000.25")))
    }

    @Test("a first tick later than the lag marks the start missed")
    func beyondLagMissed() {
        var tracker = PriceToBeatTracker(windowStartMs: start, maxLagMs: 10_000, topic: .chainlink)
        tracker.observe(tick(10_001, "64000"))
        #expect(tracker.state == .missed)
        tracker.observe(tick(10_002, "64001"))
        #expect(tracker.priceToBeat == nil)
    }

    @Test("a TWAP-resolved tracker ignores spot ticks and takes the TWAP value at the start")
    func twapTopic() {
        var tracker = PriceToBeatTracker(windowStartMs: start, topic: .twap60, symbol: "BTC/USD")
        tracker.observe(tick(0, "64000"))
        tracker.observe(tick(200, "63990.5", topic: .twap60))
        #expect(tracker.priceToBeat == dec("63990.5"))
    }

    @Test("ticks of another symbol are ignored when a symbol is set")
    func otherSymbol() {
        var tracker = PriceToBeatTracker(windowStartMs: start, symbol: "eth/usd")
        tracker.observe(tick(0, "64000"))
        #expect(tracker.state == .pending)
    }

    @Test("expire marks a tracker that saw nothing as missed once the lag has passed")
    func expire() {
        var tracker = PriceToBeatTracker(windowStartMs: start, maxLagMs: 10_000)
        tracker.expire(nowMs: start + 5_000)
        #expect(tracker.state == .pending)
        tracker.expire(nowMs: start + 10_001)
        #expect(tracker.state == .missed)
    }
}

struct BookSequenceGuardTests {
    private func book(_ ts: Int64, hash: String = "h") -> MarketChannelMessage {
        .book(BookMessage(assetID: "A", market: "m", timestampMs: ts, hash: hash, bids: [], asks: []))
    }

    private func change(_ ts: Int64, assets: [String] = ["A"]) -> MarketChannelMessage {
        .priceChange(PriceChangeMessage(market: "m", timestampMs: ts, changes: assets.map {
            PriceChangeEntry(assetID: $0, price: fx("0.5"), size: fx("1"), side: .buy, hash: "x")
        }))
    }

    @Test("a price_change older than the last book of its asset is dropped")
    func olderChangeDropped() {
        var guardian = BookSequenceGuard()
        #expect(guardian.admit(book(100)) != nil)
        #expect(guardian.admit(change(99)) == nil)
    }

    @Test("a price_change with the book's own timestamp or later passes")
    func sameTimestampKept() {
        var guardian = BookSequenceGuard()
        _ = guardian.admit(book(100))
        #expect(guardian.admit(change(100)) == change(100))
        #expect(guardian.admit(change(101)) == change(101))
    }

    @Test("only the stale entries of a two-asset price_change are removed")
    func mixedEntries() {
        var guardian = BookSequenceGuard()
        _ = guardian.admit(book(100))
        #expect(guardian.admit(change(99, assets: ["A", "B"])) == change(99, assets: ["B"]))
    }

    @Test("a repeated book (same time and hash) and an older book are dropped")
    func duplicateBook() {
        var guardian = BookSequenceGuard()
        _ = guardian.admit(book(100))
        #expect(guardian.admit(book(100)) == nil)
        #expect(guardian.admit(book(90, hash: "older")) == nil)
        #expect(guardian.admit(book(100, hash: "other")) != nil)
    }

    @Test("the recorded 2026 stream passes the guard unchanged", fixturesPresent)
    func recordedStream() throws {
        var parser = MarketChannelParser()
        let messages = try parser.parse(try Fixtures.text("ws_market_stream_excerpt_2026.json"))
        var guardian = BookSequenceGuard()
        #expect(messages.compactMap { guardian.admit($0) } == messages)
    }
}

struct PolicyTests {
    @Test("backoff doubles from 0.25 s, caps at 30 s, and jitter only shortens")
    func backoff() {
        let policy = BackoffPolicy.standard
        #expect(policy.delay(attempt: 0, random: 0) == .milliseconds(250))
        #expect(policy.delay(attempt: 2, random: 0) == .seconds(1))
        #expect(policy.delay(attempt: 20, random: 0) == .seconds(30))
        #expect(policy.delay(attempt: 20, random: 1) == .seconds(15))
        #expect((0..<50).allSatisfy { policy.delay(attempt: $0 % 12) <= .seconds(30) })
    }

    @Test("the CLOB heartbeat pings every 10 s and is stale after 30 s; RTDS pings every 5 s")
    func heartbeats() {
        #expect(HeartbeatPolicy.clob == HeartbeatPolicy(interval: .seconds(10), staleAfter: .seconds(30)))
        #expect(HeartbeatPolicy.rtds.interval == .seconds(5))
    }
}
