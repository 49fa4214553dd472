import HostCore

/// Turns parsed Binance stream messages into engine events for a set of symbols: diff depth
/// through each symbol's ``BinanceBookSync``, `bookTicker` into quotes, `trade`/`aggTrade`
/// into trades, closed klines into bars. The live stream client and replay-frames both run
/// every message through this one type, so a replay reproduces what live did.
///
/// Messages seen twice — the overlap of two connections while one replaces the other — are
/// dropped: depth by update ids (the book sync), trades by trade id (a window of the last
/// 4096 ids per symbol, so a late one is still delivered once), quotes by `u`, bars by open
/// time.
///
/// - Important: Not thread-safe; the owner serialises calls (the client holds it in a `Mutex`).
public struct BinanceFeedProcessor: Sendable {
    /// Messages by kind and what was dropped.
    public struct Counts: Sendable, Hashable, Codable {
        public var depthUpdates = 0
        public var bookTickers = 0
        public var trades = 0
        public var aggTrades = 0
        public var klines = 0
        public var partialDepths = 0
        public var serverShutdowns = 0
        public var responses = 0
        public var errors = 0
        /// Payloads of a kind not modelled (counted by the caller's parser as well).
        public var unknown = 0
        /// Quotes, trades and bars dropped as already delivered.
        public var duplicates = 0
        /// Messages for a symbol not subscribed (only without `autoRegister`).
        public var unknownSymbols = 0

        public init() {}
    }

    /// What the caller must do besides delivering events.
    public enum Effect: Sendable, Hashable {
        /// A symbol's book went stale (with the reason) or fresh.
        case status(SymbolID, stale: Bool, reason: String)
        /// Fetch `/api/v3/depth` for this venue symbol and hand it to ``applySnapshot(_:venueSymbol:tsRecv:events:effects:)``.
        case requestSnapshot(venueSymbol: String)
        /// The server will close the connection that sent this: replace it.
        case serverShutdown
        /// The venue refused a control message.
        case controlError(BinanceControlError)
    }

    /// One subscribed symbol's state.
    struct Slot: Sendable {
        let id: SymbolID
        let venueSymbol: String
        var book: BinanceBookSync
        var lastQuoteUpdate: Int64 = .min
        var trades = RecentIDs()
        var aggTrades = RecentIDs()
        var lastClosedKline: [String: Int64] = [:]
    }

    public private(set) var counts = Counts()
    /// Symbols seen in frames but not subscribed get the next free id when true (replay).
    public let autoRegister: Bool
    private let maxBuffered: Int
    private var slots: [Slot] = []
    private var index: [String: Int] = [:]
    /// The last symbol looked up and its slot.
    private var lastSymbol = ""
    private var lastSlot = -1

    /// - Parameters:
    ///   - symbols: host ids and venue symbols (any case; Binance payloads use upper case).
    ///   - autoRegister: give symbols not listed an id when they first appear (replay-frames).
    ///   - maxBuffered: diff events kept per symbol while a snapshot is fetched.
    public init(symbols: [(id: SymbolID, venueSymbol: String)], autoRegister: Bool = false, maxBuffered: Int = 10_000) {
        self.autoRegister = autoRegister
        self.maxBuffered = maxBuffered
        for symbol in symbols { _ = register(symbol.venueSymbol, id: symbol.id) }
    }

    /// Venue symbols (upper case) in registration order.
    public var venueSymbols: [String] { slots.map(\.venueSymbol) }

    /// The book of a venue symbol (any case).
    public func book(_ venueSymbol: String) -> BinanceBookSync? {
        index[venueSymbol.uppercased()].map { slots[$0].book }
    }

    /// The host id of a venue symbol (any case).
    public func symbolID(_ venueSymbol: String) -> SymbolID? {
        index[venueSymbol.uppercased()].map { slots[$0].id }
    }

    /// Every book's counts, summed (kept as books change, so reading it is O(1)).
    public private(set) var bookCounts = BinanceBookSync.Counts()

    private mutating func register(_ venueSymbol: String, id: SymbolID) -> Int {
        let key = venueSymbol.uppercased()
        if let existing = index[key] { return existing }
        slots.append(Slot(id: id, venueSymbol: key, book: BinanceBookSync(symbol: id, maxBuffered: maxBuffered)))
        index[key] = slots.count - 1
        return slots.count - 1
    }

