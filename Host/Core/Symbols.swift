import Foundation

/// A host-assigned, dense symbol index; the same number crosses the C ABI as `tsh_symbol_id`.
public struct SymbolID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public var index: Int { Int(rawValue) }
    public static let none = SymbolID(UInt32.max)
    public static func < (lhs: SymbolID, rhs: SymbolID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "#\(rawValue)" }
}

/// Venue rules of one tradable instrument. All amounts are exact decimals.
///
/// ## Configuration keys:
/// - `tick_size` (decimal, required): smallest price increment.
/// - `lot_size` (decimal, required): smallest size increment.
/// - `min_size` (decimal, default = lot_size): smallest order size.
/// - `min_notional` (decimal, default 0): smallest price × size.
/// - `minimums` (`all` or `polymarket`, default `all`): with `polymarket`, `min_size` binds
///   resting orders only (GTC/GTD limits) and `min_notional` marketable ones only (market,
///   FOK, FAK) — Polymarket's 5-share and $1 rules.
public struct Instrument: Hashable, Sendable {
    /// Which orders the minimum size and notional apply to.
    public enum Minimums: String, Hashable, Sendable {
        /// Both bind every order.
        case all
        /// Minimum size binds resting orders, minimum notional marketable ones.
        case polymarket
    }

    public var symbol: String
    public var venue: String
    public var baseAsset: String
    public var quoteAsset: String
    public var tickSize: Decimal
    public var lotSize: Decimal
    public var minSize: Decimal
    public var minNotional: Decimal
    public var minimums: Minimums

    public init(
        symbol: String, venue: String, baseAsset: String, quoteAsset: String,
        tickSize: Decimal, lotSize: Decimal, minSize: Decimal? = nil, minNotional: Decimal = 0, minimums: Minimums = .all
    ) {
        self.minimums = minimums
        self.symbol = symbol
        self.venue = venue
        self.baseAsset = baseAsset
        self.quoteAsset = quoteAsset
        self.tickSize = tickSize
        self.lotSize = lotSize
        self.minSize = minSize ?? lotSize
        self.minNotional = minNotional
    }

    /// A generic instrument for a symbol with no venue metadata: base/quote guessed from a
    /// common quote-asset suffix, 0.01 tick, 0.0001 lot.
    public static func generic(symbol: String, venue: String) -> Instrument {
        let quotes = ["USDT", "USDC", "USD", "BTC", "ETH", "EUR"]
        let quote = quotes.first { symbol.hasSuffix($0) && symbol.count > $0.count } ?? "USD"
        let base = symbol.hasSuffix(quote) ? String(symbol.dropLast(quote.count)) : symbol
        return Instrument(
            symbol: symbol, venue: venue, baseAsset: base, quoteAsset: quote,
            tickSize: Decimal(string: "0.01")!, lotSize: Decimal(string: "0.0001")!)
    }
}

/// Interns symbol names (per venue) into dense `SymbolID`s and keeps their instruments.
///
/// - Important: Not thread-safe. Built during start-up, then read on the engine thread.
public struct SymbolTable: Sendable {
    public private(set) var instruments: [Instrument] = []
    private var ids: [String: SymbolID] = [:]

    public init() {}

    private static func key(_ venue: String, _ symbol: String) -> String { venue + ":" + symbol }

    /// The id of the instrument, registering it when new (metadata of a known one is updated).
    @discardableResult
    public mutating func register(_ instrument: Instrument) -> SymbolID {
        let key = Self.key(instrument.venue, instrument.symbol)
        if let id = ids[key] {
            instruments[id.index] = instrument
            return id
        }
        let id = SymbolID(UInt32(instruments.count))
        instruments.append(instrument)
        ids[key] = id
        return id
    }

    public func id(venue: String, symbol: String) -> SymbolID? { ids[Self.key(venue, symbol)] }
    /// The first instrument named `symbol` on any venue (the journal stores names only).
    public func id(of symbol: String) -> SymbolID? {
        instruments.firstIndex { $0.symbol == symbol }.map { SymbolID(UInt32($0)) }
    }
    public func instrument(_ id: SymbolID) -> Instrument? {
        id.index < instruments.count ? instruments[id.index] : nil
    }
    /// The instrument's symbol name (without copying the whole instrument, on per-signal paths).
    public func name(_ id: SymbolID) -> String? {
        id.index < instruments.count ? instruments[id.index].symbol : nil
    }
    public var count: Int { instruments.count }
}
