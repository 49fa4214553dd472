public import Logging
import Foundation
import HostCore
import Synchronization
import VenueKit

extension HeartbeatPolicy {
    /// Binance spot streams: the server pings at protocol level every 20 s and the WebSocket
    /// library answers (those frames are not seen above it), so only data counts as life. A
    /// connection that delivers nothing for 3 minutes is reopened.
    public static let binance = HeartbeatPolicy(interval: .seconds(20), staleAfter: .seconds(180))
}

/// Binance spot market data over combined streams (`<base>/stream?streams=a/b/c`): depth
/// diffs kept as local books (``BinanceBookSync``, snapshots fetched through an injected
/// closure), `bookTicker` quotes, trades or aggregate trades, closed klines; delivered as
/// `[MarketEvent]` and per-symbol stale/fresh status through a `MarketDataSink`, counted in
/// `VenueCounters`.
///
/// Connection rules it keeps (web-socket-streams.md):
/// - at most ``Configuration/maxStreamsPerConnection`` (venue: 1024) streams per connection:
///   symbols are spread over shards, all streams of one symbol on the same shard;
/// - streams go in the URL, up to ``Configuration/maxStreamsInURL``; the rest are sent as
///   `SUBSCRIBE` frames paced to ``Configuration/maxMessagesPerSecond`` (venue: 5 incoming
///   messages per second, pongs included);
/// - a connection lives at most 24 h and the server may announce `serverShutdown`: at
///   ``Configuration/rotationInterval`` after a shard connected, or on `serverShutdown`, a
///   replacement connection is opened first and the old one closed only after the
///   replacement has delivered data for ``Configuration/overlap``. Both feed the same
///   ``BinanceFeedProcessor``, which drops what arrives twice (depth by update ids, trades
///   by id, quotes by `u`), so nothing is lost and nothing is doubled;
/// - keep-alive: Binance pings every 20 s; the kit's `WebSocketSessionHandler` answers every
///   ping frame with a pong echoing its payload, so no application keep-alive is sent
///   (`KeepAlive.none`).
///
/// Frames are parsed and applied on the connection's NIO event loop; the events of one socket
/// read reach the sink in one call (`SocketHooks.readComplete`).
///
/// A shard whose connections are all lost marks its depth books stale; after the reconnect
/// the first diffs buffer and a new snapshot is fetched. A gap does the same for one symbol.
///
/// - Important: `sink` callbacks are made while the client's state lock is held, so events of
///   one symbol reach the sink in order even while two connections overlap. Keep them short
///   and never call back into the client from them.
public final class BinanceStreamClient: Sendable {
    /// What to subscribe and how to run the connections.
    ///
    /// ## Configuration keys:
    /// - `baseURL` (string, default `wss://stream.binance.com:9443`): stream host, without path.
    /// - `bookTicker` (bool, default true): `<s>@bookTicker` quotes.
    /// - `trades` (`trade` | `aggTrade` | `none`, default `trade`).
    /// - `depth` (`100ms` | `1000ms` | `none`, default `100ms`): diff depth kept as a local book.
    /// - `klineIntervals` (strings, default none): `<s>@kline_<i>`; closed candles become bars.
    /// - `maxStreamsPerConnection` (int, default 1024, the venue's limit).
    /// - `maxStreamsInURL` (int, default 200): the rest go in paced `SUBSCRIBE` frames.
    /// - `maxMessagesPerSecond` (int, default 4; the venue allows 5 including pongs).
    /// - `rotationInterval` (duration, default 23 h 30 min): replace a connection before the 24 h cut.
    /// - `overlap` (duration, default 2 s): both connections deliver this long before the old closes.
    /// - `snapshotLimit` (int, default 1000; weight 50): `/api/v3/depth` `limit`.
    /// - `maxConcurrentSnapshots` (int, default 4): REST snapshot fetches in flight.
    /// - `snapshotRetry` (backoff, default 1 s doubling to 30 s): after a failed fetch or a
    ///   snapshot too old for the buffered diffs.
    public struct Configuration: Sendable {
        public enum Trades: String, Sendable { case trade, aggTrade, none }
        public enum Depth: String, Sendable {
            case diff100ms = "100ms"
            case diff1000ms = "1000ms"
            case none
        }

