import Binance
import Foundation
import HTTPTypes
import HostCore
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import VenueFakes
import VenueKit

/// A loopback Binance spot venue speaking the real protocols, for tests, load runs and
/// `host fake-venue binance [--port P]`: one port serves the REST API (`/api/v3/...`) and the
/// market streams (`/ws`, `/ws/<stream>[/<stream>…]`, `/stream?streams=a/b/c`).
///
/// **Moving markets.** Every listed TRADING symbol runs a seeded random walk over an order book
/// (levels added, resized and deleted, trades eating the best level); every change takes one
/// update id. Each step (100 ms, divided by ``Configuration/rateMultiplier``) sends a
/// `depthUpdate` covering `U...u` to `<s>@depth@100ms` (every ten steps to `<s>@depth` /
/// `@depth@1000ms`), `bookTicker` when the top of book changed, `trade` and `aggTrade` for each
/// trade, and `depth5/10/20` partial books. The REST snapshot is the authoritative book at its
/// `lastUpdateId`, so snapshot + later diffs rebuild it exactly (``book(_:)`` is the reference).
///
/// **Streams.** SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY answer
/// `{"result":…,"id":…}` (the id echoed as sent); bad JSON answers code 3, bad requests code 2.
/// More than ``Configuration/maxIncomingMessagesPerSecond`` inbound messages in a second close
/// the connection, as Binance does. Protocol ping frames (empty payload) go out every
/// ``Configuration/pingInterval`` (Binance: 20 s). Pongs are not visible to a HummingbirdWebSocket
/// handler, so the pong deadline uses its auto-ping instead: every ``Configuration/pongTimeout``
/// (Binance: 60 s) it sends its own ping and closes the connection if the previous one got no
/// pong — a silent client is dropped after one to two pong timeouts.
///
/// **REST.** `/api/v3/ping`, `/time`, `/depth`, `/exchangeInfo`, `/ticker/24hr`, `/klines` with
/// Binance's weights; every answer carries `X-MBX-USED-WEIGHT-1M`; beyond the limit it answers
/// 429 `-1003` with `Retry-After`. Unknown symbols answer 400 `-1121 Invalid symbol.`.
///
/// **Failure injection** (methods below): sequence gaps, dropped connections, silence,
/// `serverShutdown`, connection rotation, 429/418/5xx/dropped REST answers, raw REST bodies,
/// partial and old snapshots.
///
/// - Important: `start(port:)` before use, `stop()` after; or `run(port:)` until cancelled.
public final class FakeBinanceVenue: Sendable {
    /// How the fake behaves.
    ///
    /// ## Configuration keys:
    /// - `symbols` (list, required): the listed symbols.
    /// - `seed` (int, default 1): the random walk's seed; the same seed gives the same books.
    /// - `step_interval` (duration, default 100 ms) and `rate_multiplier` (number, default 1):
    ///   one diff per symbol every `step_interval / rate_multiplier`.
    /// - `ping_interval` (duration, default 20 s; none disables) and `pong_timeout` (duration,
    ///   default 60 s; none disables).
    /// - `weight_limit` (int, default 6000) per `weight_window` (duration, default 60 s).
    /// - `connection_lifetime` (duration, default none; Binance: 24 h).
    public struct Configuration: Sendable {
        public var symbols: [FakeBinanceSymbol]
        public var seed: UInt64
        /// Time between market steps at rate 1 (Binance's `@100ms` cadence).
        public var stepInterval: Duration
        /// Steps run this many times faster (load tests).
        public var rateMultiplier: Double
        /// Mean book changes per step.
        public var changesPerStep: Int
        /// Markets move on their own; when false only ``step(_:)`` moves them.
        public var autoStep: Bool
        /// Protocol ping frames (Binance: every 20 s); nil sends none.
        public var pingInterval: Duration?
        /// A connection that does not answer a ping within about this long is closed (Binance: 60 s); nil never.
        public var pongTimeout: Duration?
        /// REQUEST_WEIGHT per window.
        public var weightLimit: Int
        public var weightWindow: Duration
        /// Connections older than this are closed (Binance: 24 h); nil never.
        public var connectionLifetime: Duration?
        /// Inbound messages per second per connection before it is closed (Binance: 5); nil: no limit.
        public var maxIncomingMessagesPerSecond: Int?
        /// Streams per connection (Binance: 1024).
        public var maxStreamsPerConnection: Int

