public import HostCore
public import Logging
import Synchronization
public import VenueKit

/// A configuration the stream client refuses.
public struct BybitStreamConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { "BybitStreamConfigurationError(\(message))" }
}

/// Bybit v5 public market data for one category (spot or linear) on one WebSocket:
/// `orderbook.{depth}.{S}`, `publicTrade.{S}`, `tickers.{S}` and `kline.{interval}.{S}` for
/// every symbol, delivered to a ``MarketDataSink`` as engine events.
///
/// - Subscriptions go out in `{"op":"subscribe","args":[…],"req_id":…}` requests of at most
///   ten topics (spot's limit; linear has none, ten is kept for both). Acks and pongs are
///   keep-alive traffic, not data; a failed ack is logged with Bybit's `ret_msg` and counted
///   in ``subscribeFailures``.
/// - `{"op":"ping"}` every 20 s (``HeartbeatPolicy/bybit``).
/// - Books follow ``BybitBookSync``: on a gap the symbol is stale and its orderbook topic is
///   unsubscribed and subscribed again, whose first message is a fresh snapshot. After a
///   reconnect every symbol is stale until its snapshot arrives.
/// - Events per frame are those of ``BybitStreamProcessor``: book rows, then a quote from the
///   top of the book when it changed; trades with the taker as aggressor; confirmed candles
///   as bars. Merged tickers go to `onTicker`.
///
/// - Important: `sink` and `onTicker` are called on the connection's task; keep them short.
public final class BybitStreamClient: Sendable {
    /// One instrument to follow: the host's id and Bybit's symbol (`BTCUSDT`).
    public struct Symbol: Sendable, Hashable {
        public var id: SymbolID
        public var venueSymbol: String
        public init(id: SymbolID, venueSymbol: String) {
            self.id = id
            self.venueSymbol = venueSymbol
        }
    }

    /// Mainnet public streams.
    public static let mainnet = "wss://stream.bybit.com"
    /// Testnet public streams.
    public static let testnet = "wss://stream-testnet.bybit.com"
    /// Spot's limit on topics per subscribe request (kept for linear too).
    public static let maxArgsPerRequest = 10
    /// Bybit's limit on the total length of one public connection's topics.
    public static let maxArgsCharacters = 21_000
    /// Depths both categories offer (500 is no longer documented but still served for linear).
    public static let depths: Set<Int> = [1, 50, 200, 500, 1000]

