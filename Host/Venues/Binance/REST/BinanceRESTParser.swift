import Foundation
import HostCore
import VenueKit

/// The byte parsers of the Binance spot REST bodies (one per format; `/api/v3/depth` is
/// ``BinanceDepthSnapshot/parse(_:)-(UnsafeRawBufferPointer)`` in Streams), on the kit's
/// ``JSONScanner``: no Foundation JSON, no `Double`. Each throws a ``StreamParseError`` that
/// names what was expected and the byte offset; nothing half-parsed is returned.
public enum BinanceRESTParser {
    /// `GET /api/v3/klines`: an array of 12-element rows, oldest first. Rejects rows out of
    /// time order, a high below the open/close/low or a low above the open/close.
    public static func klines(_ bytes: [UInt8]) throws(StreamParseError) -> [BinanceRESTKline] {
        try scan(bytes) { (s: inout JSONScanner) throws(StreamParseError) -> [BinanceRESTKline] in
            try s.beginArray()
            var rows: [BinanceRESTKline] = []
            var first = true
            while try s.nextElement(&first) {
                let rowStart = s.pos
                let row = try kline(&s)
                if let previous = rows.last, row.openTime <= previous.openTime {
                    throw StreamParseError(code: .invalidValue, offset: rowStart, expected: "kline open times ascending (\(row.openTime) after \(previous.openTime))")
                }
                rows.append(row)
            }
            try s.end()
            return rows
        }
    }

    /// `GET /api/v3/ticker/24hr`: one object (with `symbol`) or an array of them; FULL or MINI.
    public static func tickers24h(_ bytes: [UInt8]) throws(StreamParseError) -> [BinanceTicker24h] {
        try scan(bytes) { (s: inout JSONScanner) throws(StreamParseError) -> [BinanceTicker24h] in
            var out: [BinanceTicker24h] = []
            if s.peek() == UInt8(ascii: "[") {
                try s.beginArray()
                var first = true
                while try s.nextElement(&first) { out.append(try ticker(&s)) }
            } else {
                out.append(try ticker(&s))
            }
            try s.end()
            return out
        }
    }

    /// `GET /api/v3/exchangeInfo` → instruments (venue `binance`) for the TRADING symbols: tick
    /// size from PRICE_FILTER, lot size and minimum quantity from LOT_SIZE, minimum notional
    /// from NOTIONAL (since 2022) or MIN_NOTIONAL (older), base and quote assets. Other symbols
    /// are listed in ``BinanceExchangeInfo/skipped`` with the reason.
    public static func exchangeInfo(_ bytes: [UInt8]) throws(StreamParseError) -> BinanceExchangeInfo {
        try scan(bytes) { (s: inout JSONScanner) throws(StreamParseError) -> BinanceExchangeInfo in
            let start = s.pos
            try s.beginObject()
            var serverTime: Int64?
            var rateLimits: [BinanceRateLimit] = []
            var symbols: [SymbolEntry]?
            var first = true
            while let key = try s.nextKey(&first) {
                if s.keyIs(key, "serverTime") {
                    serverTime = try s.int64()
                } else if s.keyIs(key, "rateLimits") {
                    rateLimits = try rateLimitList(&s)
                } else if s.keyIs(key, "symbols") {
                    symbols = try symbolList(&s)
                } else {
                    try s.skipValue()
                }
            }
            try s.end()
            guard let symbols else { throw missing("symbols", at: start) }
            var instruments: [Instrument] = []
            var skipped: [SkippedSymbol] = []
            for entry in symbols {
                switch entry.instrument() {
                case .instrument(let instrument): instruments.append(instrument)
                case .skipped(let reason): skipped.append(reason)
                }
            }
            return BinanceExchangeInfo(serverTime: serverTime ?? 0, rateLimits: rateLimits, instruments: instruments, skipped: skipped)
        }
    }