        public init(symbols: [FakeBinanceSymbol] = FakeBinanceVenue.defaultSymbols, seed: UInt64 = 1, stepInterval: Duration = .milliseconds(100),
                    rateMultiplier: Double = 1, changesPerStep: Int = 6, autoStep: Bool = true, pingInterval: Duration? = .seconds(20), pongTimeout: Duration? = .seconds(60),
                    weightLimit: Int = 6_000, weightWindow: Duration = .seconds(60), connectionLifetime: Duration? = nil,
                    maxIncomingMessagesPerSecond: Int? = 5, maxStreamsPerConnection: Int = 1024) {
            self.symbols = symbols
            self.seed = seed
            self.stepInterval = stepInterval
            self.rateMultiplier = max(rateMultiplier, 0.001)
            self.changesPerStep = changesPerStep
            self.autoStep = autoStep
            self.pingInterval = pingInterval
            self.pongTimeout = pongTimeout
            self.weightLimit = weightLimit
            self.weightWindow = weightWindow
            self.connectionLifetime = connectionLifetime
            self.maxIncomingMessagesPerSecond = maxIncomingMessagesPerSecond
            self.maxStreamsPerConnection = maxStreamsPerConnection
        }
    }

    /// BTCUSDT, ETHUSDT and BNBUSDT with Binance's 2024 filters.
    public static let defaultSymbols: [FakeBinanceSymbol] = [
        .spot("BTC", "USDT", price: "60000", tick: "0.01", step: "0.00001", quoteVolume24h: 1_500_000_000),
        .spot("ETH", "USDT", price: "3000", tick: "0.01", step: "0.0001", quoteVolume24h: 800_000_000),
        .spot("BNB", "USDT", price: "550", tick: "0.01", step: "0.001", quoteVolume24h: 90_000_000),
    ]

    /// A REST failure to answer with instead of the real answer.
    public enum RESTFailure: Sendable, Hashable {
        /// 429 `-1003` with `Retry-After` seconds.
        case tooManyRequests(retryAfterSeconds: Int)
        /// 418 (IP banned) with `Retry-After` seconds.
        case banned(retryAfterSeconds: Int)
        /// A 5xx with an empty-ish body.
        case serverError(status: Int)
        /// Close the connection without answering.
        case dropConnection
        /// This status and raw body (malformed JSON, an odd error…), with the weight header.
        case raw(status: Int, body: String)
    }

    /// One REST request the fake answered.
    public struct RESTRequest: Sendable, Hashable {
        public var path: String
        /// Query parameters as received (decoded).
        public var query: [String: String]
        public var status: Int
        /// Weight charged (0 for injected failures and 429s).
        public var weight: Int
        /// `X-MBX-USED-WEIGHT-1M` sent.
        public var usedWeight: Int
    }

    /// One open stream connection.
    public struct ConnectionInfo: Sendable, Hashable {
        public var id: Int
        /// `/ws`, `/ws/<streams>` or `/stream`.
        public var path: String
        public var combined: Bool
        public var streams: [String]
    }

    /// The addresses of a started fake.
    public struct URLs: Sendable, Hashable, CustomStringConvertible {
        /// REST base, e.g. `http://127.0.0.1:PORT` (append `/api/v3/...`).
        public var rest: String
        /// Stream base, e.g. `ws://127.0.0.1:PORT` (append `/ws/<stream>` or `/stream?streams=…`).
        public var websocket: String

        /// The combined-stream URL for `streams`.
        public func combined(_ streams: [String]) -> String { websocket + "/stream?streams=" + streams.joined(separator: "/") }