    /// `{base}/v5/public/{category}`.
    public static func url(base: String = mainnet, category: Bybit.Category) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/v5/public/" + category.rawValue
    }

    public let category: Bybit.Category
    public let url: String
    public let depth: Int
    public let klineInterval: String
    public let symbols: [Symbol]
    public let heartbeat: HeartbeatPolicy
    public let backoff: BackoffPolicy
    private let sink: MarketDataSink
    private let counters: VenueCounters
    private let onTicker: @Sendable (SymbolID, BybitStreamMessage.Ticker) -> Void
    private let logger: Logger
    private let lifecycle = SingleSocketLifecycle()

    private struct State {
        var outbox: Outbox?
        var nextRequest = 1
        /// What the sink was last told per symbol (true = stale); absent = nothing yet.
        var published: [SymbolID: Bool] = [:]
        var subscribeFailures = 0
        var pongs = 0
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - category: spot or linear (one connection per category).
    ///   - symbols: the instruments, with Bybit's symbol names.
    ///   - depth: the `orderbook` depth, one of ``depths``.
    ///   - baseURL: ``mainnet``, ``testnet`` or a fake's `ws://127.0.0.1:port`.
    ///   - klineInterval: the `kline` interval (`1` = 1 minute).
    ///   - onTicker: each merged ticker (linear deltas merged into the last snapshot).
    /// - Throws: ``BybitStreamConfigurationError`` for an unknown depth, duplicate symbols, or
    ///   topics longer in total than Bybit allows on one connection (split the symbols over clients).
    public init(category: Bybit.Category, symbols: [Symbol], depth: Int = 50, baseURL: String = BybitStreamClient.mainnet,
                klineInterval: String = "1", heartbeat: HeartbeatPolicy = .bybit, backoff: BackoffPolicy = .standard,
                logger: Logger, counters: VenueCounters, sink: MarketDataSink,
                onTicker: @escaping @Sendable (SymbolID, BybitStreamMessage.Ticker) -> Void = { _, _ in }) throws(BybitStreamConfigurationError) {
        guard Self.depths.contains(depth) else {
            throw BybitStreamConfigurationError(message: "orderbook depth \(depth) is not one of \(Self.depths.sorted())")
        }
        guard Set(symbols.map(\.venueSymbol)).count == symbols.count, Set(symbols.map(\.id)).count == symbols.count else {
            throw BybitStreamConfigurationError(message: "a symbol is listed twice")
        }
        self.category = category
        self.url = Self.url(base: baseURL, category: category)
        self.depth = depth
        self.klineInterval = klineInterval
        self.symbols = symbols
        self.heartbeat = heartbeat
        self.backoff = backoff
        self.counters = counters
        self.sink = sink
        self.onTicker = onTicker
        var logger = logger
        logger[metadataKey: "venue"] = "\(Bybit.venue)"
        logger[metadataKey: "bybit.category"] = "\(category.rawValue)"
        self.logger = logger
        let characters = topics.reduce(0) { $0 + $1.utf8.count }
        guard characters <= Self.maxArgsCharacters else {
            throw BybitStreamConfigurationError(message: "\(characters) characters of topics exceed Bybit's \(Self.maxArgsCharacters) per connection")
        }
    }

    /// The topics of one symbol: book, trades, ticker, candles.
    public func topics(for venueSymbol: String) -> [String] {
        ["orderbook.\(depth).\(venueSymbol)", "publicTrade.\(venueSymbol)", "tickers.\(venueSymbol)", "kline.\(klineInterval).\(venueSymbol)"]
    }

    /// Every topic, symbol by symbol.
    public var topics: [String] { symbols.flatMap { topics(for: $0.venueSymbol) } }

    /// Subscribe requests Bybit refused (`"success":false`).
    public var subscribeFailures: Int { state.withLock { $0.subscribeFailures } }
    /// Keep-alive answers received.
    public var pongs: Int { state.withLock { $0.pongs } }

    /// Connects, and reconnects until ``stop()``. Returns at once when already running or stopped.
    public func run() async {
        logger.info("Bybit stream starting", metadata: ["ws.url": "\(url)", "ws.topics": "\(topics.count)"])
        await lifecycle.run { makeSocket() }
        logger.info("Bybit stream stopped")
    }

    /// Closes the connection and ends ``run()``.
    public func stop() { lifecycle.stop() }

    // MARK: Frames

    /// `{"op":"subscribe","args":[…],"req_id":"…"}` requests of at most ``maxArgsPerRequest`` topics.
    static func requests(_ op: String, topics: [String], requestID: (Int) -> String) -> [String] {
        stride(from: 0, to: topics.count, by: maxArgsPerRequest).enumerated().map { index, start in
            let chunk = Array(topics[start..<min(start + maxArgsPerRequest, topics.count)])
            return "{\"op\":\"\(op)\",\"args\":\(JSONText.array(chunk)),\"req_id\":\(JSONText.quoted(requestID(index)))}"
        }
    }

    private func requestFrames(_ op: String, topics: [String]) -> [String] {
        let chunks = (topics.count + Self.maxArgsPerRequest - 1) / Self.maxArgsPerRequest
        let first = state.withLock { state in
            defer { state.nextRequest += chunks }
            return state.nextRequest
        }
        return Self.requests(op, topics: topics, requestID: { "\(self.category.rawValue)-\(op)-\(first + $0)" })
    }

    // MARK: Connection

    private func makeSocket() -> ReconnectingWebSocket {
        let hooks = SocketHooks(
            keepAlive: KeepAlive(ping: BybitKeepAlive.ping) { [self] text in classify(text) },
            opened: { [self] outbox in
                state.withLock { $0.outbox = outbox }
                for symbol in symbols { publish(symbol.id, stale: true, reason: "awaiting snapshot") }
                return (requestFrames("subscribe", topics: topics), symbols.count)
            },
            closed: { [self] in state.withLock { $0.outbox = nil } },
            makeReceiver: { [self] in makeReceiver() },
            event: { [self] event in connectionEvent(event) }
        )
        return ReconnectingWebSocket(url: url, shard: 0, heartbeat: heartbeat, backoff: backoff, logger: logger, hooks: hooks)
    }

    private func connectionEvent(_ event: ConnectionEvent) {
        switch event {
        case .connected:
            VenueCounters.add(counters.connects)
        case .disconnected(_, let reason):
            VenueCounters.add(counters.disconnects)
            var invalidated: Int64 = 0
            for symbol in symbols where publish(symbol.id, stale: true, reason: "disconnected") { invalidated += 1 }
            if invalidated > 0 { VenueCounters.add(counters.resyncs, invalidated) }
            logger.warning("Bybit stream disconnected", metadata: ["ws.reason": "\(reason)", "bybit.books_invalidated": "\(invalidated)"])
        case .stale, .resubscribed:
            break
        }
    }

    /// Tells the sink when a symbol's status changes; returns whether it did.
    @discardableResult
    private func publish(_ symbol: SymbolID, stale: Bool, reason: String) -> Bool {
        let changed = state.withLock { state in
            guard state.published[symbol] != stale else { return false }
            state.published[symbol] = stale
            return true
        }
        if changed { sink.status(symbol, stale, reason) }
        return changed
    }

    /// Pongs and op responses are keep-alive traffic; op responses are checked here.
    private func classify(_ text: String) -> KeepAlive.Inbound {
        if BybitKeepAlive.startsWithTopic(text) { return .data }
        var parser = BybitFrameParser()
        let message: BybitStreamMessage
        do { message = try parser.parse(text) } catch { return .data }  // the receiver counts and logs it
        switch message {
        case .pong:
            state.withLock { $0.pongs += 1 }
            return .pong
        case .opResponse(let response):
            opResponse(response)
            return .pong
        case .orderbook, .trades, .ticker, .kline, .unknown:
            return .data
        }
    }

    private func opResponse(_ response: BybitStreamMessage.OpResponse) {
        guard !response.success else {
            logger.debug("Bybit request acknowledged", metadata: ["bybit.op": "\(response.op)", "bybit.req_id": "\(response.requestID ?? "")"])
            return
        }
        state.withLock { $0.subscribeFailures += 1 }
        logger.warning("Bybit request refused", metadata: [
            "bybit.op": "\(response.op)", "bybit.ret_msg": "\(response.retMessage)", "bybit.req_id": "\(response.requestID ?? "")",
            "bybit.conn_id": "\(response.connectionID)",
        ])
    }

    /// Asks for a fresh snapshot of one book: unsubscribe, then subscribe its topic again.
    private func resubscribe(_ topic: String, symbol: SymbolID) {
        let frames = requestFrames("unsubscribe", topics: [topic]) + requestFrames("subscribe", topics: [topic])
        let outbox = state.withLock { $0.outbox }
        for frame in frames { outbox?.send(frame) }
        logger.warning("Bybit book resubscribed", metadata: ["bybit.topic": "\(topic)", "instrument.id": "\(symbol)"])
    }

    /// A connection's receiver: a fresh processor (every book awaits its snapshot).
    private func makeReceiver() -> (String, Int64) -> Void {
        var processor = BybitStreamProcessor(symbols: Dictionary(uniqueKeysWithValues: symbols.map { ($0.venueSymbol, $0.id) }), depth: depth)
        var events: [MarketEvent] = []
        return { [self] text, receivedNs in
            VenueCounters.add(counters.frames)
            events.removeAll(keepingCapacity: true)
            let handled: BybitStreamProcessor.Handled
            do throws(StreamParseError) {
                handled = try processor.process(text, receivedNs: receivedNs, events: &events)
            } catch {
                VenueCounters.add(counters.malformed)
                logger.warning("Bybit frame rejected", metadata: [
                    "error.code": "\(error.code)", "error.offset": "\(error.offset)", "error.expected": "\(error.expected)",
                    "frame.sample": "\(text.prefix(200))",
                ])
                return
            }
            if !events.isEmpty { sink.events(events) }
            switch handled {
            case .book(let symbol, let key, let outcome):
                switch outcome.action {
                case .snapshot, .reset, .delta: VenueCounters.add(counters.applied)
                case .dropped: VenueCounters.add(counters.stale)
                case .gap(let expected, let received):
                    VenueCounters.add(counters.gaps)
                    logger.warning("Bybit book gap", metadata: [
                        "bybit.topic": "\(key.topic)", "book.expected_u": "\(expected)", "book.received_u": "\(received)",
                    ])
                case .crossed:
                    VenueCounters.add(counters.applied)
                    logger.warning("Bybit book crossed", metadata: ["bybit.topic": "\(key.topic)"])
                }
                if let status = outcome.status { publish(symbol, stale: status.stale, reason: status.reason) }
                if outcome.resubscribe {
                    VenueCounters.add(counters.resyncs)
                    resubscribe(key.topic, symbol: symbol)
                }
            case .ticker(let symbol, let ticker):
                if let ticker { onTicker(symbol, ticker) }
            case .opResponse(let response):
                opResponse(response)
            case .unfollowed(let topic):
                logger.debug("Bybit topic not followed", metadata: ["bybit.topic": "\(topic)"])
            case .unknownTopic(let topic):
                logger.debug("Bybit topic not modelled", metadata: ["bybit.topic": "\(topic)"])
            case .trades, .kline, .pong:
                break
            }
        }
    }
}