        public var baseURL = "wss://stream.binance.com:9443"
        public var bookTicker = true
        public var trades = Trades.trade
        public var depth = Depth.diff100ms
        public var klineIntervals: [String] = []
        public var maxStreamsPerConnection = 1024
        public var maxStreamsInURL = 200
        public var maxMessagesPerSecond = 4
        public var rotationInterval: Duration = .seconds(23 * 3600 + 30 * 60)
        public var overlap: Duration = .seconds(2)
        public var snapshotLimit = 1000
        public var maxConcurrentSnapshots = 4
        public var snapshotRetry = BackoffPolicy(base: .seconds(1), max: .seconds(30), jitter: 0.2)
        public var heartbeat = HeartbeatPolicy.binance
        public var backoff = BackoffPolicy.standard
        public var timeUnit = BinanceStreamParser.TimeUnit.milliseconds

        public init(baseURL: String = "wss://stream.binance.com:9443") {
            self.baseURL = baseURL
        }

        /// The stream kinds for one symbol, e.g. `["depth@100ms", "bookTicker", "trade"]`.
        public var kinds: [String] {
            var kinds: [String] = []
            switch depth {
            case .diff100ms: kinds.append("depth@100ms")
            case .diff1000ms: kinds.append("depth")
            case .none: break
            }
            if bookTicker { kinds.append("bookTicker") }
            switch trades {
            case .trade: kinds.append("trade")
            case .aggTrade: kinds.append("aggTrade")
            case .none: break
            }
            kinds += klineIntervals.map { "kline_\($0)" }
            return kinds
        }
    }

    /// Fetches `/api/v3/depth?symbol=<venueSymbol>&limit=<limit>` (the REST client's job).
    public typealias SnapshotFetcher = @Sendable (_ venueSymbol: String, _ limit: Int) async throws -> BinanceDepthSnapshot

    /// One connection's streams.
    public struct Shard: Sendable, Hashable {
        /// Upper-case venue symbols whose streams this shard carries.
        public var venueSymbols: [String]
        /// Stream names, in subscription order.
        public var streams: [String]
        /// The connection URL (holds the first `maxStreamsInURL` streams).
        public var url: String
        /// `SUBSCRIBE` frames for the streams beyond the URL, sent paced after connecting.
        public var subscribeFrames: [String]
    }

    public let configuration: Configuration
    public let shards: [Shard]
    private let fetchSnapshot: SnapshotFetcher
    private let sink: MarketDataSink
    private let counters: VenueCounters
    private let logger: Logger
    private let lifecycle = Lifecycle()
    private let shared: Mutex<Shared>
    private let rejectedLogged = Atomic<Int64>(0)

    private struct Shared: ~Copyable {
        var processor: BinanceFeedProcessor
        var reported = BinanceBookSync.Counts()
        /// Open connections (generation numbers) per shard.
        var open: [Set<Int>]
        var snapshotRequests: AsyncStream<String>.Continuation?
        /// Events of the socket read under way, handed to the sink once at its end (one engine
        /// hand-off per read instead of per frame), before any status change and before a snapshot's events.
        var pending: [MarketEvent] = []
    }

    /// - Parameters:
    ///   - symbols: host ids and venue symbols (`BTCUSDT`; stream names use lower case).
    ///   - fetchSnapshot: REST depth snapshots; called at most `maxConcurrentSnapshots` at a time.
    ///   - sink: where events and stale/fresh changes go.
    ///   - counters: frames, malformed, applied, stale, gaps, resyncs, connects, disconnects.
    public init(symbols: [(id: SymbolID, venueSymbol: String)], configuration: Configuration = Configuration(),
                fetchSnapshot: @escaping SnapshotFetcher, sink: MarketDataSink, counters: VenueCounters, logger: Logger) {
        self.configuration = configuration
        self.shards = Self.plan(venueSymbols: symbols.map(\.venueSymbol), configuration: configuration)
        self.fetchSnapshot = fetchSnapshot
        self.sink = sink
        self.counters = counters
        var logger = logger
        logger[metadataKey: "venue"] = "\(Binance.venue)"
        self.logger = logger
        shared = Mutex(Shared(processor: BinanceFeedProcessor(symbols: symbols), open: Array(repeating: [], count: shards.count)))
    }

