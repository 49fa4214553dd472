import VenueKit
import Foundation
import HostCore
import Logging
import PolymarketREST
import PolymarketStreams
import Synchronization

/// What the live Polymarket feed watches (`feed: source: polymarket` in the configuration).
///
/// ## Configuration keys (under `feed:`, with `source: polymarket`):
/// - `assets` (list, default `[btc, eth]`): up/down series per asset.
/// - `durations` (list of `5m`, `15m`, `4h`, `hourly`, `daily`; default `[15m]`).
/// - `oracle` (`auto` | `chainlink` | `twap60`, default `auto`): RTDS stream for the oracle
///   symbols; `auto` follows each market's resolution source (spot Chainlink, or the 60-second
///   TWAP for TWAP-resolved markets), so the guard compares like with like.
/// - `lead_time_s` (default 60): subscribe to the next window this long before it starts.
/// - `grace_s` (default 600): stop waiting for an ended window's resolution after this long.
/// - `discovery_interval_s` (default 10): how often Gamma is asked about windows not known yet.
/// - `max_assets_per_connection` (default 500): market-channel shard size.
/// - `gamma_url`, `clob_url`, `market_ws_url`, `user_ws_url`, `rtds_url`: endpoints
///   (production by default; tests point them at the fake servers on loopback).
public struct PolymarketFeedConfiguration: Sendable {
    public var assets: [String] = ["btc", "eth"]
    public var durations: [UpDownDuration] = [.m15]
    public var oracle: RTDSTopic?
    public var leadTime: Duration = .seconds(60)
    public var grace: Duration = .seconds(600)
    public var discoveryInterval: Duration = .seconds(10)
    public var maxAssetsPerConnection = 500
    public var endpoints = ClobEndpoints.production
    public var marketHeartbeat = HeartbeatPolicy.clob
    public var rtdsHeartbeat = HeartbeatPolicy.rtds
    public var backoff = BackoffPolicy.standard

    public init() {}
}

/// The live Polymarket market-data feed: Gamma discovery of the rolling up/down windows,
/// the CLOB market channel for their books, RTDS for the oracle — translated by
/// ``FeedTranslator`` into inputs on the engine's queue.
public final class PolymarketFeed: Sendable {
    public let configuration: PolymarketFeedConfiguration
    public let markets: PolymarketMarkets
    private let gamma: GammaClient
    private let logger: Logger
    private let sink: @Sendable ([EngineInput]) -> Void
    private let translator: Mutex<FeedTranslator>
    private let subscribed = Mutex(Set<String>())
    private let stopped = Atomic<Bool>(false)
    private let lastGammaCheck = Mutex([String: Int64]())
    private let messagesReceived = Atomic<Int>(0)
    /// The market channel's connections (opened, lost) and messages, for health views.
    public let counters = VenueCounters(venue: "polymarket")
    private let clock: any EngineClock
    private let marketChannel: Mutex<MarketChannelClient?> = Mutex(nil)
    /// Price to beat per window (condition id), captured from the stream the window resolves on.
    private let beats = Mutex([String: (slug: String, tracker: PriceToBeatTracker)]())
    private let rtds: Mutex<RTDSClient?> = Mutex(nil)

    /// - Parameters:
    ///   - sink: Where inputs go (the engine's queue), in order per source.
    ///   - clock: The engine's (wall) clock.
    public init(configuration: PolymarketFeedConfiguration, markets: PolymarketMarkets, gamma: GammaClient, logger: Logger,
                clock: any EngineClock, sink: @escaping @Sendable ([EngineInput]) -> Void) {
        self.configuration = configuration
        self.markets = markets
        self.gamma = gamma
        self.logger = logger
        self.sink = sink
        self.clock = clock
        var translator = FeedTranslator(markets: markets, schedule: WindowSchedule(
            leadTimeMs: Self.ms(configuration.leadTime), graceMs: Self.ms(configuration.grace), lookupLeadMs: 120_000))
        translator.oracleOverride = configuration.oracle
        self.translator = Mutex(translator)
    }

    /// Market-channel messages received so far (progress output).
    public var messageCount: Int { messagesReceived.load(ordering: .relaxed) }
    public var settlementCount: Int { translator.withLock { $0.settlements } }

