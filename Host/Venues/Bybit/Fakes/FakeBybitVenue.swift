import Bybit
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import VenueFakes

/// A loopback Bybit v5 venue speaking the real public WebSocket and REST protocols, with markets
/// that move, for tests, load tests and `host fake-venue bybit`.
///
/// - WebSocket `/v5/public/spot` and `/v5/public/linear`: `{"op":"subscribe","args":[…],"req_id":…}`
///   answered with the category's real acks (spot refuses more than 10 args: `"args size >10"`;
///   an unknown symbol fails the whole request with `"Invalid symbol :[topic]"`, an unknown topic
///   with `"error:handler not found,topic:…"`), `{"op":"ping"}` with the category's pong, and a
///   connection that sent no ping for ``Configuration/idleTimeout`` is closed.
/// - Topics `orderbook.{1|50|200|1000}.S` (snapshot on subscribe, then deltas: `u` +1 per message,
///   `seq` rising, the book trimmed to the depth; level 1 is snapshot-only and repeats after 3 s
///   unchanged), `publicTrade.S` (several trades per message), `tickers.S` (linear: snapshot then
///   deltas of the changed fields; spot: snapshots) and `kline.{interval}.S` (`confirm` true when
///   the candle's bucket ends).
/// - REST `/v5/market/instruments-info` (linear pages by `cursor`), `/kline` (newest first),
///   `/tickers`, `/time` and `/orderbook` (its `u` is the 1000-level stream's), in the v5 envelope;
///   an unknown symbol is `retCode` 10001 "Not supported symbols".
///
/// Each `Trading` instrument is a seeded random walk of a book and its trades:
/// the same seed and the same sequence of ``step(_:)`` calls give the same messages. The fake
/// keeps its own authoritative book (``book(category:symbol:depth:)``) for comparison.
///
/// Failure injection: ``injectSequenceGap(category:symbol:)``, ``restartBookStreams(category:symbol:)``
/// (`u = 1` snapshots), ``dropConnections(category:)``, ``closeConnections(category:reason:)``,
/// ``setSilent(_:)``, ``failREST(_:count:path:)``, ``banIP(for:)``, ``setPartialSnapshots(levels:)``
/// and ``setConnectionRotation(_:)``.
///
/// Behaviour the venue does not document and the fake chose: an idle or rotated connection is
/// closed with a close frame (1000, reason `ping timeout` / `connection rotation`); a frame
/// that is not JSON or names an unknown `op` gets `{"success":false,"ret_msg":"error:invalid op",…}`;
/// REST klines older than the fake's start are synthetic (deterministic per seed, continuous);
/// HTTP 403 carries the text body `access too frequent`.
///
/// - Important: ``start(port:host:)`` before use; ``run()`` moves the markets until its task is
///   cancelled; ``stop()`` closes everything.
public final class FakeBybitVenue: Sendable {
    /// How the fake behaves.
    ///
    /// ## Configuration keys:
    /// - `instruments` (list, default ``FakeBybitInstrument/defaults``): what is listed and simulated.
    /// - `seed` (int, default 42): the random walk's seed.
    /// - `book_levels` (int, default 200, 1…1000): levels per side of each book.
    /// - `step_interval` (duration, default 100 ms): time between steps in ``run()``.
    /// - `rate_multiplier` (int, default 1): steps per interval (load tests).
    /// - `idle_timeout` (duration, default 10 min, as Bybit): a connection without a ping for this long is closed.
    /// - `connection_rotation` (duration, optional): connections older than this are closed.
    /// - `level_one_repeat` (duration, default 3 s, as Bybit): an unchanged level-1 book re-sends its snapshot.
    public struct Configuration: Sendable {
        public var instruments: [FakeBybitInstrument] = FakeBybitInstrument.defaults
        public var seed: UInt64 = 42
        public var bookLevels = 200
        public var stepInterval: Duration = .milliseconds(100)
        public var rateMultiplier = 1
        public var idleTimeout: Duration = .seconds(600)
        public var connectionRotation: Duration?
        public var levelOneRepeat: Duration = .seconds(3)
        /// Wall clock in ms since the epoch (timestamps, candle buckets, timeouts); tests may pin it.
        public var clock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

        public init() {}
    }

    /// Where clients connect.
    public struct URLs: Sendable, Hashable, CustomStringConvertible {
        /// REST base, e.g. `http://127.0.0.1:PORT`.
        public var rest: String
        public var spotWebSocket: String
        public var linearWebSocket: String

        public var description: String { "rest \(rest), spot \(spotWebSocket), linear \(linearWebSocket)" }
    }

