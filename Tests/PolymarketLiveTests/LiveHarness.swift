import VenueKit
import Foundation
import HostCore
import HostEngine
import HostPlugins
import HostPolymarket
import HostTesting
import Logging
import PolymarketFakes
import PolymarketREST
import PolymarketSigning
import PolymarketStreams
import Synchronization
import Testing

let liveRegistry = PluginRegistry()

/// `last_second` in live mode against the fake Polymarket on loopback: Gamma, CLOB REST
/// (verifying signatures and HMACs), the market and user channels, RTDS.
///
/// The session runs "at" a chosen moment: the engine, the REST client and the fake CLOB share a
/// clock shifted so that now is `secondsBeforeEnd` before the current 5-minute window ends, and
/// `fastForward(toMs:)` jumps it (and the venue's clock) ahead. The strategy may enter at any time
/// of the window (`trigger_seconds` 300), so a slow machine cannot make a test miss its entry.
final class LiveHarness: @unchecked Sendable {
    // @unchecked: the engine is confined to its thread; everything else is Sendable.
    static let key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    static let credentials = ApiCredentials(apiKey: "5a1c3b4e-0000-4000-8000-00000000beef",
                                            secret: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==", passphrase: "harness-passphrase")

    let gamma = FakeGammaServer()
    let streams = FakeMarketServer(credentials: FakeUserCredentials(apiKey: credentials.apiKey, secret: credentials.secret,
                                                                    passphrase: credentials.passphrase))
    let rtds = FakeRTDSServer()
    let clob: FakeClobServer
    let current: FakeGammaWindow
    let next: FakeGammaWindow
    let clock: WallClock
    let journal = RecordingJournal()
    let engine: Engine
    let series: PolymarketSeries
    let session: PolymarketSession
    /// The account the live instance trades with (test key, harness credentials).
    let account: PolymarketAccount
    /// Feed-status inputs the session sent, in order (symbol, stale).
    let statusLog = StatusLog()
    private let serverOffsetMs: Int64
    private var engineThread: Thread?
    private var sessionTask: Task<Void, Never>?
    private var oracleTask: Task<Void, Never>?

    /// - Parameter beforeStart: failure injection etc. before the engine starts trading.
    /// - Parameter paperToo: also run a paper instance of the same strategy on the same live data.
    /// - Parameter serverSkewMs: how far the venue's clock is ahead of ours.
    /// - Parameter logger: the session's logger (venue, REST client, streams).
    /// - Parameter venueOptions: adjust the venue's options (after the harness's fast backoffs).
    init(secondsBeforeEnd: Int64 = 240, paperToo: Bool = false, serverSkewMs: Int64 = 0,
         logger: Logger = Logger(label: "test.polymarket"), venueOptions: [(inout PolymarketVenue.Options) -> Void] = [],
         beforeStart: (LiveHarness) -> Void = { _ in }) async throws {
        let key = try PrivateKey(hex: Self.key)
        let realNow = Int64(Date().timeIntervalSince1970 * 1000)
        let start = (realNow / 300_000 + 10) * 300_000
        current = FakeGammaWindow.interval(asset: "btc", duration: "5m", seconds: 300, startMs: start)
        next = FakeGammaWindow.interval(asset: "btc", duration: "5m", seconds: 300, startMs: start + 300_000)
        let offsetMs = current.endMs - secondsBeforeEnd * 1000 - realNow
        clock = WallClock(offsetNs: offsetMs * 1_000_000)
        let streams = self.streams
        clob = FakeClobServer(credentials: Self.credentials, signer: key.address, onUserEvent: { _ = streams.publishUserEvent($0) })
        clob.setClockOffset(.milliseconds(offsetMs + serverSkewMs))
        self.serverOffsetMs = offsetMs + serverSkewMs
        clob.setCollateral(1_000)
        for window in [current, next] {
            gamma.add(window)
            for (token, outcome) in [(window.upTokenID, "Up"), (window.downTokenID, "Down")] {
                clob.addToken(FakeClobToken(tokenID: token, market: window.conditionID, tick: try TickSize("0.01"), outcome: outcome))
            }
        }
        // The current window favours Up: Up asks 0.95, Down bids 0.04.
        typealias Levels = (bids: [(String, String)], asks: [(String, String)])
        let up: Levels = ([("0.93", "300"), ("0.94", "200")], [("0.97", "300"), ("0.95", "200")])
        let down: Levels = ([("0.03", "300"), ("0.04", "200")], [("0.07", "300"), ("0.06", "200")])
        let even: Levels = ([("0.49", "100")], [("0.51", "100")])
        let books: [(String, Levels)] = [(current.upTokenID, up), (current.downTokenID, down), (next.upTokenID, even), (next.downTokenID, even)]
        for (token, book) in books {
            let market = token.hasPrefix("1\(current.startMs / 1000)") ? current.conditionID : next.conditionID
            clob.setBook(tokenID: token, bids: book.bids.map { (Decimal(string: $0.0)!, Decimal(string: $0.1)!) },
                         asks: book.asks.map { (Decimal(string: $0.0)!, Decimal(string: $0.1)!) })
            streams.setBook(FakeBook(market: market, bids: book.bids.map { FakeLevel($0.0, $0.1) }, asks: book.asks.map { FakeLevel($0.0, $0.1) }),
                            for: token)
        }
        try await gamma.start()
        try await clob.start()
        _ = try await streams.start()
        _ = try await rtds.start()

        var symbols = SymbolTable()
        series = PolymarketSeries.register(asset: "btc", duration: .m5, in: &symbols)
        engine = Engine(symbols: symbols, configuration: EngineConfiguration(allowLive: true), clock: clock, journal: journal,
                        logger: Logger(label: "test.engine"))
        var configuration = PolymarketFeedConfiguration()
        configuration.assets = ["btc"]
        configuration.durations = [.m5]
        configuration.endpoints = ClobEndpoints(rest: clob.baseURL, gamma: gamma.baseURL, marketWS: streams.marketURL, userWS: streams.userURL,
                                                rtds: rtds.url)
        configuration.backoff = BackoffPolicy(base: .milliseconds(50), max: .milliseconds(500))
        configuration.discoveryInterval = .seconds(1)
        let queue = engine.queue
        let statuses = self.statusLog
        var options = PolymarketVenue.Options()
        options.pauseAfterCancelOnly = .seconds(2)
        options.backoff = BackoffPolicy(base: .milliseconds(50), max: .milliseconds(500))
        for adjust in venueOptions { adjust(&options) }
        account = PolymarketAccount(privateKey: key, credentials: Self.credentials, funder: nil, signatureType: .eoa)
        session = try PolymarketSession(
            configuration: configuration, markets: PolymarketMarkets(series: [series]),
            account: account,
            venueOptions: options, clock: clock, logger: logger,
            sink: { input in
                if case .feedStatus(let symbol, let stale, _) = input { statuses.items.withLock { $0.append((symbol, stale)) } }
                if case .tradingState(let instance, let state, let reason) = input {
                    statuses.tradingStates.withLock { $0.append((instance, state, reason)) }
                }
                if case .market(.oracle) = input { statuses.oracles.add(1, ordering: .relaxed) }
                queue.push(input)
            })
        let reconciliation = try #require(try await session.prepare(liveSymbols: [series.up, series.down, series.oracle]))
        engine.attachLiveVenue(try #require(session.venue))
        engine.setVenueCash(reconciliation.cash, instanceID: "ls-live", quoteAsset: "USDC")

        let plugin = try liveRegistry.load(path: try liveRegistry.loader.locator.locate("last_second.so"))
        let kind = try #require(plugin.kind("last_second"))
        var parameters = ResolvedParameters(specs: kind.parameters, symbolCount: symbols.count)
        parameters.set("window_seconds", .int(300))
        parameters.set("trigger_seconds", .int(300))
        var risk = RiskLimits()
        risk.maxOrderNotional = 25
        risk.priceBandBps = 10_000
        try engine.addInstance(InstanceSpec(id: "ls-live", pluginID: plugin.pluginID, kind: kind, descriptor: try #require(plugin.kindDescriptor("last_second")),
                                            mode: .live, venue: "polymarket", symbols: [series.up, series.down, series.oracle],
                                            parameters: parameters, risk: risk, keepAlive: plugin))
        if paperToo {
            try engine.addInstance(InstanceSpec(id: "ls-paper", pluginID: plugin.pluginID, kind: kind, descriptor: try #require(plugin.kindDescriptor("last_second")),
                                                mode: .paper, venue: "polymarket", symbols: [series.up, series.down, series.oracle],
                                                parameters: parameters, risk: risk, keepAlive: plugin))
        }
        beforeStart(self)
        let engine = self.engine
        let started = Mutex<(any Error)??>(nil)
        let thread = Thread {
            do {
                try engine.start()
                started.withLock { $0 = .some(nil) }
                engine.run()
            } catch {
                started.withLock { $0 = .some(error) }
            }
        }
        thread.start()
        engineThread = thread
        try await Self.waitUntil("the engine started") { started.withLock { $0 != nil } }
        if let error = started.withLock({ $0 ?? nil }) { throw error }
        let session = self.session
        sessionTask = Task { await session.run() }
        // Chainlink ticks: a calm history above nothing (the beat is unknown this late), then one per 300 ms.
        let rtds = self.rtds, clock = self.clock, log = self.statusLog, current = self.current
        oracleTask = Task {
            var n = 0
            while !Task.isCancelled {
                let ms = clock.now() / 1_000_000
                // The book moves as a live one does: the second bid level's size changes every tick.
                _ = streams.send(#"{"event_type":"price_change","market":"\#(current.conditionID)","timestamp":"\#(ms)","price_changes":[{"asset_id":"\#(current.upTokenID)","price":"0.93","size":"\#(300 + n % 5)","side":"BUY","hash":"h\#(n)","best_bid":"0.94","best_ask":"0.95"}]}"#,
                                 toAsset: current.upTokenID)
                let sent = rtds.publishPrice(topic: "crypto_prices_chainlink", symbol: "btc/usd", timestampMs: ms, value: "\(67_000 + (n % 3))")
                log.published.add(sent, ordering: .relaxed)
                n += 1
                try? await Task.sleep(for: .milliseconds(300))
            }
        }
    }

    /// Virtual now, unix ms.
    var nowMs: Int64 { clock.now() / 1_000_000 }

    /// Jumps our clock and the venue's forward to `toMs` (virtual unix ms).
    func fastForward(toMs: Int64) {
        let delta = max(0, toMs - nowMs)
        clock.shift(byNs: delta * 1_000_000)
        clob.setClockOffset(.milliseconds(serverOffsetMs + delta))
    }

    func stop() async {
        oracleTask?.cancel()
        session.stop()
        await sessionTask?.value
        engine.requestStop()
        while let thread = engineThread, !thread.isFinished { try? await Task.sleep(for: .milliseconds(20)) }
        await streams.stop()
        await rtds.stop()
        await clob.stop()
        await gamma.stop()
    }

    /// `stop()`, waiting at most `seconds`: false (and an issue recorded) when it did not return in
    /// time — the stop then goes on in the background, so a test fails instead of hanging.
    func stop(within seconds: Double) async throws -> Bool {
        let stopped = Atomic<Bool>(false)
        let task = Task {
            await self.stop()
            stopped.store(true, ordering: .sequentiallyConsistent)
        }
        try await Self.waitUntil("the session stopped", seconds: seconds) { stopped.load(ordering: .sequentiallyConsistent) }
        if !stopped.load(ordering: .sequentiallyConsistent) { task.cancel() }
        return stopped.load(ordering: .sequentiallyConsistent)
    }

    var fills: [FillRecord] { journal.recorded.fills }
    var entries: [OrderRequest] { journal.recorded.orders.filter { $0.tag == "entry" } }

    func resolveCurrent(upWins: Bool) -> Int {
        let winner = upWins ? current.upTokenID : current.downTokenID
        return streams.broadcast(#"{"event_type":"market_resolved","id":"\#(current.id)","market":"\#(current.conditionID)","assets_ids":["\#(current.upTokenID)","\#(current.downTokenID)"],"winning_asset_id":"\#(winner)","winning_outcome":"\#(upWins ? "Up" : "Down")","timestamp":"\#(nowMs)","tags":[]}"#)
    }

    /// Polls `condition` every 50 ms until it holds or `seconds` pass (then records an issue).
    static func waitUntil(_ what: String, seconds: Double = 20, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline {
                Issue.record("timed out waiting until \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

final class StatusLog: Sendable {
    let items = Mutex<[(SymbolID, Bool)]>([])
    /// Trading-state inputs the venue sent, in order (instance, state, reason).
    let tradingStates = Mutex<[(Int, TradingState, String)]>([])
    let oracles = Atomic<Int>(0)
    let published = Atomic<Int>(0)
}
