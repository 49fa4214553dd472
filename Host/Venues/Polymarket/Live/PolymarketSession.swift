import VenueKit
import Foundation
import HostCore
import Logging
import PolymarketREST
import PolymarketSigning
import PolymarketStreams
import Synchronization

/// Everything a host session needs to watch Polymarket live — and, with an account, to trade
/// it: the feed (Gamma, market channel, RTDS), the venue adapter and the user channel.
///
/// Order of use: ``prepare()`` (discovery; with an account, API credentials and the start-up
/// reconciliation), then attach ``venue`` to the engine and start it, then ``run()``.
public final class PolymarketSession: Sendable {
    public let configuration: PolymarketFeedConfiguration
    public let markets: PolymarketMarkets
    public let feed: PolymarketFeed
    public let venue: PolymarketVenue?
    private let account: PolymarketAccount?
    private let client: ClobClient?
    private let credentials: ApiCredentials?
    private let logger: Logger
    private let userChannel = Mutex<UserChannelClient?>(nil)

    /// - Parameters:
    ///   - account: Trading account (live instances); nil for paper-only sessions on live data.
    ///   - credentials: API credentials when the account has none in the environment (derived by
    ///     the caller with ``deriveCredentials(account:configuration:logger:)``).
    ///   - sink: The engine's queue.
    public init(configuration: PolymarketFeedConfiguration, markets: PolymarketMarkets, account: PolymarketAccount?,
                credentials: ApiCredentials? = nil, venueOptions: PolymarketVenue.Options = .init(), clock: any EngineClock,
                logger: Logger, sink: @escaping @Sendable (EngineInput) -> Void) throws {
        self.configuration = configuration
        self.markets = markets
        self.account = account
        self.logger = logger
        let batchSink: @Sendable ([EngineInput]) -> Void = { inputs in for input in inputs { sink(input) } }
        feed = PolymarketFeed(configuration: configuration, markets: markets, gamma: GammaClient(baseURL: configuration.endpoints.gamma, logger: logger),
                              logger: logger, clock: clock, sink: batchSink)
        if let account, let creds = credentials ?? account.credentials {
            let client = ClobClient(baseURL: configuration.endpoints.rest, credentials: creds, signer: account.privateKey,
                                    signatureType: account.signatureType, localClockMs: { clock.now() / 1_000_000 }, logger: logger)
            self.client = client
            self.credentials = creds
            let builder = try OrderBuilder(privateKey: account.privateKey, signatureType: account.signatureType, funder: account.funder)
            venue = PolymarketVenue(client: client, builder: builder, credentials: creds, markets: markets, options: venueOptions,
                                    clock: clock, logger: logger, sink: sink)
        } else {
            client = nil
            self.credentials = nil
            venue = nil
        }
    }

    /// Creates or derives the account's API credentials with its key (L1), when the
    /// environment has none.
    public static func deriveCredentials(account: PolymarketAccount, configuration: PolymarketFeedConfiguration, clock: any EngineClock,
                                         logger: Logger) async throws -> ApiCredentials {
        if let credentials = account.credentials { return credentials }
        let client = ClobClient(baseURL: configuration.endpoints.rest, credentials: nil, signer: account.privateKey,
                                signatureType: account.signatureType, localClockMs: { clock.now() / 1_000_000 }, logger: logger)
        _ = try await client.serverTime()
        return try await client.createOrDeriveApiKey()
    }

    /// Discovers the windows; with a venue, reconciles the account for each live instance's
    /// symbols (balance, open orders, token balances). Throws when any of it fails.
    public func prepare(liveSymbols: [SymbolID]) async throws -> PolymarketVenue.Reconciliation? {
        try await feed.discover()
        guard let venue else { return nil }
        do {
            return try await venue.reconcile(symbols: liveSymbols)
        } catch {
            throw PolymarketFeedError(message: "start-up reconciliation with Polymarket failed, so the host will not trade: \(error)")
        }
    }

    /// Runs feed, order worker and user channel until `stop()` (all three end then; work the
    /// venue had queued — the cancels of an engine shutting down — is done first).
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.feed.run() }
            if let venue, let credentials {
                group.addTask { await venue.run() }
                let user = UserChannelClient(
                    url: configuration.endpoints.userWS, apiKey: credentials.apiKey, secret: credentials.secret, passphrase: credentials.passphrase,
                    markets: [], heartbeat: configuration.marketHeartbeat, backoff: configuration.backoff, logger: logger,
                    onMessages: { messages, _ in venue.handle(messages) },
                    onConnection: { event in
                        // After any (re)connection, trades may have been missed: fetch them.
                        if case .connected = event { venue.requestTradeReconciliation() }
                    })
                userChannel.withLock { $0 = user }
                group.addTask { try? await user.run() }
            }
        }
    }

    /// Stops market data only (no new events); orders and cancels still go out. Call on
    /// shutdown before the engine drains, then `stop()` once the engine has stopped.
    public func stopFeed() {
        feed.stop()
    }

    public func stop() {
        feed.stop()
        venue?.finish()
        userChannel.withLock { $0?.stop() }
    }
}