        public var description: String { "REST \(rest)  WebSocket \(websocket)" }
    }

    // MARK: - State

    struct ConnectionState {
        let connection: FakeStreamConnection
        var streams: [String]
        var combined: Bool
        let openedAt: ContinuousClock.Instant
        var inbound: [ContinuousClock.Instant] = []
    }

    /// Diffs of the 1000 ms stream, merged over ten steps.
    struct SlowDiff {
        var first: Int64?
        var last: Int64 = 0
        var bids: [Int64: Int64] = [:]
        var asks: [Int64: Int64] = [:]
        var poisoned = false
    }

    struct State {
        var markets: [String: FakeBinanceMarket] = [:]
        var order: [String] = []
        var slow: [String: SlowDiff] = [:]
        /// Each symbol's stream names, made once.
        var names: [String: StreamNames] = [:]
        var steps: Int64 = 0
        var paused = false
        var silent = false
        var gaps: [String: Int] = [:]
        var frozen: [String: FakeBinanceBook] = [:]
        var partialLevels: [String: Int] = [:]
        var restFailures: [(path: String?, failure: RESTFailure)] = []
        var restLog: [RESTRequest] = []
        var weightWindow: Int64 = 0
        var weightUsed = 0
        var connections: [Int: ConnectionState] = [:]
        var accepted = 0
        var lifetime: Duration?
        var server: FakeStreamHost?
        var driver: Task<Void, Never>?
        var port: Int?
    }

    public let configuration: Configuration
    /// Stream frames queued for sending since start (data and control answers).
    let sentFrames = Atomic<Int64>(0)
    let specs: [String: FakeBinanceSymbol]
    let state: Mutex<State>
    let logger: Logger
    let nowMs: @Sendable () -> Int64