    /// Discovers the current (and next) windows of every series and activates them. Throws
    /// when Gamma cannot be reached or knows no current window for a series: the host does
    /// not start a live session it cannot see.
    public func discover() async throws {
        let nowMs = now()
        for (index, series) in markets.series.enumerated() {
            let found: [GammaMarket]
            do {
                found = try await gamma.currentAndNext(asset: series.asset, duration: series.duration, nowMs: nowMs)
            } catch {
                throw PolymarketFeedError(message: "market discovery for \(series.asset) \(series.duration.rawValue) failed: \(error)")
            }
            guard !found.isEmpty else {
                throw PolymarketFeedError(message: "Gamma lists no current \(series.asset) \(series.duration.rawValue) up/down window; check feed.assets and feed.durations")
            }
            translator.withLock { $0.discovered(found, series: index) }
            logger.info("Polymarket windows discovered", metadata: [
                "series": "\(series.asset)-\(series.duration.rawValue)", "windows": "\(found.map(\.slug).joined(separator: ","))",
            ])
        }
        sink(translator.withLock { $0.advance(nowMs: nowMs) })
    }

    /// Runs the market channel, RTDS, discovery and rollovers until `stop()`.
    public func run() async {
        let channel = MarketChannelClient(
            url: configuration.endpoints.marketWS, customFeatures: true, maxAssetsPerConnection: configuration.maxAssetsPerConnection,
            heartbeat: configuration.marketHeartbeat, backoff: configuration.backoff, logger: logger,
            onMessages: { [weak self] messages, receivedNs in self?.received(messages, receivedNs: receivedNs) },
            onConnection: { [weak self] event, assets in self?.connection(event, assets: assets) })
        let oracleSubscriptions = Set(markets.series.map(\.asset)).sorted().flatMap { asset in
            [(RTDSTopic.chainlink, "\(asset)/usd"), (RTDSTopic.twap60, "\(asset)/usd")]
        }
        let rtdsClient = RTDSClient(
            url: configuration.endpoints.rtds, subscriptions: oracleSubscriptions, heartbeat: configuration.rtdsHeartbeat,
            backoff: configuration.backoff, logger: logger,
            onPrice: { [weak self] price in self?.oracle(price) },
            onConnection: { _ in })
        marketChannel.withLock { $0 = channel }
        rtds.withLock { $0 = rtdsClient }
        syncSubscriptions(channel, nowMs: now())
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await channel.run() }
            group.addTask { try? await rtdsClient.run() }
            group.addTask { await self.housekeeping(channel) }
            await group.next()
            channel.stop()
            rtdsClient.stop()
            group.cancelAll()
        }
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
        marketChannel.withLock { $0?.stop() }
        rtds.withLock { $0?.stop() }
    }

    // MARK: - Loops

    private func housekeeping(_ channel: MarketChannelClient) async {
        var lastDiscovery: Int64 = 0
        while !stopped.load(ordering: .relaxed) {
            let nowMs = now()
            sink(translator.withLock { $0.advance(nowMs: nowMs) })
            if nowMs - lastDiscovery >= Self.ms(configuration.discoveryInterval) {
                lastDiscovery = nowMs
                await lookUpFollowingWindows(nowMs: nowMs)
                await settleFromGamma(nowMs: nowMs)
            }
            syncSubscriptions(channel, nowMs: nowMs)
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    private func lookUpFollowingWindows(nowMs: Int64) async {
        for (index, series) in markets.series.enumerated() {
            let plan = translator.withLock { $0.plan(series: index, nowMs: nowMs) }
            guard plan.next == nil || plan.lookupAtMs <= nowMs else { continue }
            do {
                let found = try await gamma.currentAndNext(asset: series.asset, duration: series.duration, nowMs: max(nowMs, plan.followingWindowStartMs ?? nowMs))
                translator.withLock { $0.discovered(found, series: index) }
            } catch {
                logger.warning("Polymarket discovery failed", metadata: ["series": "\(series.asset)-\(series.duration.rawValue)", "error": "\(error)"])
            }
        }
    }

    /// Ended windows whose `market_resolved` did not arrive: ask Gamma for the final prices.
    private func settleFromGamma(nowMs: Int64) async {
        for market in translator.withLock({ $0.unsettledWindows }) where nowMs >= market.windowEndMs + 30_000 {
            do {
                guard let final = try await gamma.market(slug: market.slug), final.closed else { continue }
                sink(translator.withLock { $0.resolvedByGamma(final, nowNs: nowMs * 1_000_000) })
            } catch {
                logger.warning("Polymarket resolution lookup failed", metadata: ["market.slug": "\(market.slug)", "error": "\(error)"])
            }
        }
    }

    private func syncSubscriptions(_ channel: MarketChannelClient, nowMs: Int64) {
        let desired = translator.withLock { $0.desiredTokens(nowMs: nowMs) }
        let (add, remove) = subscribed.withLock { current -> ([String], [String]) in
            let add = desired.subtracting(current).sorted(), remove = current.subtracting(desired).sorted()
            current = desired
            return (add, remove)
        }
        if !add.isEmpty { channel.subscribe(add) }
        if !remove.isEmpty { channel.unsubscribe(remove) }
    }

    // MARK: - Callbacks (connection tasks)

    private func received(_ messages: [MarketChannelMessage], receivedNs _: Int64) {
        // Receive times on the engine's clock, the one plugins reason in.
        let receivedNs = clock.now()
        messagesReceived.add(messages.count, ordering: .relaxed)
        counters.frames.add(Int64(messages.count), ordering: .relaxed)
        let inputs = translator.withLock { $0.handle(messages, receivedNs: receivedNs) }
        if !inputs.isEmpty { sink(inputs) }
    }

    private func connection(_ event: ConnectionEvent, assets: [String]) {
        switch event {
        case .disconnected:
            counters.disconnects.add(1, ordering: .relaxed)
            sink(translator.withLock { $0.connectionLost(assets: assets) })
        case .stale:  // a `.disconnected` follows
            sink(translator.withLock { $0.connectionLost(assets: assets) })
        case .connected:
            counters.connects.add(1, ordering: .relaxed)
        case .resubscribed:
            break
        }
    }

    private func oracle(_ price: CryptoPrice) {
        let receivedNs = clock.now()
        trackBeats(price, nowMs: receivedNs / 1_000_000)
        let inputs = translator.withLock { $0.oracle(price, receivedNs: receivedNs) }
        if !inputs.isEmpty { sink(inputs) }
    }

    private func now() -> Int64 { clock.now() / 1_000_000 }

    /// Logs each window's price to beat once captured (first tick of its resolution stream at or
    /// after the start, within 10 s) or missed — what the window will be judged against.
    private func trackBeats(_ price: CryptoPrice, nowMs: Int64) {
        let (windows, topics) = translator.withLock { t in (t.activeWindows, t.activeWindows.map(t.oracleTopic(for:))) }
        let asset = FeedTranslator.asset(ofOracleSymbol: price.symbol)
        let events: [(String, PriceToBeatTracker)] = beats.withLock { beats in
            for (market, topic) in zip(windows, topics) where beats[market.conditionID] == nil {
                beats[market.conditionID] = (market.slug, PriceToBeatTracker(windowStartMs: market.windowStartMs, topic: topic,
                                                                             symbol: "\(market.asset ?? asset)/usd"))
            }
            var changed: [(String, PriceToBeatTracker)] = []
            for (id, entry) in beats {
                var tracker = entry.tracker
                guard tracker.state == .pending else { continue }
                tracker.observe(price)
                tracker.expire(nowMs: nowMs)
                beats[id] = (entry.slug, tracker)
                if tracker.state != .pending { changed.append((entry.slug, tracker)) }
            }
            beats = beats.filter { entry in windows.contains { $0.conditionID == entry.key } }
            return changed
        }
        for (slug, tracker) in events {
            if let beat = tracker.priceToBeat {
                logger.notice("Price to beat captured", metadata: ["market.slug": "\(slug)", "price": "\(beat)", "stream": "\(tracker.topic.rawValue)"])
            } else {
                logger.warning("Price to beat missed", metadata: ["market.slug": "\(slug)", "stream": "\(tracker.topic.rawValue)"])
            }
        }
    }

    static func ms(_ d: Duration) -> Int64 {
        let c = d.components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }
}

public struct PolymarketFeedError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