    // MARK: Plan

    /// Spreads symbols over connections (all streams of a symbol on one), builds each
    /// connection's URL and the paced `SUBSCRIBE` frames for what does not fit in it.
    public static func plan(venueSymbols: [String], configuration: Configuration) -> [Shard] {
        let kinds = configuration.kinds
        guard !kinds.isEmpty, !venueSymbols.isEmpty else { return [] }
        let perShard = max(1, configuration.maxStreamsPerConnection / kinds.count)
        var shards: [Shard] = []
        var start = 0
        var requestID = 1
        while start < venueSymbols.count {
            let symbols = Array(venueSymbols[start..<min(start + perShard, venueSymbols.count)])
            let streams = symbols.flatMap { symbol in kinds.map { "\(symbol.lowercased())@\($0)" } }
            let inURL = max(1, configuration.maxStreamsInURL)
            var frames: [String] = []
            var rest = streams.dropFirst(inURL)
            while !rest.isEmpty {
                let chunk = rest.prefix(inURL)
                frames.append(subscribeFrame(Array(chunk), id: requestID))
                requestID += 1
                rest = rest.dropFirst(chunk.count)
            }
            shards.append(Shard(venueSymbols: symbols.map { $0.uppercased() }, streams: streams,
                                url: url(base: configuration.baseURL, streams: Array(streams.prefix(inURL)), timeUnit: configuration.timeUnit),
                                subscribeFrames: frames))
            start += perShard
        }
        return shards
    }