    /// - Parameter nowMs: wall clock in unix ms (event times, weight windows, klines).
    public init(configuration: Configuration = .init(), logger: Logger = Logger(label: "binance.fake"),
                nowMs: @escaping @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }) {
        self.configuration = configuration
        self.logger = logger
        self.nowMs = nowMs
        var state = State()
        var specs: [String: FakeBinanceSymbol] = [:]
        for (index, spec) in configuration.symbols.enumerated() where specs[spec.symbol] == nil {
            specs[spec.symbol] = spec
            state.order.append(spec.symbol)
            if spec.status == "TRADING" {
                state.markets[spec.symbol] = FakeBinanceMarket(spec: spec, seed: configuration.seed &+ UInt64(index) &* 0x9E37_79B9,
                                                               changesPerStep: configuration.changesPerStep)
                state.slow[spec.symbol] = SlowDiff()
            }
        }
        state.lifetime = configuration.connectionLifetime
        self.specs = specs
        self.state = Mutex(state)
    }

    // MARK: - Life

    /// Listens on 127.0.0.1:`port` (0: any free port) and starts the markets; returns the bound port.
    @discardableResult
    public func start(port: Int = 0) async throws -> Int {
        if let bound = state.withLock({ $0.port }) { return bound }
        let server = FakeStreamHost(
            resolve: { [self] target in streamHostRoute(target) },
            http: { [self] request, context in try await handleREST(request, context) },
            name: "fake-binance", autoPing: configuration.pongTimeout.map { .enabled(timePeriod: $0) } ?? .disabled,
            pingInterval: configuration.pingInterval, logger: logger)
        let silent = state.withLock { state in
            state.server = server
            return state.silent
        }
        server.setSilent(silent)
        let bound = try await server.start(host: "127.0.0.1", port: port)
        let driver = Task { [self] in await drive() }
        state.withLock {
            $0.port = bound
            $0.driver = driver
        }
        logger.info("Fake Binance venue listening", metadata: ["venue": "binance", "http.port": "\(bound)", "fake.symbols": "\(state.withLock { $0.order.count })"])
        return bound
    }

    /// Stops the markets and the server, closing every connection.
    public func stop() async {
        let (server, driver) = state.withLock { state -> (FakeStreamHost?, Task<Void, Never>?) in
            defer {
                state.server = nil
                state.driver = nil
                state.port = nil
            }
            return (state.server, state.driver)
        }
        driver?.cancel()
        await driver?.value
        await server?.stop()
    }

    /// Starts on `port`, reports the URLs, and serves until the calling task is cancelled.
    public func run(port: Int = 0, started: @Sendable (URLs) -> Void = { _ in }) async throws {
        try await start(port: port)
        if let urls { started(urls) }
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3_600))
        }
        await stop()
    }

    /// The bound port (nil before `start`).
    public var port: Int? { state.withLock { $0.port } }

    /// REST and WebSocket bases (nil before `start`).
    public var urls: URLs? {
        port.map { URLs(rest: "http://127.0.0.1:\($0)", websocket: "ws://127.0.0.1:\($0)") }
    }

    // MARK: - Inspection

    /// The authoritative book of `symbol` now (nil for an unknown or non-trading symbol).
    public func book(_ symbol: String) -> FakeBinanceBook? {
        state.withLock { $0.markets[symbol.uppercased()]?.book }
    }

    /// Steps run so far (all symbols step together).
    public var steps: Int64 { state.withLock { $0.steps } }

    /// Open stream connections, oldest first.
    public var connections: [ConnectionInfo] {
        state.withLock { state in
            state.connections.values.sorted { $0.connection.id < $1.connection.id }.map {
                ConnectionInfo(id: $0.connection.id, path: $0.connection.path, combined: $0.combined, streams: $0.streams)
            }
        }
    }

    /// Stream connections accepted since start.
    public var connectionsAccepted: Int { state.withLock { $0.accepted } }

    /// Stream frames queued for sending since start, on all connections (load tests).
    public var framesSent: Int64 { sentFrames.load(ordering: .relaxed) }

    /// REST requests answered, in order.
    public var restRequests: [RESTRequest] { state.withLock { $0.restLog } }

    // MARK: - Control and failure injection

    /// Moves every market `count` steps now (and sends what they produce).
    public func step(_ count: Int = 1) {
        for _ in 0..<max(count, 0) { tick(manual: true) }
    }

    /// Stops (true) or restarts the markets' own stepping; ``step(_:)`` still works.
    public func setPaused(_ paused: Bool) { state.withLock { $0.paused = paused } }

    /// The next `count` diff events of `symbol` are not sent (their update ids are skipped), on
    /// both the 100 ms and the 1000 ms stream: a client sees `U != previous u + 1`.
    public func injectGap(symbol: String, diffs count: Int = 1) {
        state.withLock { $0.gaps[symbol.uppercased(), default: 0] += max(count, 1) }
    }

    /// Drops every stream connection (TCP close, no close frame).
    public func dropConnections() {
        for connection in state.withLock({ $0.connections.values.map(\.connection) }) { connection.drop() }
    }

    /// While on, nothing is sent on any stream (data and control answers); sockets stay open.
    /// Protocol pings continue (they come from the WebSocket layer).
    public func setSilent(_ silent: Bool) {
        let server = state.withLock { state in
            state.silent = silent
            return state.server
        }
        server?.setSilent(silent)
    }

    /// Sends `serverShutdown` on every connection (`!serverShutdown` wrapped on combined ones).
    @discardableResult
    public func sendServerShutdown() -> Int {
        let text = FakeBinanceWire.serverShutdown(eventMs: nowMs())
        return state.withLock { state in
            for entry in state.connections.values {
                entry.connection.send(entry.combined ? FakeBinanceWire.combined(stream: "!serverShutdown", text) : text)
            }
            return state.connections.count
        }
    }

    /// Closes connections older than `lifetime` (Binance: 24 h), checked every step interval; nil: never.
    public func setConnectionLifetime(_ lifetime: Duration?) { state.withLock { $0.lifetime = lifetime } }

    /// The next REST request (to `path`, or any) gets `failure` instead of its answer; `count` times.
    public func injectRESTFailure(_ failure: RESTFailure, path: String? = nil, count: Int = 1) {
        state.withLock { state in
            for _ in 0..<max(count, 1) { state.restFailures.append((path, failure)) }
        }
    }

    /// The next `/api/v3/depth` answer for `symbol` is the book as it is now: by the time it is
    /// asked for, its `lastUpdateId` is old (the snapshot-before-first-diff case).
    public func freezeSnapshot(symbol: String) {
        state.withLock { state in
            if let book = state.markets[symbol.uppercased()]?.book { state.frozen[symbol.uppercased()] = book }
        }
    }

    /// `/api/v3/depth` answers for `symbol` carry at most `levels` levels per side (nil: as asked).
    public func setPartialSnapshots(symbol: String, levels: Int?) {
        state.withLock { $0.partialLevels[symbol.uppercased()] = levels }
    }

    /// Sends `text` as is on every open connection (tests of odd frames).
    public func broadcastRaw(_ text: String) {
        state.withLock { state in for entry in state.connections.values { entry.connection.send(text) } }
    }

    // MARK: - Markets

    private func drive() async {
        let interval = configuration.stepInterval / configuration.rateMultiplier
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            next = next.advanced(by: interval)
            do { try await Task.sleep(until: next, clock: clock) } catch { return }
            // Behind by more than a few steps (a slow machine): skip ahead rather than burst.
            if clock.now - next > interval * 5 { next = clock.now }
            tick(manual: false)
            rotate()
        }
    }

    /// One market step for every trading symbol; sends inside the lock so frames keep step order.
    func tick(manual: Bool) {
        let eventMs = nowMs()
        state.withLock { state in
            if !manual && (state.paused || !configuration.autoStep) { return }
            state.steps += 1
            let flushSlow = state.steps % 10 == 0
            var wanted = Set<String>()
            for entry in state.connections.values { wanted.formUnion(entry.streams) }
            var payloads: [String: [String]] = [:]
            for symbol in state.order {
                guard var market = state.markets[symbol] else { continue }
                let step = market.step()
                state.markets[symbol] = market
                let names: StreamNames
                if let known = state.names[symbol] {
                    names = known
                } else {
                    names = StreamNames(symbol.lowercased())
                    state.names[symbol] = names
                }
                var dropped = false
                if let gap = state.gaps[symbol], gap > 0 {
                    dropped = true
                    state.gaps[symbol] = gap - 1
                }
                // 1000 ms diffs: merged over ten steps, lost entirely when a step inside was dropped.
                var slow = state.slow[symbol] ?? SlowDiff()
                if slow.first == nil { slow.first = step.firstUpdateId }
                slow.last = step.lastUpdateId
                for level in step.bids { slow.bids[level.price.raw] = level.size.raw }
                for level in step.asks { slow.asks[level.price.raw] = level.size.raw }
                slow.poisoned = slow.poisoned || dropped
                if !dropped, wanted.contains(names.depth100) {
                    payloads[names.depth100, default: []].append(FakeBinanceWire.depthUpdate(
                        symbol: symbol, eventMs: eventMs, first: step.firstUpdateId, last: step.lastUpdateId, bids: step.bids, asks: step.asks))
                }
                if flushSlow {
                    if let first = slow.first, !slow.poisoned, wanted.contains(names.depth) || wanted.contains(names.depth1000) {
                        let bids = slow.bids.sorted { $0.key > $1.key }.map { BinanceLevel(price: Fixed8(raw: $0.key), size: Fixed8(raw: $0.value)) }
                        let asks = slow.asks.sorted { $0.key < $1.key }.map { BinanceLevel(price: Fixed8(raw: $0.key), size: Fixed8(raw: $0.value)) }
                        let text = FakeBinanceWire.depthUpdate(symbol: symbol, eventMs: eventMs, first: first, last: slow.last, bids: bids, asks: asks)
                        payloads[names.depth, default: []].append(text)
                        payloads[names.depth1000, default: []].append(text)
                    }
                    slow = SlowDiff()
                }
                state.slow[symbol] = slow
                let wantsTicker = step.topChanged && wanted.contains(names.bookTicker)
                let wantsPartial = names.partial.contains { partial in
                    wanted.contains(partial.fast) || (flushSlow && (wanted.contains(partial.slow) || wanted.contains(partial.slow1000)))
                }
                let book = wantsTicker || wantsPartial ? market.book(depth: 20) : FakeBinanceBook(symbol: symbol, lastUpdateId: 0, bids: [], asks: [])
                if wantsTicker, let bid = book.bids.first, let ask = book.asks.first {
                    payloads[names.bookTicker, default: []].append(
                        FakeBinanceWire.bookTicker(symbol: symbol, updateId: step.lastUpdateId, bid: bid, ask: ask))
                }
                for partial in names.partial where wantsPartial {
                    guard wanted.contains(partial.fast) || (flushSlow && (wanted.contains(partial.slow) || wanted.contains(partial.slow1000))) else { continue }
                    let text = FakeBinanceWire.depthSnapshot(lastUpdateId: step.lastUpdateId, bids: Array(book.bids.prefix(partial.levels)),
                                                             asks: Array(book.asks.prefix(partial.levels)))
                    payloads[partial.fast, default: []].append(text)
                    if flushSlow {
                        payloads[partial.slow, default: []].append(text)
                        payloads[partial.slow1000, default: []].append(text)
                    }
                }
                if !step.trades.isEmpty {
                    let trades = wanted.contains(names.trade), aggTrades = wanted.contains(names.aggTrade)
                    for trade in step.trades {
                        if trades {
                            payloads[names.trade, default: []].append(FakeBinanceWire.trade(symbol: symbol, eventMs: eventMs, trade))
                        }
                        if aggTrades {
                            payloads[names.aggTrade, default: []].append(FakeBinanceWire.aggTrade(symbol: symbol, eventMs: eventMs, trade))
                        }
                    }
                }
            }
            guard !state.silent, !payloads.isEmpty else { return }
            var sent: Int64 = 0
            for entry in state.connections.values {
                for stream in entry.streams {
                    guard let texts = payloads[stream] else { continue }
                    for text in texts {
                        entry.connection.send(entry.combined ? FakeBinanceWire.combined(stream: stream, text) : text)
                    }
                    sent += Int64(texts.count)
                }
            }
            sentFrames.add(sent, ordering: .relaxed)
        }
    }

    /// Closes connections past the configured lifetime (Binance's 24 h rotation).
    private func rotate() {
        let now = ContinuousClock.now
        let expired = state.withLock { state -> [FakeStreamConnection] in
            guard let lifetime = state.lifetime else { return [] }
            return state.connections.values.filter { now - $0.openedAt >= lifetime }.map(\.connection)
        }
        for connection in expired {
            logger.info("Fake Binance closing an old connection", metadata: ["ws.connection": "\(connection.id)"])
            connection.close(code: .goingAway, reason: "connection lifetime reached")
        }
    }
}

/// A symbol's stream names (`<symbol>@depth@100ms`, …), made once per symbol: the market step
/// looked each one up in the subscriptions by building it anew, a dozen strings per symbol and step.
struct StreamNames: Sendable {
    struct Partial: Sendable {
        let levels: Int
        /// `@depthN@100ms`, `@depthN`, `@depthN@1000ms`.
        let fast: String, slow: String, slow1000: String
    }

    let depth100: String, depth: String, depth1000: String, bookTicker: String, trade: String, aggTrade: String
    /// 5, 10 and 20 levels.
    let partial: [Partial]

    init(_ name: String) {
        depth100 = name + "@depth@100ms"
        depth = name + "@depth"
        depth1000 = name + "@depth@1000ms"
        bookTicker = name + "@bookTicker"
        trade = name + "@trade"
        aggTrade = name + "@aggTrade"
        partial = [5, 10, 20].map { Partial(levels: $0, fast: "\(name)@depth\($0)@100ms", slow: "\(name)@depth\($0)", slow1000: "\(name)@depth\($0)@1000ms") }
    }
}