    @inline(__always)
    private mutating func slot(for venueSymbol: String) -> Int? {
        // Consecutive messages are mostly for the same symbol: skip the hash.
        if lastSlot >= 0, venueSymbol == lastSymbol { return lastSlot }
        if let found = index[venueSymbol] {
            lastSymbol = venueSymbol
            lastSlot = found
            return found
        }
        if let found = index[venueSymbol.uppercased()] { return found }
        guard autoRegister else {
            counts.unknownSymbols += 1
            return nil
        }
        return register(venueSymbol, id: SymbolID(UInt32(slots.count)))
    }

    // MARK: Inputs

    /// Processes one message received at `tsRecv` (ns): appends engine events and effects.
    public mutating func process(_ message: BinanceStreamMessage, tsRecv: Int64, events: inout [MarketEvent], effects: inout [Effect]) {
        switch message {
        case .depthUpdate(let update):
            counts.depthUpdates += 1
            guard let i = slot(for: update.symbol) else { return }
            events.reserveCapacity(events.count + update.levels.count)
            let before = slots[i].book.counts
            let result = slots[i].book.apply(update, tsRecv: tsRecv) { events.append(.bookDelta($0)) }
            account(before, slots[i].book.counts)
            perform(result, slot: i, effects: &effects)

        case .bookTicker(let ticker):
            counts.bookTickers += 1
            guard let i = slot(for: ticker.symbol) else { return }
            guard ticker.updateID > slots[i].lastQuoteUpdate else {
                counts.duplicates += 1
                return
            }
            slots[i].lastQuoteUpdate = ticker.updateID
            events.append(.quote(QuoteTick(symbol: slots[i].id, tsEvent: ticker.eventTime ?? tsRecv, tsRecv: tsRecv,
                                           bidPrice: ticker.bidPrice, bidSize: ticker.bidSize, askPrice: ticker.askPrice, askSize: ticker.askSize)))

        case .trade(let trade):
            counts.trades += 1
            guard let i = slot(for: trade.symbol) else { return }
            guard slots[i].trades.insert(trade.tradeID) else {
                counts.duplicates += 1
                return
            }
            events.append(.trade(TradeTick(symbol: slots[i].id, tsEvent: trade.tradeTime, tsRecv: tsRecv, price: trade.price,
                                           size: trade.size, aggressor: trade.aggressor, tradeID: UInt64(clamping: trade.tradeID))))

        case .aggTrade(let trade):
            counts.aggTrades += 1
            guard let i = slot(for: trade.symbol) else { return }
            guard slots[i].aggTrades.insert(trade.aggregateTradeID) else {
                counts.duplicates += 1
                return
            }
            events.append(.trade(TradeTick(symbol: slots[i].id, tsEvent: trade.tradeTime, tsRecv: tsRecv, price: trade.price,
                                           size: trade.size, aggressor: trade.aggressor, tradeID: UInt64(clamping: trade.aggregateTradeID))))

        case .kline(let kline):
            counts.klines += 1
            guard kline.isClosed, let i = slot(for: kline.symbol) else { return }
            if let last = slots[i].lastClosedKline[kline.interval], kline.openTime <= last {
                counts.duplicates += 1
                return
            }
            slots[i].lastClosedKline[kline.interval] = kline.openTime
            // `T` is the candle's last millisecond; the bar closes one millisecond later.
            let end = kline.closeTime + 1_000_000
            events.append(.bar(BarEvent(symbol: slots[i].id, tsEvent: end, tsRecv: tsRecv, openTime: kline.openTime,
                                        interval: end - kline.openTime, open: kline.open, high: kline.high, low: kline.low,
                                        close: kline.close, volume: kline.volume)))

        case .partialDepth(let partial):
            counts.partialDepths += 1
            guard let symbol = partial.symbol, let i = slot(for: symbol) else { return }
            if partial.isRecordedSnapshot {
                let before = slots[i].book.counts
                let result = slots[i].book.applySnapshot(partial.book, tsRecv: tsRecv) { events.append(.bookDelta($0)) }
                account(before, slots[i].book.counts)
                perform(result, slot: i, effects: &effects)
            } else if slots[i].book.lastUpdateID == nil, slots[i].book.bufferedCount == 0 {
                // A partial-book stream (no diff stream for this symbol): each message replaces the book.
                BinanceBookSync.snapshotRows(partial.book, symbol: slots[i].id, tsRecv: tsRecv) { events.append(.bookDelta($0)) }
            }

        case .serverShutdown:
            counts.serverShutdowns += 1
            effects.append(.serverShutdown)

        case .response:
            counts.responses += 1

        case .error(let error):
            counts.errors += 1
            effects.append(.controlError(error))

        case .unknown:
            counts.unknown += 1
        }
    }

