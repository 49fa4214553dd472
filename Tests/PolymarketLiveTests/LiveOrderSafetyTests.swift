import VenueKit
import Foundation
import HostCore
import HostPolymarket
import HostTesting
import Logging
import PolymarketFakes
import PolymarketSigning
import PolymarketStreams
import Synchronization
import Testing

/// Log lines collected by `CollectingLogHandler`.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }

    /// A logger that records every line at every level (trace included).
    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { _ in CollectingLogHandler(sink: self) }
        logger.logLevel = .trace
        return logger
    }
}

/// Records every log line (level, message and metadata, rendered) at any level.
struct CollectingLogHandler: LogHandler {
    let sink: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        sink.append("\(event.level) \(event.message) \(merged.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}

/// Order safety against the fake Polymarket: credentials never logged, answers that do not prove
/// an order was refused reconciled instead of booked rejected, bounded reconciliation that halts
/// the instance when it cannot decide and stops at shutdown, kills recognised from status fields.
@Suite("Polymarket live order safety", .serialized)
struct LiveOrderSafetyTests {
    @Test("no account value (API key, secret, passphrase, private key, signer address) appears in any log line at any level")
    func credentialsNeverLogged() async throws {
        let lines = LogLines()
        let logger = lines.logger("test.polymarket.secrets")
        let h = try await LiveHarness(logger: logger)
        // What the CLI logs at start (`LivePolymarket.prepare`), plus the account's description.
        h.account.log(to: logger)
        logger.notice("account described", metadata: ["account": "\(h.account)"])
        try await LiveHarness.waitUntil("the entry is filled") { !h.fills.isEmpty }
        await h.stop()
        let all = lines.all
        #expect(all.count > 5)
        let address = h.account.privateKey.address.checksummed
        let secrets = [
            LiveHarness.credentials.apiKey, LiveHarness.credentials.secret, LiveHarness.credentials.passphrase,
            String(LiveHarness.key.dropFirst(2)), address, address.lowercased(),
        ]
        for secret in secrets {
            #expect(!all.contains { $0.contains(secret) }, "a log line contains an account value")
        }
        // The masked form identifies the account without giving it away.
        #expect(all.contains { $0.contains("Polymarket account") && $0.contains(PolymarketAccount.mask(address)) })
    }

    @Test("a 500 answered after the venue placed the order is reconciled: accepted and filled, never booked rejected")
    func serverErrorAfterPlacingReconciled() async throws {
        let h = try await LiveHarness { h in
            h.clob.failNextOrderPosts(.serverErrorAfterPlacing)
            h.clob.onUserEvent = nil  // no user channel: only the reconciliation can find the order
        }
        try await LiveHarness.waitUntil("the fill is booked") { !h.fills.isEmpty }
        try await LiveHarness.waitUntil("the instance resumes") { h.statusLog.tradingStates.withLock { $0.last?.1 == .active } }
        await h.stop()
        let updates = h.journal.recorded.updates
        #expect(!updates.contains { $0.status == .rejected }, "booked rejected: \(updates.map { "\($0.status) \($0.reason)" })")
        #expect(h.clob.acceptedOrders.count == 1)
        #expect(!h.clob.rejections.contains { $0.reason.contains("duplicate") }, "the order was sent again")
        #expect(h.fills.count == 1)
        #expect(h.statusLog.tradingStates.withLock { $0.contains { $0.1 == .halted && $0.2.contains("outcome unknown") } })
    }

    @Test("an unknown outcome the venue cannot be asked about halts the instance with a reason naming the order, within the bound")
    func unresolvableOutcomeHalts() async throws {
        let lines = LogLines()
        let h = try await LiveHarness(logger: lines.logger("test.polymarket.unresolved"), venueOptions: [{ options in
            options.reconcileAttempts = 3
            options.reconcileBackoff = BackoffPolicy(base: .milliseconds(50), max: .milliseconds(100), jitter: 0)
            options.reconcileTimeout = .seconds(10)
        }]) { h in
            h.clob.failNextOrderPosts(.acceptThenDropConnection)
            h.clob.failAccountQueries(count: Int.max)
        }
        try await LiveHarness.waitUntil("the reconciliation gives up") {
            h.statusLog.tradingStates.withLock { $0.contains { $0.1 == .halted && $0.2.contains("unresolved") } }
        }
        let orderID = try #require(h.clob.acceptedOrders.first?.orderID)
        try await Task.sleep(for: .milliseconds(300))
        guard try await h.stop(within: 5) else { return }
        let states = h.statusLog.tradingStates.withLock { $0 }
        let last = try #require(states.last)
        #expect(last.1 == .halted)
        #expect(last.2.contains(orderID.lowercased()) && last.2.contains("check open orders"))
        #expect(!states.contains { $0.1 == .active }, "resumed without knowing the order's outcome")
        #expect(h.journal.recorded.tradingStates["ls-live"]?.state == .halted)
        #expect(!h.journal.recorded.updates.contains { $0.status == .rejected })
        #expect(lines.all.contains { $0.hasPrefix("error") && $0.contains("could not be reconciled") && $0.contains(orderID.lowercased()) })
        #expect(h.clob.acceptedOrders.count == 1)
    }

    @Test("shutting down during a reconciliation that cannot succeed stops promptly, leaving the instance halted")
    func shutdownStopsReconciliation() async throws {
        let lines = LogLines()
        let h = try await LiveHarness(logger: lines.logger("test.polymarket.shutdown"), venueOptions: [{ options in
            options.reconcileAttempts = 1_000
            options.reconcileBackoff = BackoffPolicy(base: .seconds(5), max: .seconds(5), jitter: 0)
            options.reconcileTimeout = .seconds(600)
        }]) { h in
            h.clob.failNextOrderPosts(.acceptThenDropConnection)
            h.clob.failAccountQueries(count: Int.max)
        }
        try await LiveHarness.waitUntil("the instance is halted for the unknown outcome") {
            h.statusLog.tradingStates.withLock { $0.contains { $0.1 == .halted } }
        }
        try await Task.sleep(for: .milliseconds(300))  // inside the reconciliation's wait
        let started = ContinuousClock.now
        guard try await h.stop(within: 4) else { return }
        #expect(ContinuousClock.now - started < .seconds(4))
        #expect(!h.statusLog.tradingStates.withLock { $0.contains { $0.1 == .active } })
        #expect(lines.all.contains { $0.hasPrefix("error") && $0.contains("could not be reconciled") && $0.contains("stopped") })
    }

    @Test("an FOK kill is recognised from the response's status fields, whatever its message says")
    func fokKillFromStatus() async throws {
        let h = try await LiveHarness { h in
            // Not enough at the ask for any entry: every FOK is killed, in new words.
            h.clob.setBook(tokenID: h.current.upTokenID, bids: [], asks: [(Decimal(string: "0.95")!, 1)])
            h.clob.setBook(tokenID: h.current.downTokenID, bids: [], asks: [(Decimal(string: "0.06")!, 1)])
            h.clob.setKillMessage("not enough liquidity to complete this fill-or-kill order")
            h.clob.onUserEvent = nil  // no user channel: only the POST answer decides
        }
        try await LiveHarness.waitUntil("the entry ends") {
            h.journal.recorded.updates.contains { $0.status == .canceled || $0.status == .rejected }
        }
        await h.stop()
        let ended = try #require(h.journal.recorded.updates.first { $0.status == .canceled || $0.status == .rejected })
        #expect(ended.status == .canceled, "booked \(ended.status): \(ended.reason)")
        #expect(ended.reason.contains("not enough liquidity"))
        #expect(h.clob.acceptedOrders.isEmpty)
        #expect(h.fills.isEmpty)
    }
}
