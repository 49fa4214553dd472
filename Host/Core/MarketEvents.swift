/// Side of an order, a trade's aggressor or a book level. Raw values match the C ABI.
public enum Side: Int32, Sendable, Hashable, CustomStringConvertible {
    case buy = 1
    case sell = -1

    public var opposite: Side { self == .buy ? .sell : .buy }
    public var description: String { self == .buy ? "buy" : "sell" }
}

/// Top of book at one instant.
public struct QuoteTick: Sendable, Hashable {
    public var symbol: SymbolID
    /// Venue time, ns since the Unix epoch.
    public var tsEvent: Int64
    /// Local arrival time; the engine clock follows it.
    public var tsRecv: Int64
    public var bidPrice: Fixed8
    public var bidSize: Fixed8
    public var askPrice: Fixed8
    public var askSize: Fixed8

    public init(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64, bidPrice: Fixed8, bidSize: Fixed8, askPrice: Fixed8, askSize: Fixed8) {
        self.symbol = symbol
        self.tsEvent = tsEvent
        self.tsRecv = tsRecv
        self.bidPrice = bidPrice
        self.bidSize = bidSize
        self.askPrice = askPrice
        self.askSize = askSize
    }
}

/// One print on the tape.
public struct TradeTick: Sendable, Hashable {
    public var symbol: SymbolID
    public var tsEvent: Int64
    public var tsRecv: Int64
    public var price: Fixed8
    public var size: Fixed8
    /// The taker's side; nil when the venue does not say.
    public var aggressor: Side?
    /// The venue's trade id (`TradeID`); 0 when unknown.
    public var tradeID: UInt64

    public init(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64, price: Fixed8, size: Fixed8, aggressor: Side?, tradeID: UInt64 = 0) {
        self.tradeID = tradeID
        self.symbol = symbol
        self.tsEvent = tsEvent
        self.tsRecv = tsRecv
        self.price = price
        self.size = size
        self.aggressor = aggressor
    }
}

/// One changed level of an L2 book; size zero removes the level.
public struct BookChange: Sendable, Hashable {
    public var side: Side
    public var price: Fixed8
    public var size: Fixed8
    public init(side: Side, price: Fixed8, size: Fixed8) {
        self.side = side
        self.price = price
        self.size = size
    }
}

/// One row of an L2 feed: a level's new size (zero removes it).
///
/// Feeds send a message's rows as consecutive deltas of one symbol and flag the last one
/// `endOfBatch`; the engine applies each row to its book and delivers one book event per
/// batch. Rows flagged `isSnapshot` replace the side they name: the first snapshot row of a
/// side after a non-snapshot row (or after a batch end) clears that side. The value is
/// trivially copyable, so queues and recordings move it without reference counting.
public struct BookDelta: Sendable, Hashable {
    public var symbol: SymbolID
    public var tsEvent: Int64
    public var tsRecv: Int64
    public var side: Side
    public var price: Fixed8
    public var size: Fixed8
    public var flags: Flags
    /// The venue's sequence number of the message this row ends (Binance's final update id `u`,
    /// a snapshot's `lastUpdateId`, Bybit's `u`); set on the `endOfBatch` row only, 0 when the
    /// source has none (Tardis files, the simulator).
    public var venueSequence: UInt64 = 0

    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The row belongs to a snapshot of its side.
        public static let snapshot = Flags(rawValue: 1)
        /// The last row of its message: the book is consistent after it.
        public static let endOfBatch = Flags(rawValue: 2)
    }

    public init(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64, side: Side, price: Fixed8, size: Fixed8, flags: Flags) {
        self.symbol = symbol
        self.tsEvent = tsEvent
        self.tsRecv = tsRecv
        self.side = side
        self.price = price
        self.size = size
        self.flags = flags
    }

    @inlinable public var isSnapshot: Bool { flags.contains(.snapshot) }
    @inlinable public var isEndOfBatch: Bool { flags.contains(.endOfBatch) }

    /// The row with `venueSequence` set.
    public func sequenced(_ sequence: UInt64) -> BookDelta {
        var row = self
        row.venueSequence = sequence
        return row
    }
}

/// A batch of L2 changes that arrived together, as a producer builds it; `events` turns it
/// into the `BookDelta` rows the engine takes. A snapshot replaces the sides it names
/// (both when it is empty).
public struct BookUpdate: Sendable, Hashable {
    public var symbol: SymbolID
    public var tsEvent: Int64
    public var tsRecv: Int64
    public var isSnapshot: Bool
    public var changes: [BookChange]
    /// The venue's sequence number of the message (0: none); on the last row.
    public var venueSequence: UInt64
    public init(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64, isSnapshot: Bool, changes: [BookChange], venueSequence: UInt64 = 0) {
        self.venueSequence = venueSequence
        self.symbol = symbol
        self.tsEvent = tsEvent
        self.tsRecv = tsRecv
        self.isSnapshot = isSnapshot
        self.changes = changes
    }

    /// The batch as engine events, the last flagged `endOfBatch`. An empty snapshot becomes
    /// a zero-size row on each side, so both sides are cleared.
    public var events: [MarketEvent] {
        var rows = changes
        if isSnapshot && rows.isEmpty {
            rows = [BookChange(side: .buy, price: Fixed8(raw: 0), size: Fixed8(raw: 0)),
                    BookChange(side: .sell, price: Fixed8(raw: 0), size: Fixed8(raw: 0))]
        }
        var flags: BookDelta.Flags = isSnapshot ? [.snapshot] : []
        return rows.indices.map { i in
            if i == rows.count - 1 { flags.insert(.endOfBatch) }
            var row = BookDelta(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv, side: rows[i].side,
                                price: rows[i].price, size: rows[i].size, flags: flags)
            if i == rows.count - 1 { row.venueSequence = venueSequence }
            return .bookDelta(row)
        }
    }
}

