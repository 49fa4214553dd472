public import HostCore
public import VenueKit

/// Frame → engine events for one Bybit public connection: the parser, one ``BybitBookSync``
/// per `orderbook` topic, the ticker merger. The live client (``BybitStreamClient``),
/// `host feed replay-frames` (``BybitFrameReplay``) and the benchmark all run this same code.
///
/// Events of one frame, in order: book rows (the last flagged `.endOfBatch`) then a quote when
/// the top of book changed; trades (aggressor from `S`); a bar for each confirmed candle.
/// Quotes come from the top of the book, not from `tickers`: spot tickers carry no bid/ask,
/// and the book's top is consistent with the rows the engine applies. Tickers are merged and
/// handed back in ``Handled/ticker(symbol:ticker:)``.
///
/// - Important: Not thread-safe; keep one per connection, used from its receive task.
public struct BybitStreamProcessor: Sendable {
    /// An `orderbook` topic's identity: venue symbol and depth.
    public struct BookKey: Sendable, Hashable, Comparable {
        public var venueSymbol: String
        public var depth: Int
        public init(venueSymbol: String, depth: Int) {
            self.venueSymbol = venueSymbol
            self.depth = depth
        }
        /// `orderbook.{depth}.{symbol}`.
        public var topic: String { "orderbook.\(depth).\(venueSymbol)" }
        public static func < (a: BookKey, b: BookKey) -> Bool { (a.venueSymbol, a.depth) < (b.venueSymbol, b.depth) }
    }

    /// What one frame was.
    public enum Handled: Sendable, Hashable {
        /// An order book message and what the sync made of it.
        case book(symbol: SymbolID, key: BookKey, outcome: BybitBookSync.Outcome)
        case trades(symbol: SymbolID, count: Int)
        /// The merged ticker (nil: a delta with no snapshot before it, dropped).
        indirect case ticker(symbol: SymbolID, ticker: BybitStreamMessage.Ticker?)
        /// Candles received, of which `bars` were confirmed and became bar events.
        case kline(symbol: SymbolID, candles: Int, bars: Int)
        indirect case opResponse(BybitStreamMessage.OpResponse)
        case pong
        /// A topic the parser does not model.
        case unknownTopic(String)
        /// A topic for a symbol (or depth) this processor does not follow.
        case unfollowed(topic: String)
    }

    /// Frame counts since the processor was made.
    public struct Counts: Sendable, Hashable, Encodable {
        /// Frames handed to ``process(_:receivedNs:events:)``.
        public var frames = 0
        /// Frames the parser refused.
        public var malformed = 0
        /// `orderbook` messages (applied or not: see ``BybitStreamProcessor/bookCounts``).
        public var bookMessages = 0
        /// `publicTrade` messages, and the trades in them.
        public var tradeMessages = 0
        public var trades = 0
        /// `tickers` messages, and the deltas dropped for want of a snapshot.
        public var tickerMessages = 0
        public var tickerDeltasDropped = 0
        /// `kline` messages, and the confirmed candles delivered as bars.
        public var klineMessages = 0
        public var bars = 0
        /// Op responses, and those with `"success":false`.
        public var opResponses = 0
        public var failedOps = 0
        /// Keep-alive answers.
        public var pongs = 0
        /// Topics not modelled (`liquidation.*`, …).
        public var unknownTopics = 0
        /// Topics of symbols or depths this processor does not follow.
        public var unfollowed = 0
        public init() {}
    }

    private var parser = BybitFrameParser()
    /// Book syncs, in the order their topics were added; `bookIndex` finds them.
    private var syncs: [BybitBookSync] = []
    private var bookKeys: [BookKey] = []
    private var bookIndex: [BookKey: Int] = [:]
    /// The last book looked up (frames of one topic come in runs): skips hashing the key.
    private var lastBook: (key: BookKey, index: Int)?
    public private(set) var tickers = BybitTickerMerger()
    public private(set) var counts = Counts()
    /// Venue symbol → host symbol.
    public private(set) var symbols: [String: SymbolID]
    private let registering: Bool

    /// A processor for a live connection: `symbols` (venue symbol → host id) at book `depth`;
    /// topics of other symbols or depths are counted as unfollowed.
    public init(symbols: [String: SymbolID], depth: Int) {
        self.symbols = symbols
        self.registering = false
        for (venueSymbol, id) in symbols.sorted(by: { $0.value < $1.value }) {
            addBook(BookKey(venueSymbol: venueSymbol, depth: depth), symbol: id)
        }
    }

    /// A processor that follows every symbol and depth it sees, numbering symbols in order of
    /// appearance (for replaying recorded frames).
    public static func registeringAll() -> BybitStreamProcessor { BybitStreamProcessor(registering: ()) }

    private init(registering: Void) {
        symbols = [:]
        self.registering = true
    }

    /// Book syncs by topic.
    public var books: [BookKey: BybitBookSync] { Dictionary(uniqueKeysWithValues: zip(bookKeys, syncs)) }

    /// The sync of one topic.
    public func book(_ key: BookKey) -> BybitBookSync? { bookIndex[key].map { syncs[$0] } }

    private mutating func addBook(_ key: BookKey, symbol: SymbolID) {
        bookIndex[key] = syncs.count
        bookKeys.append(key)
        syncs.append(BybitBookSync(symbol: symbol, depth: key.depth))
    }