    private struct Key: Hashable, Comparable, Sendable {
        var category: Bybit.Category
        var symbol: String
        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.category.rawValue, lhs.symbol) < (rhs.category.rawValue, rhs.symbol) }
    }

    private struct Client {
        let connection: FakeStreamConnection
        let category: Bybit.Category
        let connID: String
        var topics: [String] = []
        let openedMs: Int64
        var lastPingMs: Int64
        var pings = 0
        var closing = false
    }

    private struct Injected: Sendable {
        var failure: FakeBybitRESTFailure
        var path: String?
    }

    private struct State {
        var markets: [Key: SimMarket] = [:]
        var order: [Key] = []
        var clients: [Int: Client] = [:]
        /// `category|topic` → connection ids.
        var subscribers: [String: Set<Int>] = [:]
        var restFailures: [Injected] = []
        var ipBanUntilMs: Int64?
        var partialSnapshotLevels: Int?
        var requests: [FakeBybitRequest] = []
        var rateMultiplier = 1
        var rotationMs: Int64?
        var idleTimeoutMs: Int64 = 600_000
    }

    public let configuration: Configuration
    private let state: Mutex<State>
    private let server: Mutex<FakeStreamHost?> = Mutex(nil)
    private let logger: Logger

    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "bybit.fake")) {
        self.configuration = configuration
        self.logger = logger
        let now = configuration.clock()
        var initial = State()
        for spec in configuration.instruments {
            let key = Key(category: spec.category, symbol: spec.symbol)
            var market = SimMarket(spec: spec, seed: configuration.seed, levels: configuration.bookLevels, nowMs: now)
            market.lastTicker = market.tickerFields(nowMs: now)
            initial.markets[key] = market
        }
        initial.order = initial.markets.keys.sorted()
        initial.rateMultiplier = max(1, configuration.rateMultiplier)
        initial.rotationMs = configuration.connectionRotation.map(Self.milliseconds)
        initial.idleTimeoutMs = Self.milliseconds(configuration.idleTimeout)
        state = Mutex(initial)
    }

    // MARK: - Life

    /// Listens on `host:port` (0: a free port) for REST and both WebSocket paths; returns the bound port.
    @discardableResult
    public func start(port: Int = 0, host: String = "127.0.0.1") async throws -> Int {
        if let running = server.withLock({ $0 }), let bound = running.port { return bound }
        let server = FakeStreamHost(
            routes: [
                "/v5/public/spot": route(.spot),
                "/v5/public/linear": route(.linear),
            ],
            http: { [self] request, context in try await handle(request, context) },
            name: "fake-bybit", logger: logger
        )
        self.server.withLock { $0 = server }
        let bound = try await server.start(host: host, port: port)
        logger.info("Fake Bybit venue listening", metadata: ["fake.port": "\(bound)", "fake.instruments": "\(configuration.instruments.count)"])
        return bound
    }

    /// Closes every connection and stops listening.
    public func stop() async {
        await server.withLock { $0 }?.stop()
    }

    /// Moves the markets every ``Configuration/stepInterval`` (``Configuration/rateMultiplier``
    /// steps each time) and enforces ping timeouts, rotation, level-1 repeats and candle closes,
    /// until the calling task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            let steps = state.withLock { $0.rateMultiplier }
            step(steps)
            maintain()
            do { try await Task.sleep(for: configuration.stepInterval) } catch { return }
        }
    }

    /// Starts on `port`, reports the URLs, moves the markets until the task is cancelled, then
    /// stops: the whole of `host fake-venue bybit [--port P]`.
    public static func serve(configuration: Configuration = Configuration(), port: Int = 0, host: String = "127.0.0.1",
                             logger: Logger = Logger(label: "bybit.fake"), ready: @Sendable (URLs) -> Void = { _ in }) async throws {
        let venue = FakeBybitVenue(configuration: configuration, logger: logger)
        try await venue.start(port: port, host: host)
        ready(venue.urls)
        await venue.run()
        await venue.stop()
    }

    /// The bound port (0 before ``start(port:host:)``).
    public var port: Int { server.withLock { $0 }?.port ?? 0 }

    /// REST base and WebSocket URLs of the running fake.
    public var urls: URLs {
        let base = "127.0.0.1:\(port)"
        return URLs(rest: "http://\(base)", spotWebSocket: "ws://\(base)/v5/public/spot", linearWebSocket: "ws://\(base)/v5/public/linear")
    }

    // MARK: - Markets

    /// Moves every trading market `count` steps now (also what ``run()`` does each interval).
    public func step(_ count: Int = 1) {
        for _ in 0..<max(0, count) {
            let now = configuration.clock()
            state.withLock { s in
                for key in s.order {
                    guard var market = s.markets[key], market.isTrading else { continue }
                    stepMarket(&market, state: &s, nowMs: now)
                    s.markets[key] = market
                }
            }
        }
    }

    /// Time-driven duties: closes connections idle past the timeout or older than the rotation,
    /// repeats unchanged level-1 snapshots, closes candles whose bucket ended.
    public func maintain() {
        let now = configuration.clock()
        let repeatMs = Self.milliseconds(configuration.levelOneRepeat)
        state.withLock { s in
            for (id, client) in s.clients where !client.closing {
                if now - client.lastPingMs > s.idleTimeoutMs {
                    s.clients[id]?.closing = true
                    client.connection.close(code: .normalClosure, reason: "ping timeout")
                } else if let rotation = s.rotationMs, now - client.openedMs > rotation {
                    s.clients[id]?.closing = true
                    client.connection.close(code: .normalClosure, reason: "connection rotation")
                }
            }
            for key in s.order {
                guard var market = s.markets[key], market.isTrading else { continue }
                rollCandles(&market, state: &s, nowMs: now)
                if var view = market.views[1], now - view.lastSentMs >= repeatMs,
                   let ids = s.subscribers[Self.topicKey(key.category, "orderbook.1.\(key.symbol)")], !ids.isEmpty {
                    let text = market.bookMessage(depth: 1, type: "snapshot", bids: view.bids, asks: view.asks, u: view.u, ts: now, cts: now)
                    Self.deliver(text, to: ids, in: s)
                    view.lastSentMs = now
                    market.views[1] = view
                }
                s.markets[key] = market
            }
        }
    }

    /// The fake's own book: the top `depth` levels per side as sent (price and size text, bids
    /// best first, asks best first), the `u` of the `orderbook.<depth>` stream (nil when nobody
    /// subscribed that depth yet) and the cross sequence.
    public func book(category: Bybit.Category, symbol: String, depth: Int) -> FakeBybitBook? {
        state.withLock { s in
            guard let market = s.markets[Key(category: category, symbol: symbol)] else { return nil }
            let view = market.views[depth]
            return FakeBybitBook(
                bids: market.bids.prefix(depth).map { FakeBybitBook.Level(price: market.price($0.price), size: market.size($0.size)) },
                asks: market.asks.prefix(depth).map { FakeBybitBook.Level(price: market.price($0.price), size: market.size($0.size)) },
                updateID: view?.u, sequence: market.seq)
        }
    }

    /// Steps taken by a market so far.
    public func steps(category: Bybit.Category, symbol: String) -> Int64 {
        state.withLock { $0.markets[Key(category: category, symbol: symbol)]?.steps ?? 0 }
    }

    // MARK: - Failure injection

    /// The next delta of every order-book stream of the symbol is not sent (its `u` is used up),
    /// so subscribers see `u` jump by 2: a lost message.
    public func injectSequenceGap(category: Bybit.Category, symbol: String) {
        state.withLock { s in
            guard var market = s.markets[Key(category: category, symbol: symbol)] else { return }
            for depth in market.views.keys { market.views[depth]?.drop += 1 }
            s.markets[Key(category: category, symbol: symbol)] = market
        }
    }

    /// The symbol's order-book service restarts: every stream sends a snapshot with `u = 1`
    /// (overwrite the book, Bybit's rule), later deltas continue from 2.
    public func restartBookStreams(category: Bybit.Category, symbol: String) {
        let now = configuration.clock()
        state.withLock { s in
            let key = Key(category: category, symbol: symbol)
            guard var market = s.markets[key] else { return }
            for depth in market.views.keys.sorted() {
                guard var view = market.views[depth] else { continue }
                view.u = 1
                view.lastSentMs = now
                market.views[depth] = view
                sendSnapshot(market, view: view, state: s, nowMs: now, to: nil)
            }
            s.markets[key] = market
        }
    }

    /// Snapshots (on subscribe and on restart) carry at most `levels` per side while set; nil
    /// restores full snapshots. Deltas stay computed against the full book.
    public func setPartialSnapshots(levels: Int?) { state.withLock { $0.partialSnapshotLevels = levels.map { max(0, $0) } } }

    /// Drops open WebSocket connections (TCP close, no close frame), of one category or all.
    public func dropConnections(category: Bybit.Category? = nil) {
        for client in clients(category) { client.connection.drop() }
    }

    /// Closes open WebSocket connections with a close frame (1000, `reason`).
    public func closeConnections(category: Bybit.Category? = nil, reason: String = "server closing") {
        for client in clients(category) { client.connection.close(code: .normalClosure, reason: reason) }
    }

    /// While on, no WebSocket frame is sent (no data, no pongs, no acks); connections stay open.
    public func setSilent(_ on: Bool) { server.withLock { $0 }?.setSilent(on) }

    /// Connections older than `interval` are closed (nil: never).
    public func setConnectionRotation(_ interval: Duration?) { state.withLock { $0.rotationMs = interval.map(Self.milliseconds) } }

    /// Connections without a ping for `timeout` are closed.
    public func setIdleTimeout(_ timeout: Duration) { state.withLock { $0.idleTimeoutMs = Self.milliseconds(timeout) } }

    /// Steps per interval in ``run()``.
    public func setRateMultiplier(_ steps: Int) { state.withLock { $0.rateMultiplier = max(1, steps) } }

    /// The next `count` REST requests (to `path`, or any) fail with `failure`, in order after earlier injections.
    public func failREST(_ failure: FakeBybitRESTFailure, count: Int = 1, path: String? = nil) {
        state.withLock { $0.restFailures += Array(repeating: Injected(failure: failure, path: path), count: max(0, count)) }
    }

    /// Every REST request answers HTTP 403 "access too frequent" for `duration` from now.
    public func banIP(for duration: Duration) {
        let until = configuration.clock() + Self.milliseconds(duration)
        state.withLock { $0.ipBanUntilMs = until }
    }

    // MARK: - Observation

    /// REST requests served so far, oldest first.
    public var requests: [FakeBybitRequest] { state.withLock { $0.requests } }

    /// WebSocket connections accepted since start.
    public var connectionCount: Int { server.withLock { $0 }?.connectionCount ?? 0 }

    /// Open WebSocket connections with what they subscribed.
    public var connections: [FakeBybitConnection] {
        state.withLock { s in
            s.clients.values.sorted { $0.connection.id < $1.connection.id }.map {
                FakeBybitConnection(id: $0.connection.id, category: $0.category, connID: $0.connID, topics: $0.topics, pings: $0.pings)
            }
        }
    }

    private func clients(_ category: Bybit.Category?) -> [Client] {
        state.withLock { s in s.clients.values.filter { category == nil || $0.category == category }.sorted { $0.connection.id < $1.connection.id } }
    }

    // MARK: - Stepping (under the lock)

    private func stepMarket(_ market: inout SimMarket, state s: inout State, nowMs: Int64) {
        rollCandles(&market, state: &s, nowMs: nowMs)
        let trades = market.step(nowMs: nowMs)
        let key = Key(category: market.spec.category, symbol: market.spec.symbol)
        let cts = nowMs - 1
        for depth in market.views.keys.sorted() {
            guard var view = market.views[depth] else { continue }
            let bids = Array(market.bids.prefix(depth))
            let asks = Array(market.asks.prefix(depth))
            let topic = "orderbook.\(depth).\(key.symbol)"
            let ids = s.subscribers[Self.topicKey(key.category, topic)] ?? []
            if depth == 1 {
                guard bids != view.bids || asks != view.asks else { continue }
                view.u += 1
                view.bids = bids
                view.asks = asks
                if view.drop > 0 {
                    view.drop -= 1
                } else if !ids.isEmpty {
                    Self.deliver(market.bookMessage(depth: 1, type: "snapshot", bids: bids, asks: asks, u: view.u, ts: nowMs, cts: cts), to: ids, in: s)
                    view.lastSentMs = nowMs
                }
            } else {
                let bidChanges = SimMarket.diff(old: view.bids, new: bids, descending: true)
                let askChanges = SimMarket.diff(old: view.asks, new: asks, descending: false)
                guard !bidChanges.isEmpty || !askChanges.isEmpty else { continue }
                view.u += 1
                view.bids = bids
                view.asks = asks
                if view.drop > 0 {
                    view.drop -= 1
                } else if !ids.isEmpty {
                    Self.deliver(market.bookMessage(depth: depth, type: "delta", bids: bidChanges, asks: askChanges, u: view.u, ts: nowMs, cts: cts),
                                 to: ids, in: s)
                    view.lastSentMs = nowMs
                }
            }
            market.views[depth] = view
        }
        if !trades.isEmpty {
            if let ids = s.subscribers[Self.topicKey(key.category, "publicTrade.\(key.symbol)")], !ids.isEmpty {
                Self.deliver(market.tradeMessage(trades, ts: nowMs), to: ids, in: s)
            }
            market.addToCandles(trades)
            for interval in market.candles.keys.sorted() {
                guard let ids = s.subscribers[Self.topicKey(key.category, "kline.\(interval).\(key.symbol)")], !ids.isEmpty,
                      let candle = market.candles[interval] else { continue }
                Self.deliver(market.klineMessage(interval: interval, candle: candle, confirm: false, ts: nowMs), to: ids, in: s)
            }
        }
        flushTicker(&market, state: s, nowMs: nowMs)
    }

    /// Publishes what changed in the ticker since the last message: a snapshot (spot) or a delta
    /// of the changed fields (linear) to the current subscribers. Without subscribers nothing is
    /// computed; the next subscribe flushes first, so every subscriber's view stays exact.
    private func flushTicker(_ market: inout SimMarket, state s: State, nowMs: Int64) {
        let key = Key(category: market.spec.category, symbol: market.spec.symbol)
        guard let ids = s.subscribers[Self.topicKey(key.category, "tickers.\(key.symbol)")], !ids.isEmpty else { return }
        let fields = market.tickerFields(nowMs: nowMs)
        let previous = Dictionary(market.lastTicker, uniquingKeysWith: { a, _ in a })
        let changed = fields.filter { previous[$0.0] != $0.1 }
        guard !changed.isEmpty else { return }
        let text = key.category == .spot
            ? market.tickerMessage(type: "snapshot", fields: fields, ts: nowMs)
            : market.tickerMessage(type: "delta", fields: [("symbol", key.symbol)] + changed.filter { $0.0 != "symbol" }, ts: nowMs)
        Self.deliver(text, to: ids, in: s)
        market.lastTicker = fields
    }

    private func rollCandles(_ market: inout SimMarket, state s: inout State, nowMs: Int64) {
        let closed = market.rollCandles(nowMs: nowMs)
        let category = market.spec.category
        for (interval, candle) in closed {
            guard let ids = s.subscribers[Self.topicKey(category, "kline.\(interval).\(market.spec.symbol)")], !ids.isEmpty else { continue }
            Self.deliver(market.klineMessage(interval: interval, candle: candle, confirm: true, ts: nowMs), to: ids, in: s)
            if let next = market.candles[interval] {
                Self.deliver(market.klineMessage(interval: interval, candle: next, confirm: false, ts: nowMs), to: ids, in: s)
            }
        }
    }

    /// A snapshot of `view` (cut to the partial-snapshot level count when set) to `target` or to every subscriber.
    private func sendSnapshot(_ market: SimMarket, view: BookView, state s: State, nowMs: Int64, to target: Int?) {
        let ids = target.map { Set([$0]) } ?? s.subscribers[Self.topicKey(market.spec.category, "orderbook.\(view.depth).\(market.spec.symbol)")] ?? []
        guard !ids.isEmpty else { return }
        let cut = s.partialSnapshotLevels ?? Int.max
        let text = market.bookMessage(depth: view.depth, type: "snapshot", bids: Array(view.bids.prefix(cut)), asks: Array(view.asks.prefix(cut)),
                                      u: view.u, ts: nowMs, cts: nowMs - 1)
        Self.deliver(text, to: ids, in: s)
    }

    private static func deliver(_ text: String, to ids: Set<Int>, in s: State) {
        for id in ids.sorted() { s.clients[id]?.connection.send(text) }
    }

    private static func topicKey(_ category: Bybit.Category, _ topic: String) -> String { category.rawValue + "|" + topic }

    // MARK: - WebSocket protocol

    private func route(_ category: Bybit.Category) -> FakeStreamHost.Route {
        FakeStreamHost.Route(
            opened: { [self] connection in opened(connection, category) },
            received: { [self] connection, text in received(connection, text, category) },
            closed: { [self] connection in closed(connection) }
        )
    }

    private func opened(_ connection: FakeStreamConnection, _ category: Bybit.Category) {
        let now = configuration.clock()
        var random = FakeRandom(seed: configuration.seed ^ UInt64(connection.id) &* 0x9E37_79B9)
        let hex = String(format: "%016llx%016llx", random.next(), random.next())
        let c = Array(hex)
        let connID = category == .spot
            ? String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
            : String(c[0..<20]) + "-" + String(c[20..<24])
        state.withLock { $0.clients[connection.id] = Client(connection: connection, category: category, connID: connID, openedMs: now, lastPingMs: now) }
        logger.debug("Fake Bybit connection opened", metadata: ["fake.connection": "\(connection.id)", "bybit.category": "\(category.rawValue)"])
    }

    private func closed(_ connection: FakeStreamConnection) {
        state.withLock { s in
            guard let client = s.clients.removeValue(forKey: connection.id) else { return }
            for topic in client.topics { s.subscribers[Self.topicKey(client.category, topic)]?.remove(connection.id) }
        }
    }

    private func received(_ connection: FakeStreamConnection, _ text: String, _ category: Bybit.Category) {
        let now = configuration.clock()
        let object = FakeJSON.object(text)
        let op = object?["op"] as? String ?? ""
        let reqID: String? = (object?["req_id"]).map { "\($0)" }
        state.withLock { s in
            guard let client = s.clients[connection.id] else { return }
            switch op {
            case "ping":
                s.clients[connection.id]?.lastPingMs = now
                s.clients[connection.id]?.pings += 1
                connection.send(FakeBybitWire.pong(category: category, connID: client.connID, reqID: reqID))
            case "subscribe":
                subscribe(connection.id, args: object?["args"], reqID: reqID, state: &s, nowMs: now)
            case "unsubscribe":
                let args = FakeJSON.strings(object?["args"])
                s.clients[connection.id]?.topics.removeAll { args.contains($0) }
                for topic in args { s.subscribers[Self.topicKey(category, topic)]?.remove(connection.id) }
                connection.send(FakeBybitWire.ack(category: category, op: "unsubscribe", success: true, message: nil, connID: client.connID, reqID: reqID))
            default:
                connection.send(FakeBybitWire.ack(category: category, op: op, success: false, message: "error:invalid op", connID: client.connID, reqID: reqID))
            }
        }
    }

    /// Validates the whole request first (one bad topic fails all of it, as on the venue), then
    /// acks and sends each topic's initial messages.
    private func subscribe(_ id: Int, args raw: Any?, reqID: String?, state s: inout State, nowMs: Int64) {
        guard let client = s.clients[id] else { return }
        let category = client.category
        let args = FakeJSON.strings(raw)
        func fail(_ message: String) {
            client.connection.send(FakeBybitWire.ack(category: category, op: "subscribe", success: false, message: message, connID: client.connID, reqID: reqID))
        }
        if category == .spot, args.count > 10 { return fail("args size >10") }
        guard !args.isEmpty else { return fail("error:args is empty") }
        var parsed: [(topic: String, kind: String, parameter: String?, key: Key)] = []
        for topic in args {
            let parts = topic.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let kind = parts.first ?? ""
            let valid: Bool
            switch kind {
            case "orderbook": valid = parts.count == 3 && ["1", "50", "200", "1000"].contains(parts[1])
            case "kline": valid = parts.count == 3 && BybitREST.Interval(rawValue: parts[1]) != nil
            case "publicTrade", "tickers": valid = parts.count == 2
            default: valid = false
            }
            guard valid else { return fail("error:handler not found,topic:\(topic)") }
            let key = Key(category: category, symbol: parts.last ?? "")
            guard let market = s.markets[key], market.isTrading else { return fail("Invalid symbol :[\(topic)]") }
            if client.topics.contains(topic) || parsed.contains(where: { $0.topic == topic }) {
                return fail("error:already subscribed,topic:\(topic)")
            }
            parsed.append((topic, kind, parts.count == 3 ? parts[1] : nil, key))
        }
        for item in parsed where item.kind == "tickers" {
            guard var market = s.markets[item.key] else { continue }
            flushTicker(&market, state: s, nowMs: nowMs)
            if s.subscribers[Self.topicKey(category, item.topic)]?.isEmpty ?? true { market.lastTicker = market.tickerFields(nowMs: nowMs) }
            s.markets[item.key] = market
        }
        s.clients[id]?.topics += parsed.map(\.topic)
        for item in parsed { s.subscribers[Self.topicKey(category, item.topic), default: []].insert(id) }
        client.connection.send(FakeBybitWire.ack(category: category, op: "subscribe", success: true, message: nil, connID: client.connID, reqID: reqID))
        for item in parsed {
            guard var market = s.markets[item.key] else { continue }
            switch item.kind {
            case "orderbook":
                let view = market.openView(depth: Int(item.parameter ?? "") ?? 50)
                sendSnapshot(market, view: view, state: s, nowMs: nowMs, to: id)
            case "tickers":
                client.connection.send(market.tickerMessage(type: "snapshot", fields: market.lastTicker, ts: nowMs))
            case "kline":
                let interval = item.parameter ?? "1"
                let candle = market.openCandle(interval: interval, nowMs: nowMs)
                client.connection.send(market.klineMessage(interval: interval, candle: candle, confirm: false, ts: nowMs))
            default:
                break
            }
            s.markets[item.key] = market
        }
    }

    // MARK: - REST

    private func handle(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let now = configuration.clock()
        let path = request.uri.path
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        let injected: FakeBybitRESTFailure? = state.withLock { s in
            if let until = s.ipBanUntilMs, now < until { return .ipRateLimit }
            guard let index = s.restFailures.firstIndex(where: { $0.path == nil || $0.path == path }) else { return nil }
            return s.restFailures.remove(at: index).failure
        }
        let response: Response
        if let injected {
            if case .dropConnection = injected {
                record(path, query, status: 0, nowMs: now)
                try? await context.channel.close()
                throw FakeServerError(message: "connection dropped on purpose")
            }
            response = failureResponse(injected, nowMs: now)
        } else {
            response = answer(path: path, query: query, nowMs: now)
        }
        record(path, query, status: Int(response.status.code), nowMs: now)
        return response
    }

    private func record(_ path: String, _ query: [String: String], status: Int, nowMs: Int64) {
        state.withLock { $0.requests.append(FakeBybitRequest(path: path, query: query, status: status, timeMs: nowMs)) }
    }

    private func failureResponse(_ failure: FakeBybitRESTFailure, nowMs: Int64) -> Response {
        switch failure {
        case .ipRateLimit:
            return Self.text(.forbidden, "access too frequent")
        case .httpRateLimit(let retryAfterSeconds):
            return Self.json(.tooManyRequests, FakeBybitWire.envelope("{}", retCode: 10006, retMsg: "Too many visits!", timeMs: nowMs),
                             headers: [("Retry-After", String(retryAfterSeconds))])
        case .rateLimitRetCode(let resetAfter):
            let reset = nowMs + Self.milliseconds(resetAfter)
            return Self.json(.ok, FakeBybitWire.envelope("{}", retCode: 10006, retMsg: "Too many visits!", timeMs: nowMs),
                             headers: [("X-Bapi-Limit", "600"), ("X-Bapi-Limit-Status", "0"), ("X-Bapi-Limit-Reset-Timestamp", String(reset))])
        case .serverError(let status):
            return Self.text(HTTPResponse.Status(code: status), "Internal Server Error")
        case .retCode(let code, let message):
            return Self.json(.ok, FakeBybitWire.envelope("{}", retCode: code, retMsg: message, timeMs: nowMs))
        case .malformedBody:
            return Self.json(.ok, #"{"retCode":0,"retMsg":"OK","result":{"list":[["1694649600000","192"#)
        case .dropConnection:
            return Self.text(.internalServerError, "unreachable")
        }
    }

    private func answer(path: String, query: [String: String], nowMs: Int64) -> Response {
        func error(_ code: Int, _ message: String) -> Response {
            Self.json(.ok, FakeBybitWire.envelope("{}", retCode: code, retMsg: message, timeMs: nowMs))
        }
        func ok(_ result: String) -> Response { Self.json(.ok, FakeBybitWire.envelope(result, timeMs: nowMs)) }
        let categoryText = query["category"]
        switch path {
        case "/v5/market/time":
            return ok(#"{"timeSecond":"\#(nowMs / 1000)","timeNano":"\#(nowMs * 1_000_000)"}"#)

        case "/v5/market/instruments-info":
            guard let category = categoryText.flatMap(Bybit.Category.init(rawValue:)) else { return error(10001, "params error: Category is invalid") }
            let limit = query["limit"].map { Int($0) ?? -1 } ?? 500
            guard (1...1000).contains(limit) else { return error(10001, "params error: limit must be in [1, 1000]") }
            var offset = 0
            if let cursor = query["cursor"], !cursor.isEmpty {
                guard cursor.hasPrefix("next_"), let value = Int(cursor.dropFirst(5)), value >= 0 else { return error(10001, "params error: cursor is invalid") }
                offset = value
            }
            return state.withLock { s -> Response in
                let items = s.order.filter { $0.category == category && (query["symbol"] == nil || $0.symbol == query["symbol"]) }
                    .compactMap { s.markets[$0] }
                if category == .spot {
                    return ok(#"{"category":"spot","list":[\#(items.map { $0.instrumentItem() }.joined(separator: ","))]}"#)
                }
                let page = items.dropFirst(offset).prefix(limit)
                let next = offset + page.count < items.count ? "next_\(offset + page.count)" : ""
                return ok(#"{"category":"linear","list":[\#(page.map { $0.instrumentItem() }.joined(separator: ","))],"nextPageCursor":"\#(next)"}"#)
            }

        case "/v5/market/kline":
            guard let category = Bybit.Category(rawValue: categoryText ?? "linear") else { return error(10001, "params error: Category is invalid") }
            guard let symbol = query["symbol"], !symbol.isEmpty else { return error(10001, "params error: symbol is required") }
            guard let interval = query["interval"].flatMap(BybitREST.Interval.init(rawValue:)) else { return error(10001, "params error: interval is invalid") }
            let limit = query["limit"].map { Int($0) ?? -1 } ?? 200
            guard (1...1000).contains(limit) else { return error(10001, "params error: limit must be in [1, 1000]") }
            let start = query["start"].flatMap { Int64($0) }
            let end = query["end"].flatMap { Int64($0) }
            return state.withLock { s -> Response in
                guard let market = s.markets[Key(category: category, symbol: symbol)], market.isTrading else {
                    return error(10001, "Not supported symbols")
                }
                let rows = market.klines(interval: interval.rawValue, from: start ?? 0, to: end ?? nowMs, nowMs: nowMs, limit: limit)
                let list = rows.reversed().map { market.klineRow($0) }.joined(separator: ",")
                return ok(#"{"symbol":"\#(symbol)","category":"\#(category.rawValue)","list":[\#(list)]}"#)
            }

        case "/v5/market/tickers":
            guard let category = categoryText.flatMap(Bybit.Category.init(rawValue:)) else { return error(10001, "params error: Category is invalid") }
            return state.withLock { s -> Response in
                var keys = s.order.filter { $0.category == category && s.markets[$0]?.isTrading == true }
                if let symbol = query["symbol"] {
                    keys = keys.filter { $0.symbol == symbol }
                    if keys.isEmpty { return error(10001, "Not supported symbols") }
                }
                let list = keys.compactMap { s.markets[$0]?.tickerRow(nowMs: nowMs) }.joined(separator: ",")
                return ok(#"{"category":"\#(category.rawValue)","list":[\#(list)]}"#)
            }

        case "/v5/market/orderbook":
            guard let category = categoryText.flatMap(Bybit.Category.init(rawValue:)) else { return error(10001, "params error: Category is invalid") }
            guard let symbol = query["symbol"], !symbol.isEmpty else { return error(10001, "params error: symbol is required") }
            let limit = query["limit"].map { Int($0) ?? -1 } ?? (category == .spot ? 1 : 25)
            guard (1...1000).contains(limit) else { return error(10001, "params error: limit must be in [1, 1000]") }
            return state.withLock { s -> Response in
                guard let market = s.markets[Key(category: category, symbol: symbol)], market.isTrading else {
                    return error(10001, "Not supported symbols")
                }
                return ok(market.restOrderBook(limit: limit, u: market.views[1000]?.u ?? market.baseUpdateID, ts: nowMs, cts: nowMs - 1))
            }

        default:
            return Self.text(.notFound, "Not Found")
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ text: String, headers extra: [(String, String)] = []) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        for (name, value) in extra {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let c = duration.components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }
}

/// A REST failure the fake answers with instead of the real result.
public enum FakeBybitRESTFailure: Sendable, Hashable {
    /// HTTP 403 "access too frequent" (Bybit's IP limit); ``FakeBybitVenue/banIP(for:)`` for a lasting ban.
    case ipRateLimit
    /// HTTP 429 with `Retry-After` in seconds.
    case httpRateLimit(retryAfterSeconds: Int)
    /// HTTP 200, `retCode` 10006 "Too many visits!", `X-Bapi-Limit-Reset-Timestamp` `resetAfter` from now.
    case rateLimitRetCode(resetAfter: Duration)
    /// HTTP `status` (5xx) with a text body.
    case serverError(status: Int)
    /// HTTP 200 with this `retCode` and `retMsg`.
    case retCode(Int, String)
    /// HTTP 200 with a truncated JSON body.
    case malformedBody
    /// The connection closes without an answer.
    case dropConnection
}

/// One REST request the fake served.
public struct FakeBybitRequest: Sendable, Hashable {
    public var path: String
    public var query: [String: String]
    /// The HTTP status answered (0: the connection was dropped).
    public var status: Int
    /// When it arrived (the fake's clock, ms).
    public var timeMs: Int64
}

/// One open WebSocket connection of the fake.
public struct FakeBybitConnection: Sendable, Hashable {
    public var id: Int
    public var category: Bybit.Category
    public var connID: String
    /// Topics subscribed, in order.
    public var topics: [String]
    /// `ping` ops received.
    public var pings: Int
}

/// The fake's own order book (top levels as sent on the wire), for comparison with a client's.
public struct FakeBybitBook: Sendable, Hashable {
    public struct Level: Sendable, Hashable, CustomStringConvertible {
        public var price: String
        public var size: String
        public init(price: String, size: String) {
            self.price = price
            self.size = size
        }
        public var description: String { "\(price)×\(size)" }
    }

    /// Best (highest) first.
    public var bids: [Level]
    /// Best (lowest) first.
    public var asks: [Level]
    /// The `u` of the depth's stream; nil when nobody subscribed that depth yet.
    public var updateID: Int64?
    /// The market's cross sequence.
    public var sequence: Int64
}