    /// Hands a fetched (or recorded) `/api/v3/depth` snapshot to a symbol's book.
    public mutating func applySnapshot(_ snapshot: BinanceDepthSnapshot, venueSymbol: String, tsRecv: Int64,
                                       events: inout [MarketEvent], effects: inout [Effect]) {
        guard let i = slot(for: venueSymbol) else { return }
        events.reserveCapacity(events.count + snapshot.bids.count + snapshot.asks.count + 2)
        let before = slots[i].book.counts
        let result = slots[i].book.applySnapshot(snapshot, tsRecv: tsRecv) { events.append(.bookDelta($0)) }
        account(before, slots[i].book.counts)
        perform(result, slot: i, effects: &effects)
    }

    /// Marks books stale (their connection was lost): they resynchronise from the next events.
    public mutating func invalidate(venueSymbols: some Sequence<String>, reason: String, effects: inout [Effect]) {
        for symbol in venueSymbols {
            guard let i = index[symbol.uppercased()] else { continue }
            let before = slots[i].book.counts
            let result = slots[i].book.invalidate(reason: reason)
            account(before, slots[i].book.counts)
            perform(result, slot: i, effects: &effects)
        }
    }

    @inline(__always)
    private mutating func account(_ before: BinanceBookSync.Counts, _ after: BinanceBookSync.Counts) {
        bookCounts.applied += after.applied - before.applied
        bookCounts.droppedStale += after.droppedStale - before.droppedStale
        bookCounts.gaps += after.gaps - before.gaps
        bookCounts.resyncs += after.resyncs - before.resyncs
        bookCounts.snapshotsApplied += after.snapshotsApplied - before.snapshotsApplied
        bookCounts.snapshotsRejected += after.snapshotsRejected - before.snapshotsRejected
        bookCounts.bufferOverflows += after.bufferOverflows - before.bufferOverflows
    }

    @inline(__always)
    private func perform(_ result: BinanceBookSync.Effects, slot i: Int, effects: inout [Effect]) {
        if let status = result.status {
            switch status {
            case .fresh: effects.append(.status(slots[i].id, stale: false, reason: "synchronised"))
            case .stale(let reason): effects.append(.status(slots[i].id, stale: true, reason: reason))
            }
        }
        if result.requestSnapshot { effects.append(.requestSnapshot(venueSymbol: slots[i].venueSymbol)) }
    }
}

/// Which of the last 4096 ids (below the highest seen) were delivered: exact de-duplication
/// with bounded memory; an id older than the window counts as seen.
struct RecentIDs: Sendable {
    private static let span: Int64 = 4096
    private var highest: Int64 = .min
    private var bits: [UInt64] = []

    /// Records `id`; false when it was already seen (or is too old to tell).
    @inline(__always)
    mutating func insert(_ id: Int64) -> Bool {
        if bits.isEmpty { bits = Array(repeating: 0, count: Int(Self.span / 64)) }
        if highest == .min || id > highest {
            if highest != .min {
                if id - highest >= Self.span {
                    for w in bits.indices { bits[w] = 0 }
                } else {
                    var clear = highest + 1
                    while clear < id {
                        clearBit(clear)
                        clear += 1
                    }
                }
            }
            highest = id
            setBit(id)
            return true
        }
        if id <= highest - Self.span { return false }
        if testBit(id) { return false }
        setBit(id)
        return true
    }

    @inline(__always) private func position(_ id: Int64) -> (word: Int, mask: UInt64) {
        let bit = Int(id & (Self.span - 1))
        return (bit >> 6, UInt64(1) << UInt64(bit & 63))
    }

    @inline(__always) private mutating func setBit(_ id: Int64) {
        let p = position(id)
        bits[p.word] |= p.mask
    }

    @inline(__always) private mutating func clearBit(_ id: Int64) {
        let p = position(id)
        bits[p.word] &= ~p.mask
    }

    @inline(__always) private func testBit(_ id: Int64) -> Bool {
        let p = position(id)
        return bits[p.word] & p.mask != 0
    }
}