/// An OHLCV bar; `tsEvent` is its close time.
public struct BarEvent: Sendable, Hashable {
    public var symbol: SymbolID
    public var tsEvent: Int64
    public var tsRecv: Int64
    public var openTime: Int64
    public var interval: Int64
    public var open: Fixed8
    public var high: Fixed8
    public var low: Fixed8
    public var close: Fixed8
    public var volume: Fixed8
    /// A past bar loaded from the venue before a live start (delivered with `TSH_EVENT_FLAG_HISTORY`).
    public var isHistory: Bool = false
    public init(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64, openTime: Int64, interval: Int64,
                open: Fixed8, high: Fixed8, low: Fixed8, close: Fixed8, volume: Fixed8) {
        self.symbol = symbol
        self.tsEvent = tsEvent
        self.tsRecv = tsRecv
        self.openTime = openTime
        self.interval = interval
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }
}

/// A short ASCII/UTF-8 name (at most 15 bytes) stored inline, so events that carry one stay
/// trivially copyable: oracle sources ("chainlink", "binance", "twap-60s").
public struct ShortName: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    @usableFromInline var low: UInt64 = 0
    /// Bytes 8–14 and, in the top byte, the length.
    @usableFromInline var high: UInt64 = 0

    public static let maximumLength = 15

    /// The first 15 bytes of `text` (cut at a character boundary).
    public init(_ text: String) {
        var bytes = Array(text.utf8.prefix(Self.maximumLength))
        while !bytes.isEmpty, String(validating: bytes, as: UTF8.self) == nil { bytes.removeLast() }
        for (i, byte) in bytes.enumerated() {
            if i < 8 { low |= UInt64(byte) << (8 * UInt64(i)) } else { high |= UInt64(byte) << (8 * UInt64(i - 8)) }
        }
        high |= UInt64(bytes.count) << 56
    }

    public init(stringLiteral value: String) { self.init(value) }

    public var count: Int { Int(high >> 56) }

    /// The bytes, for C boundaries; valid only inside `body`.
    public func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        var words = (low.littleEndian, (high & 0x00FF_FFFF_FFFF_FFFF).littleEndian)
        let n = count
        return try withUnsafeBytes(of: &words) { raw in
            try body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n))
        }
    }

    public var description: String { withUTF8 { String(decoding: $0, as: UTF8.self) } }
}

/// A reference price from an oracle (e.g. a Chainlink tick relayed by Polymarket RTDS).
public struct OraclePrice: Sendable, Hashable {
    public var symbol: SymbolID
    public var tsEvent: Int64
    public var tsRecv: Int64
    /// "chainlink", "binance", "twap", …
    public var source: ShortName
    public var price: Fixed8
    public init(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64, source: ShortName, price: Fixed8) {
        self.symbol = symbol
        self.tsEvent = tsEvent
        self.tsRecv = tsRecv
        self.source = source
        self.price = price
    }
}

/// The final value of a binary outcome token (1 or 0 for a resolved up/down window): the
/// host closes every position in the symbol at this price and cancels its working orders.
public struct Settlement: Sendable, Hashable {
    public var symbol: SymbolID
    public var tsEvent: Int64
    public var tsRecv: Int64
    public var price: Fixed8
    public init(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64, price: Fixed8) {
        self.symbol = symbol
        self.tsEvent = tsEvent
        self.tsRecv = tsRecv
        self.price = price
    }
}

/// A normalized market-data event, as feeds hand them to the engine.
public enum MarketEvent: Sendable, Hashable {
    case quote(QuoteTick)
    case trade(TradeTick)
    case bookDelta(BookDelta)
    case bar(BarEvent)
    case oracle(OraclePrice)
    case settlement(Settlement)

    @inlinable public var tsRecv: Int64 {
        switch self {
        case .quote(let q): q.tsRecv
        case .trade(let t): t.tsRecv
        case .bookDelta(let b): b.tsRecv
        case .bar(let b): b.tsRecv
        case .oracle(let o): o.tsRecv
        case .settlement(let s): s.tsRecv
        }
    }

    @inlinable public var symbol: SymbolID {
        switch self {
        case .quote(let q): q.symbol
        case .trade(let t): t.symbol
        case .bookDelta(let b): b.symbol
        case .bar(let b): b.symbol
        case .oracle(let o): o.symbol
        case .settlement(let s): s.symbol
        }
    }
}

/// Venue trade ids as one 64-bit number: decimal ids as their value, any other text (Bybit's
/// UUIDs on linear contracts) as its FNV-1a 64-bit hash; 0 means unknown.
public enum TradeID {
    // Inlinable: the Tardis parser calls it for every trade row with a buffer of bytes; across
    // modules it ran unspecialized (an iterator and value witnesses per byte, ~10 % of a parse
    // thread in the smart-candle backtest, perf).
    @inlinable public static func from(_ text: some Collection<UInt8>) -> UInt64 {
        guard !text.isEmpty else { return 0 }
        var value: UInt64 = 0
        var numeric = !text.isEmpty
        for byte in text {
            guard byte >= 48 && byte <= 57 else { numeric = false; break }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(UInt64(byte - 48))
            if o1 || o2 { numeric = false; break }
            value = plus
        }
        if numeric { return value }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash == 0 ? 1 : hash
    }

    public static func from(_ text: String) -> UInt64 { from(Array(text.utf8)) }
}
