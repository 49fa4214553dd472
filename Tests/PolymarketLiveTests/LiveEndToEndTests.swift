import Foundation
import HostCore
import HostPolymarket
import HostTesting
import PolymarketFakes
import PolymarketSigning
import Synchronization
import Testing
import VenueKit

/// `last_second` trading live against the fake Polymarket: every order is signed (EIP-712,
/// recovered by the fake), authenticated (L2 HMAC over the exact body, checked by the fake),
/// filled through the user channel and settled by the market's resolution.
@Suite("Polymarket live mode end to end", .serialized)
struct LiveEndToEndTests {
    @Test("an entry is signed by the account's key, verified by the venue, and filled through the user channel in the live account")
    func entrySignedVerifiedFilled() async throws {
        let h = try await LiveHarness()
        try await LiveHarness.waitUntil("the entry is filled") { !h.fills.isEmpty }
        await h.stop()
        let accepted = try #require(h.clob.acceptedOrders.first, "oracles \(h.statusLog.oracles.load(ordering: .relaxed)) published \(h.statusLog.published.load(ordering: .relaxed)) blocked: \(h.journal.recorded.signals.map(\.payload)); updates: \(h.journal.recorded.updates.map { "\($0.status) \($0.reason)" })")
        #expect(accepted.recoveredSigner == (try PrivateKey(hex: LiveHarness.key)).address)
        #expect(accepted.body.owner == LiveHarness.credentials.apiKey)
        #expect(accepted.body.orderType == .fok)
        #expect(h.clob.rejections.isEmpty, "the fake refused: \(h.clob.rejections)")
        #expect(h.clob.acceptedOrders.count == 1)
        let fill = try #require(h.fills.first)
        #expect(fill.mode == .live && fill.symbol == h.series.up && fill.side == .buy)
        #expect(fill.fee > 0)
        // The trade arrives as MATCHED, MINED and CONFIRMED: booked once.
        #expect(h.fills.count == 1)
    }

    @Test("a paper instance on the same live data trades on the paper venue with its own account; only the live order reaches the venue")
    func paperAndLiveSideBySide() async throws {
        let h = try await LiveHarness(paperToo: true)
        try await LiveHarness.waitUntil("both instances filled") { Set(h.fills.map(\.instanceID)) == ["ls-live", "ls-paper"] }
        await h.stop()
        #expect(h.clob.acceptedOrders.count == 1)
        #expect(h.fills.first { $0.instanceID == "ls-live" }?.mode == .live)
        #expect(h.fills.first { $0.instanceID == "ls-paper" }?.mode == .paper)
    }

    @Test("a market that resolves while a position is open settles it at the resolution price after the window ends")
    func resolutionSettlesPosition() async throws {
        let h = try await LiveHarness()
        try await LiveHarness.waitUntil("the entry is filled") { !h.fills.isEmpty }
        let marks = h.statusLog.items.withLock { $0.count }
        h.fastForward(toMs: h.current.endMs + 500)
        try await LiveHarness.waitUntil("the rollover marks the series stale until the resolution") {
            h.statusLog.items.withLock { $0[marks...].contains { $0.0 == h.series.up && $0.1 } }
        }
        #expect(h.resolveCurrent(upWins: true) > 0)
        try await LiveHarness.waitUntil("the settlement is booked") { h.fills.contains { $0.reason == "settlement" } }
        await h.stop()
        let settlement = try #require(h.fills.first { $0.reason == "settlement" })
        #expect(settlement.price == 1 && settlement.side == .sell && settlement.position.quantity == 0)
    }

    @Test("a venue in cancel-only mode: the order is rejected with the venue's reason and the instance reduces, then resumes")
    func cancelOnlyPausesTrading() async throws {
        let h = try await LiveHarness { $0.clob.failNextOrderPosts(.cancelOnly) }
        try await LiveHarness.waitUntil("the rejection") { h.journal.recorded.updates.contains { $0.status == .rejected } }
        try await LiveHarness.waitUntil("the pause is recorded") { h.journal.recorded.tradingStates["ls-live"] != nil }
        try await LiveHarness.waitUntil("the retry after the pause fills") { !h.fills.isEmpty }
        await h.stop()
        let rejected = try #require(h.journal.recorded.updates.first { $0.status == .rejected })
        #expect(rejected.reason.contains("cancel-only"))
        #expect(h.clob.acceptedOrders.count == 1)
    }

