@_exported import CStrategyHostSDK

/// A host-assigned symbol id (dense, stable for the process).
public struct SymbolID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    /// "No symbol", for signals and lookups at instance level.
    public static let none = SymbolID(UInt32.max)
    @inlinable public var index: Int { Int(rawValue) }
    public static func < (a: SymbolID, b: SymbolID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "#\(rawValue)" }
}

public enum Side: Int32, Sendable { case buy = 1, sell = -1 }
public enum OrderType: Int32, Sendable { case market = 1, limit = 2 }
public enum TimeInForce: Int32, Sendable { case gtc = 1, gtd = 2, fok = 3, fak = 4 }
public enum Mode: Int32, Sendable { case paper = 1, live = 2 }
public enum LogLevel: Int32, Sendable { case trace = 0, debug, info, notice, warning, error, critical }

/// The status an order update reports; raw values match `tsh_order_status`.
public enum OrderStatus: Int32, Sendable {
    case submitted = 1, accepted, partiallyFilled, filled, canceled, rejected, expired, denied
}

/// The role a kind plays on the signal bus.
public enum Role: String, Sendable, CaseIterable {
    case trigger = "tsh.role.trigger/1"
    case scorer = "tsh.role.scorer/1"
    case detector = "tsh.role.detector/1"
    case strategy = "tsh.role.strategy/1"
}

/// Event types a kind subscribes to.
public struct EventMask: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let quote = EventMask(rawValue: 1 << 1)
    public static let trade = EventMask(rawValue: 1 << 2)
    public static let book = EventMask(rawValue: 1 << 3)
    public static let bar = EventMask(rawValue: 1 << 4)
    public static let timer = EventMask(rawValue: 1 << 5)
    public static let signal = EventMask(rawValue: 1 << 6)
    public static let oracle = EventMask(rawValue: 1 << 7)
    public static let order = EventMask(rawValue: 1 << 8)
    public static let marketData: EventMask = [.quote, .trade, .book, .bar, .oracle]
}

// MARK: - Events, as Swift values copied from the C structs

public struct EventInfo: Sendable {
    public var symbol: SymbolID
    /// Venue time, ns since the Unix epoch.
    public var eventTime: Int64
    /// Host receive time; the engine clock.
    public var time: Int64
    public var sequence: UInt64
    public var isReplay: Bool
    /// The symbol's feed is stale or resyncing: data may be old; do not enter on it.
    public var isStale: Bool
    /// A past bar the host loaded before a live start (to warm indicators up), not a new one.
    public var isHistory: Bool
    init(_ h: tsh_event_header) {
        symbol = SymbolID(h.symbol_id)
        eventTime = h.ts_event_ns
        time = h.ts_recv_ns
        sequence = h.seq
        isReplay = h.flags & UInt16(TSH_EVENT_FLAG_REPLAY) != 0
        isStale = h.flags & UInt16(TSH_EVENT_FLAG_STALE) != 0
        isHistory = h.flags & UInt16(TSH_EVENT_FLAG_HISTORY) != 0
    }
}

public struct Quote: Sendable {
    public var info: EventInfo
    public var bidPrice: Double, bidSize: Double, askPrice: Double, askSize: Double
    @inlinable public var symbol: SymbolID { info.symbol }
    @inlinable public var mid: Double { (bidPrice + askPrice) * 0.5 }
}

public struct Trade: Sendable {
    public var info: EventInfo
    public var price: Double, size: Double
    /// The taker's side, nil when unknown.
    public var aggressor: Side?
    /// SDK 1.1: the venue's trade id (decimal ids as their value, others hashed); nil when the
    /// host or the venue does not say.
    public var tradeID: UInt64?
    @inlinable public var symbol: SymbolID { info.symbol }

    public init(info: EventInfo, price: Double, size: Double, aggressor: Side?, tradeID: UInt64? = nil) {
        self.info = info
        self.price = price
        self.size = size
        self.aggressor = aggressor
        self.tradeID = tradeID
    }
}

public struct BookLevel: Sendable, Hashable {
    public var price: Double
    public var size: Double
}

public struct BookChange: Sendable, Hashable {
    public var side: Side
    public var price: Double
    /// Zero removed the level.
    public var size: Double
    @inlinable public init(side: Side, price: Double, size: Double) {
        self.side = side
        self.price = price
        self.size = size
    }
}

/// The changed levels of one book message, read in place from the host's event (no copy).
///
/// - Important: Valid only during the `onBook` callback that received it (the host owns the
///   memory); keep `Array(update.changes)` to use them later.
public struct BookChanges: RandomAccessCollection, @unchecked Sendable {
    // @unchecked: a read-only view of host memory, used on the engine thread during one callback.
    @usableFromInline let base: UnsafePointer<tsh_book_change>?
    public let count: Int

    @inlinable init(base: UnsafePointer<tsh_book_change>?, count: Int) {
        self.base = base
        self.count = base == nil ? 0 : count
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }
    @inlinable public subscript(position: Int) -> BookChange {
        let c = base![position]
        return BookChange(side: Side(rawValue: c.side) ?? .buy, price: c.price, size: c.size)
    }
}