    @inline(__always)
    private mutating func bookSlot(_ key: BookKey) -> Int? {
        if let last = lastBook, last.key == key { return last.index }
        if bookIndex[key] == nil, registering, let id = symbol(key.venueSymbol) { addBook(key, symbol: id) }
        guard let index = bookIndex[key] else { return nil }
        lastBook = (key, index)
        return index
    }

    /// Sum of every book's counts.
    public var bookCounts: BybitBookSync.Counts {
        var total = BybitBookSync.Counts()
        for sync in syncs {
            let c = sync.counts
            total.applied += c.applied
            total.snapshots += c.snapshots
            total.gaps += c.gaps
            total.resets += c.resets
            total.resyncs += c.resyncs
            total.droppedBeforeSnapshot += c.droppedBeforeSnapshot
            total.trimmedLevels += c.trimmedLevels
            total.crossed += c.crossed
        }
        return total
    }

    /// Parses one frame and appends its events to `events`.
    /// - Throws: ``StreamParseError`` for a malformed frame (counted; nothing is appended or applied).
    public mutating func process(_ frame: UnsafeRawBufferPointer, receivedNs: Int64,
                                 events: inout [MarketEvent]) throws(StreamParseError) -> Handled {
        counts.frames += 1
        // The hot case straight through: an orderbook frame in Bybit's compact form.
        if let book = parser.compactOrderbook(frame) { return handleBook(book, receivedNs: receivedNs, events: &events) }
        let message: BybitStreamMessage
        do {
            message = try parser.parse(frame)
        } catch {
            counts.malformed += 1
            throw error
        }
        return handle(message, receivedNs: receivedNs, events: &events)
    }

    /// Parses one text frame and appends its events to `events`.
    public mutating func process(_ text: String, receivedNs: Int64, events: inout [MarketEvent]) throws(StreamParseError) -> Handled {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(StreamParseError) -> Handled in try process(UnsafeRawBufferPointer(bytes), receivedNs: receivedNs, events: &events) }
        }
        return try result.get()
    }

    /// Marks every book stale until its next snapshot (the connection is gone); returns the transitions.
    public mutating func invalidateAll(reason: String) -> [(symbol: SymbolID, change: BybitBookSync.StatusChange)] {
        var changes: [(symbol: SymbolID, change: BybitBookSync.StatusChange)] = []
        for index in syncs.indices {
            if let change = syncs[index].invalidate(reason: reason) { changes.append((syncs[index].symbol, change)) }
        }
        return changes
    }

    private mutating func symbol(_ venueSymbol: String) -> SymbolID? {
        if let id = symbols[venueSymbol] { return id }
        guard registering else { return nil }
        let id = SymbolID(UInt32(symbols.count))
        symbols[venueSymbol] = id
        return id
    }

    @inline(__always)
    private mutating func handleBook(_ book: BybitStreamMessage.Orderbook, receivedNs: Int64, events: inout [MarketEvent]) -> Handled {
        counts.bookMessages += 1
        let key = BookKey(venueSymbol: book.symbol, depth: book.depth)
        guard let index = bookSlot(key) else {
            counts.unfollowed += 1
            return .unfollowed(topic: key.topic)
        }
        let outcome = syncs[index].apply(book, receivedNs: receivedNs, into: &events)
        switch outcome.action {
        case .snapshot, .reset, .delta:
            if outcome.topChanged, let quote = syncs[index].quote(tsEvent: book.tsNs, tsRecv: receivedNs) { events.append(.quote(quote)) }
        case .dropped, .gap, .crossed:
            break
        }
        return .book(symbol: syncs[index].symbol, key: key, outcome: outcome)
    }

    private mutating func handle(_ message: BybitStreamMessage, receivedNs: Int64, events: inout [MarketEvent]) -> Handled {
        switch message {
        case .orderbook(let book):
            return handleBook(book, receivedNs: receivedNs, events: &events)
        case .trades(let message):
            counts.tradeMessages += 1
            guard let id = symbol(message.symbol) else {
                counts.unfollowed += 1
                return .unfollowed(topic: "publicTrade." + message.symbol)
            }
            for trade in message.trades {
                events.append(.trade(TradeTick(symbol: id, tsEvent: trade.timeNs, tsRecv: receivedNs, price: trade.price, size: trade.size,
                                               aggressor: trade.aggressor, tradeID: TradeID.from(trade.id))))
            }
            counts.trades += message.trades.count
            return .trades(symbol: id, count: message.trades.count)
        case .ticker(let message):
            counts.tickerMessages += 1
            guard let id = symbol(message.symbol) else {
                counts.unfollowed += 1
                return .unfollowed(topic: "tickers." + message.symbol)
            }
            let merged = tickers.apply(message)
            if merged == nil { counts.tickerDeltasDropped += 1 }
            return .ticker(symbol: id, ticker: merged)
        case .kline(let message):
            counts.klineMessages += 1
            guard let id = symbol(message.symbol) else {
                counts.unfollowed += 1
                return .unfollowed(topic: "kline.\(message.interval).\(message.symbol)")
            }
            var bars = 0
            for candle in message.candles where candle.confirmed {
                events.append(.bar(candle.bar(symbol: id, tsRecv: receivedNs)))
                bars += 1
            }
            counts.bars += bars
            return .kline(symbol: id, candles: message.candles.count, bars: bars)
        case .opResponse(let response):
            counts.opResponses += 1
            if !response.success { counts.failedOps += 1 }
            return .opResponse(response)
        case .pong:
            counts.pongs += 1
            return .pong
        case .unknown(let topic):
            counts.unknownTopics += 1
            return .unknownTopic(topic)
        }
    }
}