    /// `GET /api/v3/time`: `{"serverTime":1499827319559}` → unix ms.
    public static func serverTime(_ bytes: [UInt8]) throws(StreamParseError) -> Int64 {
        try scan(bytes) { (s: inout JSONScanner) throws(StreamParseError) -> Int64 in
            let start = s.pos
            try s.beginObject()
            var time: Int64?
            var first = true
            while let key = try s.nextKey(&first) {
                if s.keyIs(key, "serverTime") { time = try s.int64() } else { try s.skipValue() }
            }
            try s.end()
            guard let time else { throw missing("serverTime", at: start) }
            return time
        }
    }

    /// Binance's error body `{"code":-1121,"msg":"Invalid symbol."}`; nil when the body is not one.
    public static func errorBody(_ bytes: [UInt8]) -> (code: Int, message: String)? {
        let parsed = try? scan(bytes) { (s: inout JSONScanner) throws(StreamParseError) -> (code: Int, message: String)? in
            guard s.peek() == UInt8(ascii: "{") else { return nil }
            try s.beginObject()
            var code: Int64?
            var message: String?
            var first = true
            while let key = try s.nextKey(&first) {
                if s.keyIs(key, "code") {
                    code = try? s.int64()
                } else if s.keyIs(key, "msg") {
                    message = try s.string()
                } else {
                    try s.skipValue()
                }
            }
            guard let code, let value = Int(exactly: code) else { return nil }
            return (value, message ?? "")
        }
        return parsed ?? nil
    }

    // MARK: - Pieces

    private static func kline(_ s: inout JSONScanner) throws(StreamParseError) -> BinanceRESTKline {
        let rowStart = s.pos
        try s.beginArray()
        var first = true
        var index = 0
        func next(_ s: inout JSONScanner, _ what: String) throws(StreamParseError) {
            guard try s.nextElement(&first) else { throw s.invalid("kline element \(index) (\(what)) of 12", at: rowStart) }
            index += 1
        }
        func price(_ s: inout JSONScanner, _ what: String) throws(StreamParseError) -> Fixed8 {
            try next(&s, what)
            let at = s.pos
            guard let value = try s.fixed8(), value >= .zero else { throw s.invalid("a non-negative \(what)", at: at) }
            return value
        }
        func amount(_ s: inout JSONScanner, _ what: String) throws(StreamParseError) -> Decimal {
            try next(&s, what)
            let at = s.pos
            guard let value = try s.decimal(), value >= 0 else { throw s.invalid("a non-negative \(what)", at: at) }
            return value
        }
        func integer(_ s: inout JSONScanner, _ what: String) throws(StreamParseError) -> Int64 {
            try next(&s, what)
            let at = s.pos
            guard let value = try s.int64() else { throw s.invalid("an integer \(what)", at: at) }
            return value
        }
        let openTime = try integer(&s, "open time")
        let open = try price(&s, "open")
        let high = try price(&s, "high")
        let low = try price(&s, "low")
        let close = try price(&s, "close")
        let volume = try amount(&s, "volume")
        let closeTime = try integer(&s, "close time")
        let quoteVolume = try amount(&s, "quote volume")
        let trades = try integer(&s, "number of trades")
        let takerBase = try amount(&s, "taker buy base volume")
        let takerQuote = try amount(&s, "taker buy quote volume")
        while try s.nextElement(&first) { try s.skipValue() }  // "ignore", and anything Binance adds later
        guard high >= low, high >= open, high >= close, low <= open, low <= close else {
            throw s.invalid("low <= open, close <= high (o \(open) h \(high) l \(low) c \(close))", at: rowStart)
        }
        guard closeTime >= openTime else { throw s.invalid("close time after open time", at: rowStart) }
        return BinanceRESTKline(openTime: openTime, open: open, high: high, low: low, close: close, volume: volume, closeTime: closeTime,
                            quoteVolume: quoteVolume, trades: trades, takerBuyBaseVolume: takerBase, takerBuyQuoteVolume: takerQuote)
    }