/// The host applied these changes to its book; read deeper levels with `PluginContext.bookLevels`.
public struct BookUpdate: Sendable {
    public var info: EventInfo
    /// Valid during the callback only (see `BookChanges`).
    public var changes: BookChanges
    public var isSnapshot: Bool
    public var bestBid: BookLevel?
    public var bestAsk: BookLevel?
    /// SDK 1.1: the venue's sequence number of the message (Binance/Bybit `u`); 0 when the
    /// source has none (Tardis files) or the host speaks 1.0.
    public var venueSequence: UInt64 = 0
    @inlinable public var symbol: SymbolID { info.symbol }
}

extension Bar {
    /// A host bar event (1.1 fields zero-filled by `ABIGrowth.load` for a 1.0 host's smaller
    /// event, so `fields` is 0 and they are nil).
    init(_ e: tsh_bar_event, info: EventInfo) {
        let has = { (bit: UInt32) in e.fields & bit != 0 }
        self.init(info: info, openTime: e.open_time_ns, interval: e.interval_ns, open: e.open, high: e.high,
                  low: e.low, close: e.close, volume: e.volume,
                  quoteVolume: has(TSH_BAR_HAS_QUOTE_VOLUME) ? e.quote_volume : nil,
                  buyVolume: has(TSH_BAR_HAS_BUY_SELL_VOLUME) ? e.buy_volume : nil,
                  sellVolume: has(TSH_BAR_HAS_BUY_SELL_VOLUME) ? e.sell_volume : nil,
                  vwap: has(TSH_BAR_HAS_VWAP) ? e.vwap : nil,
                  trades: has(TSH_BAR_HAS_TRADES) ? Int(clamping: e.trades) : nil)
    }
}

public struct Bar: Sendable {
    public var info: EventInfo
    public var openTime: Int64, interval: Int64
    public var open: Double, high: Double, low: Double, close: Double, volume: Double
    /// SDK 1.1 (nil from a 1.0 host, or when the bar's source does not say — e.g. a venue's
    /// history bar without them): Σ price·amount, volumes by aggressor side, VWAP, trades.
    public var quoteVolume: Double?
    public var buyVolume: Double?
    public var sellVolume: Double?
    public var vwap: Double?
    public var trades: Int?

    public init(info: EventInfo, openTime: Int64, interval: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double,
                quoteVolume: Double? = nil, buyVolume: Double? = nil, sellVolume: Double? = nil, vwap: Double? = nil, trades: Int? = nil) {
        self.info = info
        self.openTime = openTime
        self.interval = interval
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.buyVolume = buyVolume
        self.sellVolume = sellVolume
        self.vwap = vwap
        self.trades = trades
    }
}

public struct TimerFired: Sendable {
    public var info: EventInfo
    public var timerID: UInt64
    public var tag: UInt64
    public var scheduledTime: Int64
}

public struct Signal: Sendable {
    public var info: EventInfo
    public var name: String
    public var sourceInstance: String
    public var sourcePlugin: String
    public var payload: String
    public var direction: Int32
    public var value: Double
    public var confidence: Double
    /// SDK 1.1: the named numbers the emitter attached (empty from a 1.0 host or emitter).
    public var fields: [(name: String, value: Double)] = []
    @inlinable public var symbol: SymbolID { info.symbol }

    /// The value of a named field, nil when the signal does not carry it.
    public func field(_ name: String) -> Double? { fields.first { $0.name == name }?.value }
}

public struct OracleTick: Sendable {
    public var info: EventInfo
    public var source: String
    public var price: Double
}

public struct OrderEvent: Sendable {
    public var info: EventInfo
    public var clientOrderID: UInt64
    public var status: OrderStatus
    /// `tsh_deny_reason` for `.denied`, else 0.
    public var denyReason: Int32
    public var side: Side
    public var lastFillPrice: Double, lastFillSize: Double, filledSize: Double, remainingSize: Double
    public var averageFillPrice: Double, fee: Double
    public var reason: String
    public var venueOrderID: String
}

// MARK: - Values from host services

public struct InstrumentInfo: Sendable {
    public var symbol: String, venue: String, baseAsset: String, quoteAsset: String
    public var tickSize: Double, lotSize: Double, minSize: Double, minNotional: Double
}

public struct Position: Sendable {
    public var quantity: Double, averagePrice: Double, realizedPnL: Double, unrealizedPnL: Double, fees: Double
}

public struct Balance: Sendable {
    public var total: Double, available: Double, locked: Double
}

public struct OpenOrder: Sendable {
    public var clientOrderID: UInt64
    public var symbol: SymbolID
    public var side: Side
    public var type: OrderType
    public var status: OrderStatus
    public var price: Double, size: Double, filledSize: Double
}

/// A failure reported by the host, or thrown by a plugin to the host.
public struct PluginError: Error, Sendable, CustomStringConvertible {
    /// A `tsh_status`; for `TSH_ERR_DENIED`, `denyReason` says why.
    public var status: Int32
    public var denyReason: Int32
    public var message: String
    public init(status: Int32 = TSH_ERR_PLUGIN, denyReason: Int32 = 0, _ message: String) {
        self.status = status
        self.denyReason = denyReason
        self.message = message
    }
    public var isDenied: Bool { status == TSH_ERR_DENIED }
    public var description: String { message }
}

func makeString(_ s: tsh_str) -> String {
    guard let ptr = s.ptr, s.len > 0 else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: ptr, count: Int(s.len)), as: UTF8.self)
}