    @Test("an order whose answer was lost is reconciled from the venue's open orders and trades, never sent twice")
    func unknownOutcomeReconciled() async throws {
        let h = try await LiveHarness { $0.clob.failNextOrderPosts(.acceptThenDropConnection) }
        try await LiveHarness.waitUntil("the fill is booked") { !h.fills.isEmpty }
        try await Task.sleep(for: .seconds(1))
        await h.stop()
        #expect(h.clob.acceptedOrders.count == 1)
        #expect(h.entries.count == 1)
        #expect(h.fills.count == 1)
    }

    @Test("429 rate limits are retried with the same signed bytes until accepted")
    func rateLimitRetried() async throws {
        let h = try await LiveHarness { $0.clob.failNextOrderPosts(.rateLimited(retryAfterSeconds: 1), count: 2) }
        try await LiveHarness.waitUntil("the fill is booked") { !h.fills.isEmpty }
        await h.stop()
        #expect(h.clob.acceptedOrders.count == 1)
        #expect(h.journal.recorded.updates.allSatisfy { $0.status != .rejected })
    }

    @Test("a clock two minutes behind the venue's still trades: L2 timestamps follow the server time measured at start")
    func clockSkewCorrected() async throws {
        let h = try await LiveHarness(serverSkewMs: 120_000)
        try await LiveHarness.waitUntil("the fill is booked") { !h.fills.isEmpty }
        await h.stop()
        #expect(h.clob.rejections.isEmpty, "the fake refused: \(h.clob.rejections)")
        #expect(h.clob.acceptedOrders.count == 1)
    }

    @Test("a revoked API key halts the instance with a reason saying to recreate the key")
    func revokedKeyHalts() async throws {
        let h = try await LiveHarness { $0.clob.revokeApiKey() }
        try await LiveHarness.waitUntil("the halt") { h.journal.recorded.tradingStates["ls-live"]?.state == .halted }
        await h.stop()
        #expect(h.journal.recorded.tradingStates["ls-live"]?.reason.contains("API key") == true)
        #expect(h.clob.acceptedOrders.isEmpty)
    }

    @Test("dropped market-channel connections mark the books stale until the snapshots after the resubscription; the feed counts them")
    func droppedConnectionResyncs() async throws {
        let h = try await LiveHarness()
        try await LiveHarness.waitUntil("the books are fresh") { h.statusLog.items.withLock { $0.contains { $0.0 == h.series.up && !$0.1 } } }
        let before = h.streams.connectionCount
        let counters = h.session.feed.counters
        let opened = counters.connects.load(ordering: .relaxed)
        #expect(opened >= 1 && counters.disconnects.load(ordering: .relaxed) == 0 && counters.frames.load(ordering: .relaxed) > 0)
        let mark = h.statusLog.items.withLock { $0.count }
        h.streams.dropAllConnections()
        try await LiveHarness.waitUntil("a reconnection") { h.streams.connectionCount > before }
        // What the dashboard's health view shows: the connections lost and opened again.
        try await LiveHarness.waitUntil("the loss and the reconnection counted") {
            counters.disconnects.load(ordering: .relaxed) >= 1 && counters.connects.load(ordering: .relaxed) > opened
        }
        try await LiveHarness.waitUntil("stale, then fresh again") {
            h.statusLog.items.withLock { s in
                let after = s[mark...]
                guard let stale = after.firstIndex(where: { $0.0 == h.series.up && $0.1 }) else { return false }
                return s[stale...].contains { $0.0 == h.series.up && !$0.1 }
            }
        }
        await h.stop()
        #expect(h.streams.subscriptions.last?.initialAssets.contains(h.current.upTokenID) == true)
    }
}