    private static func ticker(_ s: inout JSONScanner) throws(StreamParseError) -> BinanceTicker24h {
        let start = s.pos
        try s.beginObject()
        var symbol: String?
        var lastPrice: Fixed8?
        var volume: Decimal?
        var quoteVolume: Decimal?
        var count: Int64 = 0
        var openTime: Int64 = 0
        var closeTime: Int64 = 0
        var open: Fixed8?, high: Fixed8?, low: Fixed8?
        var first = true
        while let key = try s.nextKey(&first) {
            if s.keyIs(key, "symbol") {
                symbol = try s.string()
            } else if s.keyIs(key, "openPrice") {
                open = try s.fixed8()
            } else if s.keyIs(key, "highPrice") {
                high = try s.fixed8()
            } else if s.keyIs(key, "lowPrice") {
                low = try s.fixed8()
            } else if s.keyIs(key, "lastPrice") {
                lastPrice = try s.fixed8()
            } else if s.keyIs(key, "volume") {
                volume = try s.decimal()
            } else if s.keyIs(key, "quoteVolume") {
                quoteVolume = try s.decimal()
            } else if s.keyIs(key, "count") {
                count = try s.int64() ?? 0
            } else if s.keyIs(key, "openTime") {
                openTime = try s.int64() ?? 0
            } else if s.keyIs(key, "closeTime") {
                closeTime = try s.int64() ?? 0
            } else {
                try s.skipValue()
            }
        }
        guard let symbol, !symbol.isEmpty else { throw missing("symbol", at: start) }
        guard let quoteVolume else { throw missing("quoteVolume (ticker \(symbol))", at: start) }
        guard quoteVolume >= 0 else { throw s.invalid("a non-negative quoteVolume (ticker \(symbol))", at: start) }
        return BinanceTicker24h(symbol: symbol, lastPrice: lastPrice == .zero ? nil : lastPrice, volume: volume ?? 0,
                                quoteVolume: quoteVolume, count: count, openTime: openTime, closeTime: closeTime,
                                openPrice: open == .zero ? nil : open, highPrice: high == .zero ? nil : high, lowPrice: low == .zero ? nil : low)
    }

    private static func rateLimitList(_ s: inout JSONScanner) throws(StreamParseError) -> [BinanceRateLimit] {
        try s.beginArray()
        var out: [BinanceRateLimit] = []
        var first = true
        while try s.nextElement(&first) {
            let start = s.pos
            try s.beginObject()
            var type = "", interval = ""
            var intervalNum: Int64?
            var limit: Int64?
            var inner = true
            while let key = try s.nextKey(&inner) {
                if s.keyIs(key, "rateLimitType") {
                    type = try s.string()
                } else if s.keyIs(key, "interval") {
                    interval = try s.string()
                } else if s.keyIs(key, "intervalNum") {
                    intervalNum = try s.int64()
                } else if s.keyIs(key, "limit") {
                    limit = try s.int64()
                } else {
                    try s.skipValue()
                }
            }
            guard let intervalNum, let limit, let num = Int(exactly: intervalNum), let value = Int(exactly: limit) else {
                throw missing("rateLimits[].intervalNum and limit", at: start)
            }
            out.append(BinanceRateLimit(type: type, interval: interval, intervalNum: num, limit: value))
        }
        return out
    }

    /// What one `symbols[]` entry says, before deciding whether it is an instrument.
    private struct SymbolEntry {
        var symbol = ""
        var status = ""
        var baseAsset = ""
        var quoteAsset = ""
        var tickSize: Decimal?
        var stepSize: Decimal?
        var minQty: Decimal?
        var notional: Decimal?
        var minNotional: Decimal?

        enum Outcome { case instrument(Instrument), skipped(SkippedSymbol) }