    /// `<base>/stream?streams=a/b/c` (plus `&timeUnit=MICROSECOND` for µs times).
    public static func url(base: String, streams: [String], timeUnit: BinanceStreamParser.TimeUnit = .milliseconds) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        var url = base + "/stream?streams=" + streams.joined(separator: "/")
        if timeUnit == .microseconds { url += "&timeUnit=MICROSECOND" }
        return url
    }

    /// `{"method":"SUBSCRIBE","params":[…],"id":N}`.
    public static func subscribeFrame(_ streams: [String], id: Int) -> String {
        "{\"method\":\"SUBSCRIBE\",\"params\":\(JSONText.array(streams)),\"id\":\(id)}"
    }

    // MARK: Reading state

    /// A copy of a symbol's book (for `host feed watch`, tests and diagnostics).
    public func book(_ venueSymbol: String) -> BinanceBookSync? {
        shared.withLock { $0.processor.book(venueSymbol) }
    }

    /// Message counts so far.
    public var messageCounts: BinanceFeedProcessor.Counts { shared.withLock { $0.processor.counts } }

    // MARK: Run

    /// Connects every shard and runs until `stop()` or cancellation. Call once.
    public func run() async {
        guard let stopped = lifecycle.start() else { return }
        let (requests, requestContinuation) = AsyncStream<String>.makeStream()
        shared.withLock { $0.snapshotRequests = requestContinuation }
        logger.info("Binance streams starting", metadata: [
            "ws.shards": "\(shards.count)", "ws.streams": "\(shards.reduce(0) { $0 + $1.streams.count })",
        ])
        await withDiscardingTaskGroup { group in
            for index in shards.indices { group.addTask { await self.runShard(index) } }
            group.addTask { await self.serveSnapshotRequests(requests) }
            for await _ in stopped {}
            group.cancelAll()
        }
        shared.withLock { $0.snapshotRequests = nil }
        requestContinuation.finish()
        logger.info("Binance streams stopped")
    }

    /// Closes every connection and ends `run()`.
    public func stop() { lifecycle.stop() }

    // MARK: Shards and rotation

    private enum ShardSignal: Sendable {
        /// Replace generation n (rotation due, or `serverShutdown` on it).
        case rotate(Int)
        /// Generation n delivered its first frame.
        case dataArrived(Int)
        /// Close generation n (its replacement has overlapped long enough).
        case retire(Int)
    }

    /// One connection of a shard (a new generation replaces an old one on rotation).
    private final class Generation: Sendable {
        let number: Int
        let signals: AsyncStream<ShardSignal>.Continuation
        let stopSignal: AsyncStream<Void>.Continuation
        let stopStream: AsyncStream<Void>
        /// Monotonic ns of the current connection's open; 0 while not connected.
        let connectedAt = Atomic<Int64>(0)
        let sawData = Atomic<Bool>(false)
        let outbox = Mutex<Outbox?>(nil)
        let pending = Mutex<[String]>([])

        init(number: Int, signals: AsyncStream<ShardSignal>.Continuation) {
            self.number = number
            self.signals = signals
            (stopStream, stopSignal) = AsyncStream<Void>.makeStream()
        }
    }

    private func runShard(_ index: Int) async {
        let (signals, signal) = AsyncStream<ShardSignal>.makeStream()
        await withDiscardingTaskGroup { group in
            var current = Generation(number: 0, signals: signal)
            var replacement: Generation?
            let first = current
            group.addTask { await self.runGeneration(first, shard: index) }
            for await event in signals {
                switch event {
                case .rotate(let number) where number == current.number && replacement == nil:
                    let next = Generation(number: current.number + 1, signals: signal)
                    replacement = next
                    logger.info("Binance connection replacement opening", metadata: ["ws.shard": "\(index)", "ws.generation": "\(next.number)"])
                    group.addTask { await self.runGeneration(next, shard: index) }
                case .dataArrived(let number) where number == replacement?.number:
                    let old = current.number
                    let overlap = configuration.overlap
                    group.addTask {
                        try? await Task.sleep(for: overlap)
                        signal.yield(.retire(old))
                    }
                case .retire(let number) where number == current.number:
                    guard let next = replacement else { break }
                    logger.info("Binance connection retired", metadata: ["ws.shard": "\(index)", "ws.generation": "\(number)"])
                    current.stopSignal.finish()
                    current = next
                    replacement = nil
                default:
                    break
                }
            }
            group.cancelAll()
        }
    }

    /// One generation: its reconnecting socket, its rotation timer and its paced SUBSCRIBE frames.
    private func runGeneration(_ generation: Generation, shard index: Int) async {
        let shard = shards[index]
        let socket = ReconnectingWebSocket(url: shard.url, shard: index, heartbeat: configuration.heartbeat, backoff: configuration.backoff,
                                           logger: logger, hooks: hooks(generation, shard: index))
        await withDiscardingTaskGroup { group in
            group.addTask { await socket.run() }
            group.addTask { await self.rotationTimer(generation) }
            if !shard.subscribeFrames.isEmpty { group.addTask { await self.pacedSender(generation) } }
            for await _ in generation.stopStream {}
            group.cancelAll()
        }
    }

    /// Asks for a replacement `rotationInterval` after the generation's connection opened
    /// (again after each reconnect), and keeps asking while the generation runs (the shard
    /// ignores the request while a replacement is already under way).
    private func rotationTimer(_ generation: Generation) async {
        let interval = ReconnectingWebSocket.nanoseconds(configuration.rotationInterval)
        let step = max(min(interval, 10_000_000_000), 1_000_000)
        while !Task.isCancelled {
            let opened = generation.connectedAt.load(ordering: .relaxed)
            let now = monotonicNanos()
            var wait = step
            if opened != 0 {
                if now - opened >= interval {
                    logger.info("Binance connection rotation due", metadata: ["ws.generation": "\(generation.number)"])
                    generation.signals.yield(.rotate(generation.number))
                } else {
                    wait = min(step, opened + interval - now)
                }
            }
            do { try await Task.sleep(for: .nanoseconds(max(wait, 1_000_000))) } catch { return }
        }
    }

    /// Sends the queued `SUBSCRIBE` frames no faster than `maxMessagesPerSecond`.
    private func pacedSender(_ generation: Generation) async {
        let spacing = 1_000_000_000 / Int64(max(1, configuration.maxMessagesPerSecond))
        while !Task.isCancelled {
            let frame: String? = generation.pending.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            if let frame, let outbox = generation.outbox.withLock({ $0 }) { outbox.send(frame) }
            do { try await Task.sleep(for: .nanoseconds(spacing)) } catch { return }
        }
    }

    private func hooks(_ generation: Generation, shard index: Int) -> SocketHooks {
        let shard = shards[index]
        let timeUnit = configuration.timeUnit
        return SocketHooks(
            keepAlive: .none,
            opened: { outbox in
                generation.outbox.withLock { $0 = outbox }
                generation.pending.withLock { $0 = shard.subscribeFrames }
                // Everything beyond the URL goes out paced, so nothing is sent at once.
                return ([], shard.streams.count)
            },
            closed: {
                generation.outbox.withLock { $0 = nil }
                generation.pending.withLock { $0.removeAll() }
            },
            makeReceiver: { [self] in
                var parser = BinanceStreamParser(timeUnit: timeUnit)
                return { text, receivedNs in self.receive(text, receivedNs: receivedNs, parser: &parser, generation: generation) }
            },
            event: { [self] event in connectionEvent(event, generation: generation, shard: index) },
            readComplete: { [self] in shared.withLock { flushLocked(&$0) } }
        )
    }

    private func connectionEvent(_ event: ConnectionEvent, generation: Generation, shard index: Int) {
        switch event {
        case .connected:
            VenueCounters.add(counters.connects)
            generation.connectedAt.store(monotonicNanos(), ordering: .relaxed)
            shared.withLock { _ = $0.open[index].insert(generation.number) }
        case .disconnected(_, let reason):
            VenueCounters.add(counters.disconnects)
            generation.connectedAt.store(0, ordering: .relaxed)
            deliver(generation: generation) { shared, effects in
                shared.open[index].remove(generation.number)
                // Another connection of the shard (a rotation's replacement) still carries the streams.
                guard shared.open[index].isEmpty else { return }
                shared.processor.invalidate(venueSymbols: shards[index].venueSymbols, reason: "disconnected: \(reason)", effects: &effects)
            }
        case .stale, .resubscribed:
            break
        }
    }

    // MARK: Receiving

    private func receive(_ text: String, receivedNs: Int64, parser: inout BinanceStreamParser, generation: Generation) {
        VenueCounters.add(counters.frames)
        if !generation.sawData.exchange(true, ordering: .relaxed) { generation.signals.yield(.dataArrived(generation.number)) }
        let message: BinanceStreamMessage?
        do throws(StreamParseError) {
            message = try parser.parse(text)
        } catch {
            VenueCounters.add(counters.malformed)
            // The first 20, then every 1000th: a broken feed must not flood the log.
            let n = rejectedLogged.wrappingAdd(1, ordering: .relaxed).newValue
            if n <= 20 || n % 1000 == 0 {
                logger.warning("Binance frame rejected", metadata: [
                    "error.code": "\(error.code)", "error.offset": "\(error.offset)", "error.expected": "\(error.expected)",
                    "frame.sample": "\(text.prefix(200))", "frames.rejected": "\(n)",
                ])
            }
            return
        }
        guard let message else { return }
        switch message {
        case .response(let response):
            logger.debug("Binance control answer", metadata: ["request.id": "\(response.id ?? "null")"])
        default:
            break
        }
        deliver(generation: generation) { shared, effects in
            var events: [MarketEvent] = []
            swap(&events, &shared.pending)
            shared.processor.process(message, tsRecv: receivedNs, events: &events, effects: &effects)
            swap(&events, &shared.pending)
        }
    }

    /// Runs `body` on the shared state, then reports counters and performs the effects, all
    /// under the lock (so the sink sees one symbol's changes in order).
    private func deliver(generation: Generation?, _ body: (inout Shared, inout [BinanceFeedProcessor.Effect]) -> Void) {
        shared.withLock { shared in
            var effects: [BinanceFeedProcessor.Effect] = []
            body(&shared, &effects)
            let now = shared.processor.bookCounts
            let before = shared.reported
            if now != before {
                if now.applied != before.applied { VenueCounters.add(counters.applied, Int64(now.applied - before.applied)) }
                if now.droppedStale != before.droppedStale { VenueCounters.add(counters.stale, Int64(now.droppedStale - before.droppedStale)) }
                if now.gaps != before.gaps { VenueCounters.add(counters.gaps, Int64(now.gaps - before.gaps)) }
                if now.resyncs != before.resyncs { VenueCounters.add(counters.resyncs, Int64(now.resyncs - before.resyncs)) }
                shared.reported = now
            }
            for effect in effects {
                switch effect {
                case .status(let symbol, let stale, let reason):
                    flushLocked(&shared)
                    logger.info(stale ? "Binance book stale" : "Binance book fresh", metadata: ["symbol.id": "\(symbol)", "book.reason": "\(reason)"])
                    sink.status(symbol, stale, reason)
                case .requestSnapshot(let venueSymbol):
                    shared.snapshotRequests?.yield(venueSymbol)
                case .serverShutdown:
                    guard let generation else { break }
                    logger.info("Binance server shutdown announced", metadata: ["ws.generation": "\(generation.number)"])
                    generation.signals.yield(.rotate(generation.number))
                case .controlError(let error):
                    logger.warning("Binance control message refused", metadata: [
                        "error.code": "\(error.code)", "error.message": "\(error.message)", "request.id": "\(error.id ?? "null")",
                    ])
                }
            }
            // Snapshots and status changes are not part of a socket read: hand their events on now.
            // A long read (a venue's burst) is handed on in parts, so its first frames do not wait
            // for the parsing of its last.
            if generation == nil || shared.pending.count >= Self.eventsPerHandOff { flushLocked(&shared) }
        }
    }

    /// Events gathered from one socket read before they are handed on without waiting for its end.
    static let eventsPerHandOff = 256

    /// Hands the gathered events to the sink (under the lock, so one symbol's events stay in order).
    private func flushLocked(_ shared: inout Shared) {
        guard !shared.pending.isEmpty else { return }
        sink.events(shared.pending)
        shared.pending.removeAll(keepingCapacity: true)
    }

    // MARK: Snapshots

    /// Fetches requested snapshots, at most `maxConcurrentSnapshots` at a time.
    private func serveSnapshotRequests(_ requests: AsyncStream<String>) async {
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for await venueSymbol in requests {
                if inFlight >= max(1, configuration.maxConcurrentSnapshots) {
                    await group.next()
                    inFlight -= 1
                }
                group.addTask { await self.snapshot(venueSymbol) }
                inFlight += 1
            }
            group.cancelAll()
        }
    }

    /// Fetches until a snapshot is applied or the book stops asking; retries back off.
    private func snapshot(_ venueSymbol: String) async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let snapshot = try await fetchSnapshot(venueSymbol, configuration.snapshotLimit)
                let receivedNs = ReconnectingWebSocket.wallNanos()
                var rejected = false
                deliver(generation: nil) { shared, effects in
                    let before = shared.processor.bookCounts.snapshotsRejected
                    var events: [MarketEvent] = []
                    swap(&events, &shared.pending)
                    shared.processor.applySnapshot(snapshot, venueSymbol: venueSymbol, tsRecv: receivedNs, events: &events, effects: &effects)
                    swap(&events, &shared.pending)
                    rejected = shared.processor.bookCounts.snapshotsRejected != before
                    // A rejected snapshot is asked for again below, after a pause, not at once.
                    if rejected { effects.removeAll { $0 == .requestSnapshot(venueSymbol: venueSymbol) } }
                }
                guard rejected else { return }
                logger.info("Binance snapshot older than buffered diffs", metadata: [
                    "symbol.venue": "\(venueSymbol)", "book.snapshot_id": "\(snapshot.lastUpdateID)",
                ])
            } catch {
                if Task.isCancelled { return }
                logger.warning("Binance snapshot fetch failed", metadata: ["symbol.venue": "\(venueSymbol)", "error": "\(error)"])
            }
            let delay = configuration.snapshotRetry.delay(attempt: attempt)
            attempt += 1
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }
}

/// Run-once and stop for ``BinanceStreamClient``.
private final class Lifecycle: Sendable {
    private struct State {
        var started = false
        var stopped = false
        var signal: AsyncStream<Void>.Continuation?
    }

    private let state = Mutex(State())

    /// The stream that ends on `stop()`; nil when already started or stopped.
    func start() -> AsyncStream<Void>? {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let ok = state.withLock { state -> Bool in
            guard !state.started, !state.stopped else { return false }
            state.started = true
            state.signal = continuation
            return true
        }
        return ok ? stream : nil
    }

    func stop() {
        state.withLock { state in
            state.stopped = true
            state.signal?.finish()
        }
    }
}
