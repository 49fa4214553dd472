import Foundation

/// The Tardis.dev CSV data types the host replays.
public enum TardisDataType: String, Sendable, Hashable, CaseIterable, Comparable {
    case quotes
    case trades
    case incrementalBookL2 = "incremental_book_L2"

    /// The header line every file of this type starts with.
    public var header: String {
        switch self {
        case .quotes: "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount"
        case .trades: "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"
        case .incrementalBookL2: "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount"
        }
    }

    /// Column names, in file order.
    public var columns: [Substring] { header.split(separator: ",") }

    /// Merge order at equal local_timestamps: quotes, then trades, then L2.
    var rank: Int {
        switch self {
        case .quotes: 0
        case .trades: 1
        case .incrementalBookL2: 2
        }
    }

    public static func < (lhs: TardisDataType, rhs: TardisDataType) -> Bool { lhs.rank < rhs.rank }
}

/// One file named like Tardis' downloads: `{exchange}_{data_type}_{date}_{symbol}.csv[.gz]`.
public struct TardisFile: Sendable, Hashable {
    /// Symbol parts Tardis uses for files that hold many symbols; their rows name their own.
    public static let groupedSymbols: Set<String> = ["OPTIONS", "FUTURES", "PERPETUALS", "SPOT"]

    public var path: String
    public var exchange: String
    public var dataType: TardisDataType
    /// `YYYY-MM-DD` as in the name.
    public var date: String
    /// The symbol part of the name (Tardis replaces `/` and `:` there, so rows may spell it
    /// differently).
    public var symbol: String
    public var isGzip: Bool

    /// Whether the file holds several symbols (see ``groupedSymbols``).
    public var isGrouped: Bool { Self.groupedSymbols.contains(symbol) }

    public init(path: String, exchange: String, dataType: TardisDataType, date: String, symbol: String, isGzip: Bool) {
        self.path = path
        self.exchange = exchange
        self.dataType = dataType
        self.date = date
        self.symbol = symbol
        self.isGzip = isGzip
    }

    /// Reads the parts from the file's name; nil when it is not a Tardis name of a supported
    /// data type (other Tardis types such as `book_snapshot_25` are not replayed).
    public init?(path: String) {
        var name = Substring(path.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
        if name.hasSuffix(".csv.gz") {
            isGzip = true
            name = name.dropLast(7)
        } else if name.hasSuffix(".csv") {
            isGzip = false
            name = name.dropLast(4)
        } else {
            return nil
        }
        // Exchanges contain '-', data types and symbols may contain '_': anchor on the type.
        for type in TardisDataType.allCases {
            guard let range = name.range(of: "_\(type.rawValue)_") else { continue }
            let exchange = name[..<range.lowerBound]
            let rest = name[range.upperBound...]
            let date = rest.prefix(10)
            guard !exchange.isEmpty, Self.isDate(date), rest.dropFirst(10).first == "_" else { continue }
            let symbol = rest.dropFirst(11)
            guard !symbol.isEmpty else { continue }
            self.path = path
            self.exchange = String(exchange)
            self.dataType = type
            self.date = String(date)
            self.symbol = String(symbol)
            return
        }
        return nil
    }

    private static func isDate(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
        return bytes.enumerated().allSatisfy { i, b in i == 4 || i == 7 || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) }
    }
}

/// What to replay from a Tardis directory. `host backtest` sets it from its flags (there are
/// no configuration keys for it):
/// - `symbols` (`--symbols`, default all): symbols to replay, matched case-insensitively against
///   the file name's symbol (a `/` or `:` in a symbol also matches the `-` Tardis writes in
///   names) and, in grouped files, against each row's symbol column.
/// - `dataTypes` (`--data-types`: `quotes`, `trades`, `incremental_book_L2`, default all).
/// - `from` / `to` (`--from` / `--to`; ns since the Unix epoch, optional): keep rows with
///   `from <= local_timestamp < to`.
/// - `skipMalformed` (`--skip-malformed`, default false): skip and count malformed rows instead
///   of failing. Malformed: a wrong field count, a bad timestamp, side, flag or number (see
///   `Fixed8Parser`), a symbol or exchange column that differs from the file's, and values that
///   are not market data — quotes: a side half empty (a side is both fields or neither), a price
///   ≤ 0, a negative amount, bid ≥ ask; trades: price or amount ≤ 0; L2: price ≤ 0, amount < 0
///   (0 deletes the level).
public struct TardisOptions: Sendable, Hashable {
    /// Symbols to keep (case-insensitive); nil keeps all.
    public var symbols: Set<String>?
    /// Data types to keep; nil keeps all.
    public var dataTypes: Set<TardisDataType>?
    /// Inclusive lower bound on local_timestamp, ns.
    public var from: Int64?
    /// Exclusive upper bound on local_timestamp, ns.
    public var to: Int64?
    public var skipMalformed: Bool

    public init(symbols: Set<String>? = nil, dataTypes: Set<TardisDataType>? = nil, from: Int64? = nil, to: Int64? = nil,
                skipMalformed: Bool = false) {
        self.symbols = symbols
        self.dataTypes = dataTypes
        self.from = from
        self.to = to
        self.skipMalformed = skipMalformed
    }

    /// Whether `symbol` passes the symbol filter.
    public func keeps(symbol: String) -> Bool {
        guard let symbols else { return true }
        let upper = symbol.uppercased()
        return symbols.contains { $0.uppercased() == upper }
    }
}