        func instrument() -> Outcome {
            func skip(_ reason: String) -> Outcome {
                .skipped(SkippedSymbol(symbol: symbol, status: status, reason: reason))
            }
            guard status == "TRADING" else { return skip("status is \(status.isEmpty ? "missing" : status), not TRADING") }
            guard !baseAsset.isEmpty, !quoteAsset.isEmpty else { return skip("baseAsset or quoteAsset missing") }
            guard let tickSize else { return skip("no PRICE_FILTER") }
            guard tickSize > 0 else { return skip("PRICE_FILTER tickSize is 0 (no price rule)") }
            guard let stepSize, let minQty else { return skip("no LOT_SIZE") }
            guard stepSize > 0 else { return skip("LOT_SIZE stepSize is 0 (no size rule)") }
            return .instrument(Instrument(symbol: symbol, venue: Binance.venue, baseAsset: baseAsset, quoteAsset: quoteAsset,
                                       tickSize: tickSize, lotSize: stepSize, minSize: minQty > 0 ? minQty : stepSize,
                                       minNotional: notional ?? minNotional ?? 0))
        }
    }

    private static func symbolList(_ s: inout JSONScanner) throws(StreamParseError) -> [SymbolEntry] {
        try s.beginArray()
        var out: [SymbolEntry] = []
        var first = true
        while try s.nextElement(&first) {
            let start = s.pos
            try s.beginObject()
            var entry = SymbolEntry()
            var inner = true
            while let key = try s.nextKey(&inner) {
                if s.keyIs(key, "symbol") {
                    entry.symbol = try s.string()
                } else if s.keyIs(key, "status") {
                    entry.status = try s.string()
                } else if s.keyIs(key, "baseAsset") {
                    entry.baseAsset = try s.string()
                } else if s.keyIs(key, "quoteAsset") {
                    entry.quoteAsset = try s.string()
                } else if s.keyIs(key, "filters") {
                    try filters(&s, into: &entry)
                } else {
                    try s.skipValue()
                }
            }
            guard !entry.symbol.isEmpty else { throw missing("symbols[].symbol", at: start) }
            out.append(entry)
        }
        return out
    }

    private static func filters(_ s: inout JSONScanner, into entry: inout SymbolEntry) throws(StreamParseError) {
        try s.beginArray()
        var first = true
        while try s.nextElement(&first) {
            try s.beginObject()
            var type = ""
            var values: [String: Decimal] = [:]
            var inner = true
            while let key = try s.nextKey(&inner) {
                if s.keyIs(key, "filterType") {
                    type = try s.string()
                } else if s.keyIs(key, "tickSize") || s.keyIs(key, "stepSize") || s.keyIs(key, "minQty") || s.keyIs(key, "minNotional") {
                    let name = s.decode(key, escaped: false)
                    let at = s.pos
                    guard let value = try s.decimal(), value >= 0 else { throw s.invalid("a non-negative \(name) in a filter", at: at) }
                    values[name] = value
                } else {
                    try s.skipValue()
                }
            }
            switch type {
            case "PRICE_FILTER": entry.tickSize = values["tickSize"]
            case "LOT_SIZE":
                entry.stepSize = values["stepSize"]
                entry.minQty = values["minQty"]
            case "NOTIONAL": entry.notional = values["minNotional"]
            case "MIN_NOTIONAL": entry.minNotional = values["minNotional"]
            default: break
            }
        }
    }

    // MARK: - Plumbing

    private static func missing(_ field: String, at offset: Int) -> StreamParseError {
        StreamParseError(code: .missingField, offset: offset, expected: field)
    }

    /// Runs `body` over the bytes; typed errors are carried out of `withUnsafeBytes` in a `Result`.
    private static func scan<T>(_ bytes: [UInt8], _ body: (inout JSONScanner) throws(StreamParseError) -> T) throws(StreamParseError) -> T {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(StreamParseError) -> T in
                var scanner = JSONScanner(raw)
                guard scanner.peek() != nil else { throw scanner.error("a JSON value (the body is empty)") }
                return try body(&scanner)
            }
        }
        return try result.get()
    }
}

extension JSONScanner {
    /// Only whitespace may follow the value.
    fileprivate mutating func end() throws(StreamParseError) {
        if peek() != nil { throw error("end of body") }
    }
}
