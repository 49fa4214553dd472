import HostCore
import VenueKit

/// Parses Binance spot market-stream frames into ``BinanceStreamMessage`` values, straight
/// from the bytes (no Foundation JSON, no `Double`).
///
/// Accepts the combined-stream envelope `{"stream":"<s>@<kind>","data":{…}}` and raw
/// (`/ws/<stream>`) payloads, plus control answers (`{"result":null,"id":1}`) and errors.
/// Payloads with an unmodelled `e` or stream kind become `.unknown` and are counted in
/// ``unknownEvents``; text that is not JSON yields nil (counted in ``ignoredFrames``).
///
/// Field names are shared between payload kinds with different value types (`b` is a level
/// array in `depthUpdate`, a price in `bookTicker`, an order id in old `trade` frames), so
/// scalars are recorded as byte ranges and converted once the kind is known.
///
/// - Complexity: O(n) in the frame's length; allocations only for the symbol (inline for ≤ 15
///   bytes) and the level arrays.
public struct BinanceStreamParser: Sendable {
    /// The unit of the venue's times (`timeUnit=MICROSECOND` on the URL switches to µs).
    public enum TimeUnit: Sendable, Hashable {
        case milliseconds
        case microseconds

        @inlinable var nanoseconds: Int64 { self == .milliseconds ? 1_000_000 : 1_000 }
    }

    public let timeUnit: TimeUnit
    /// Whether frames in Binance's canonical layout (depthUpdate, bookTicker) are read in one
    /// inlined pass first (see BinanceStreamParser+FastPath.swift). Same results either way;
    /// tests turn it off to compare.
    public let fastPath: Bool
    /// Well-formed payloads of a kind this parser does not model.
    public private(set) var unknownEvents = 0
    /// Text frames that are not JSON.
    public private(set) var ignoredFrames = 0

    public init(timeUnit: TimeUnit = .milliseconds, fastPath: Bool = true) {
        self.timeUnit = timeUnit
        self.fastPath = fastPath
    }

    /// Parses one frame; nil for text that is not JSON.
    ///
    /// - Throws: ``StreamParseError`` with the byte offset: malformed JSON, trailing bytes, a
    ///   missing required field, or a value of the wrong shape (e.g. a price with more than
    ///   eight fraction digits, a negative quantity).
    public mutating func parse(_ frame: UnsafeRawBufferPointer) throws(StreamParseError) -> BinanceStreamMessage? {
        if fastPath, let message = fastParse(frame) { return message }
        var s = JSONScanner(frame)
        guard let first = s.peek() else {
            ignoredFrames += 1
            return nil
        }
        if first == UInt8(ascii: "[") {
            // Only the `!…@arr` all-market streams send arrays on a raw connection.
            try s.skipValue()
            if s.peek() != nil { throw s.error("end of frame") }
            unknownEvents += 1
            return .unknown(kind: "array")
        }
        guard first == UInt8(ascii: "{") else {
            ignoredFrames += 1
            return nil
        }
        let message = try parseTopLevel(&s)
        if s.peek() != nil { throw s.error("end of frame") }
        return message
    }

    /// Parses one frame given as text (see ``parse(_:)-(UnsafeRawBufferPointer)``).
    public mutating func parse(_ text: String) throws(StreamParseError) -> BinanceStreamMessage? {
        var text = text
        return try text.withUTF8 { bytes in
            Result { () throws(StreamParseError) -> BinanceStreamMessage? in try parse(UnsafeRawBufferPointer(bytes)) }
        }.get()
    }

    // MARK: Envelope

    private mutating func parseTopLevel(_ s: inout JSONScanner) throws(StreamParseError) -> BinanceStreamMessage {
        let objectStart = s.pos
        try s.beginObject()
        var top = Payload()
        var data: Payload?
        var dataIsArray = false
        var stream: Range<Int>?
        var generated = false
        var hasResult = false
        var streams: [String]?
        var id: String?
        var hasID = false
        var error: BinanceControlError?
        var code: Int64?
        var msg: String?
        var first = true
        while let key = try s.nextKey(&first) {
            if key.count == 1 {
                try readPayloadKey(key, &s, into: &top)
                continue
            }
            switch key.count {
            case 4:
                if s.keyIs(key, "data") {
                    if s.base[s.pos] == UInt8(ascii: "{") {
                        data = try parsePayload(&s)
                    } else {
                        dataIsArray = s.base[s.pos] == UInt8(ascii: "[")
                        try s.skipValue()
                    }
                } else if s.keyIs(key, "code") {
                    code = try s.int64()
                } else if s.keyIs(key, "bids") || s.keyIs(key, "asks") {
                    try readPayloadKey(key, &s, into: &top)
                } else { try s.skipValue() }
            case 6:
                if s.keyIs(key, "stream") { stream = try s.rawString().range }
                else if s.keyIs(key, "result") {
                    hasResult = true
                    if s.base[s.pos] == UInt8(ascii: "[") { streams = try s.stringArray() } else { try s.skipValue() }
                } else { try s.skipValue() }
            case 2:
                if s.keyIs(key, "id") {
                    hasID = true
                    id = s.isNull() ? nil : try s.string()
                } else { try s.skipValue() }
            case 3:
                if s.keyIs(key, "msg") { msg = try s.string() } else { try s.skipValue() }
            case 5:
                if s.keyIs(key, "error") { error = try parseError(&s) } else { try s.skipValue() }
            case 9:
                if s.keyIs(key, "generated") { generated = try s.bool() ?? false } else { try s.skipValue() }
            default:
                try readPayloadKey(key, &s, into: &top)
            }
        }

        if let data {
            return try assemble(data, stream: stream.map { StreamName($0, in: s) }, generated: generated, scanner: s)
        }
        if dataIsArray {
            unknownEvents += 1
            return .unknown(kind: stream.map { s.decode($0, escaped: false) } ?? "array")
        }
        if var error {
            error.id = id
            return .error(error)
        }
        if let code, top.e == nil {
            return .error(BinanceControlError(code: code, message: msg ?? "", id: id))
        }
        if hasResult || (hasID && top.e == nil) {
            return .response(BinanceControlResponse(id: id, streams: streams))
        }
        top.objectStart = objectStart
        return try assemble(top, stream: stream.map { StreamName($0, in: s) }, generated: generated, scanner: s)
    }

    private func parseError(_ s: inout JSONScanner) throws(StreamParseError) -> BinanceControlError {
        let start = s.pos
        try s.beginObject()
        var code: Int64?
        var msg = ""
        var first = true
        while let key = try s.nextKey(&first) {
            if s.keyIs(key, "code") { code = try s.int64() }
            else if s.keyIs(key, "msg") { msg = try s.string() }
            else { try s.skipValue() }
        }
        guard let code else { throw BinanceJSON.missing("code", in: "error", at: start) }
        return BinanceControlError(code: code, message: msg, id: nil)
    }

    // MARK: Payload fields

    /// The fields of any modelled payload, as byte ranges or parsed arrays, filled in wire order.
    private struct Payload {
        var objectStart = 0
        var e: Range<Int>?
        var symbol: Range<Int>?
        var symbolEscaped = false
        var eventTime: Range<Int>?     // E
        var firstUpdate: Range<Int>?   // U
        var finalUpdate: Range<Int>?   // u
        var tradeID: Range<Int>?       // t
        var tradeTime: Range<Int>?     // T
        var firstTrade: Range<Int>?    // f
        var lastTrade: Range<Int>?     // l
        var price: Range<Int>?         // p
        var quantity: Range<Int>?      // q
        var buyerIsMaker: Bool?        // m
        var bLevels: [BinanceLevel]?
        var aLevels: [BinanceLevel]?
        var bScalar: Range<Int>?
        var aScalar: Range<Int>?
        var bigB: Range<Int>?
        var bigA: Range<Int>?
        var kline: KlineFields?
        var lastUpdateID: Range<Int>?
        var bids: [BinanceLevel]?
        var asks: [BinanceLevel]?
    }

    private struct KlineFields {
        var objectStart = 0
        var openTime: Range<Int>?, closeTime: Range<Int>?, symbol: Range<Int>?, interval: Range<Int>?
        var firstTrade: Range<Int>?, lastTrade: Range<Int>?
        var open: Range<Int>?, close: Range<Int>?, high: Range<Int>?, low: Range<Int>?
        var volume: Range<Int>?, quoteVolume: Range<Int>?, tradeCount: Range<Int>?
        var closed: Bool?
        var takerBase: Range<Int>?, takerQuote: Range<Int>?
    }

    @inline(__always)
    private func parsePayload(_ s: inout JSONScanner) throws(StreamParseError) -> Payload {
        var p = Payload()
        p.objectStart = s.pos
        try s.beginObject()
        var first = true
        while let key = try s.nextKey(&first) { try readPayloadKey(key, &s, into: &p) }
        return p
    }

    /// A scalar's bytes (string contents or number); nil for `null`, objects and arrays
    /// (skipped: the field is then treated as absent).
    @inline(__always)
    private func scalar(_ s: inout JSONScanner) throws(StreamParseError) -> Range<Int>? {
        let b = s.base[s.pos]
        if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
            try s.skipValue()
            return nil
        }
        return try s.scalarBytes()
    }

    @inline(__always)
    private func readPayloadKey(_ key: Range<Int>, _ s: inout JSONScanner, into p: inout Payload) throws(StreamParseError) {
        if key.count == 1 {
            switch s.base[key.lowerBound] {
            case UInt8(ascii: "e"):
                if s.base[s.pos] == UInt8(ascii: "\"") { p.e = try s.rawString().range } else { try s.skipValue() }
            case UInt8(ascii: "E"): p.eventTime = try scalar(&s)
            case UInt8(ascii: "s"):
                if s.base[s.pos] == UInt8(ascii: "\"") {
                    let token = try s.rawString()
                    p.symbol = token.range
                    p.symbolEscaped = token.escaped
                } else { try s.skipValue() }
            case UInt8(ascii: "U"): p.firstUpdate = try scalar(&s)
            case UInt8(ascii: "u"): p.finalUpdate = try scalar(&s)
            case UInt8(ascii: "b"):
                if s.base[s.pos] == UInt8(ascii: "[") { p.bLevels = try BinanceJSON.levels(&s) } else { p.bScalar = try scalar(&s) }
            case UInt8(ascii: "a"):
                if s.base[s.pos] == UInt8(ascii: "[") { p.aLevels = try BinanceJSON.levels(&s) } else { p.aScalar = try scalar(&s) }
            case UInt8(ascii: "B"): p.bigB = try scalar(&s)
            case UInt8(ascii: "A"): p.bigA = try scalar(&s)
            case UInt8(ascii: "t"): p.tradeID = try scalar(&s)
            case UInt8(ascii: "T"): p.tradeTime = try scalar(&s)
            case UInt8(ascii: "p"): p.price = try scalar(&s)
            case UInt8(ascii: "q"): p.quantity = try scalar(&s)
            case UInt8(ascii: "f"): p.firstTrade = try scalar(&s)
            case UInt8(ascii: "l"): p.lastTrade = try scalar(&s)
            case UInt8(ascii: "m"): p.buyerIsMaker = try s.bool()
            case UInt8(ascii: "k"):
                if s.base[s.pos] == UInt8(ascii: "{") { p.kline = try parseKline(&s) } else { try s.skipValue() }
            default: try s.skipValue()
            }
            return
        }
        if s.keyIs(key, "lastUpdateId") { p.lastUpdateID = try scalar(&s) }
        else if s.keyIs(key, "bids") { p.bids = try BinanceJSON.levels(&s) }
        else if s.keyIs(key, "asks") { p.asks = try BinanceJSON.levels(&s) }
        else { try s.skipValue() }
    }

    private func parseKline(_ s: inout JSONScanner) throws(StreamParseError) -> KlineFields {
        var k = KlineFields()
        k.objectStart = s.pos
        try s.beginObject()
        var first = true
        while let key = try s.nextKey(&first) {
            guard key.count == 1 else { try s.skipValue(); continue }
            switch s.base[key.lowerBound] {
            case UInt8(ascii: "t"): k.openTime = try scalar(&s)
            case UInt8(ascii: "T"): k.closeTime = try scalar(&s)
            case UInt8(ascii: "s"): k.symbol = try scalar(&s)
            case UInt8(ascii: "i"): k.interval = try scalar(&s)
            case UInt8(ascii: "f"): k.firstTrade = try scalar(&s)
            case UInt8(ascii: "L"): k.lastTrade = try scalar(&s)
            case UInt8(ascii: "o"): k.open = try scalar(&s)
            case UInt8(ascii: "c"): k.close = try scalar(&s)
            case UInt8(ascii: "h"): k.high = try scalar(&s)
            case UInt8(ascii: "l"): k.low = try scalar(&s)
            case UInt8(ascii: "v"): k.volume = try scalar(&s)
            case UInt8(ascii: "q"): k.quoteVolume = try scalar(&s)
            case UInt8(ascii: "n"): k.tradeCount = try scalar(&s)
            case UInt8(ascii: "x"): k.closed = try s.bool()
            case UInt8(ascii: "V"): k.takerBase = try scalar(&s)
            case UInt8(ascii: "Q"): k.takerQuote = try scalar(&s)
            default: try s.skipValue()
            }
        }
        return k
    }

    // MARK: Assembly

    /// The parts of a combined stream name `<symbol>@<kind>` (`!serverShutdown` has no symbol).
    private struct StreamName {
        var symbol: Range<Int>?
        var kind: Range<Int>

        init(_ name: Range<Int>, in s: JSONScanner) {
            var at = name.lowerBound
            while at < name.upperBound, s.base[at] != UInt8(ascii: "@") { at += 1 }
            if at < name.upperBound {
                symbol = name.lowerBound..<at
                kind = (at + 1)..<name.upperBound
            } else {
                symbol = nil
                kind = name
            }
        }
    }

    private mutating func assemble(_ p: Payload, stream: StreamName?, generated: Bool,
                                   scanner s: JSONScanner) throws(StreamParseError) -> BinanceStreamMessage {
        let at = p.objectStart
        let unit = timeUnit.nanoseconds

        func missing(_ field: String, _ what: String) -> StreamParseError { BinanceJSON.missing(field, in: what, at: at) }
        func int(_ range: Range<Int>?, _ field: String, _ what: String) throws(StreamParseError) -> Int64 {
            guard let range else { throw missing(field, what) }
            guard let value = BinanceJSON.int64(range, in: s) else { throw s.invalid("an integer for \"\(field)\"", at: range.lowerBound) }
            return value
        }
        func time(_ range: Range<Int>?, _ field: String, _ what: String) throws(StreamParseError) -> Int64 {
            let raw = try int(range, field, what)
            let (ns, overflow) = raw.multipliedReportingOverflow(by: unit)
            guard !overflow, raw >= 0 else { throw s.invalid("a time for \"\(field)\"", at: range!.lowerBound) }
            return ns
        }
        func decimal(_ range: Range<Int>?, _ field: String, _ what: String) throws(StreamParseError) -> Fixed8 {
            guard let range else { throw missing(field, what) }
            guard let value = s.parseFixed8(range) else {
                throw s.invalid("a decimal with at most 8 fraction digits for \"\(field)\"", at: range.lowerBound)
            }
            return value
        }
        func positive(_ range: Range<Int>?, _ field: String, _ what: String) throws(StreamParseError) -> Fixed8 {
            let value = try decimal(range, field, what)
            guard value.raw > 0 else { throw s.invalid("a positive \"\(field)\"", at: range!.lowerBound) }
            return value
        }
        func nonNegative(_ range: Range<Int>?, _ field: String, _ what: String) throws(StreamParseError) -> Fixed8 {
            let value = try decimal(range, field, what)
            guard value.raw >= 0 else { throw s.invalid("a non-negative \"\(field)\"", at: range!.lowerBound) }
            return value
        }
        func symbol(_ what: String) throws(StreamParseError) -> String {
            guard let range = p.symbol else { throw missing("s", what) }
            return s.decode(range, escaped: p.symbolEscaped)
        }

        func bookTicker() throws(StreamParseError) -> BinanceStreamMessage {
            let what = "bookTicker"
            return .bookTicker(BinanceBookTicker(
                symbol: try symbol(what), updateID: try int(p.finalUpdate, "u", what),
                bidPrice: try nonNegative(p.bScalar, "b", what), bidSize: try nonNegative(p.bigB, "B", what),
                askPrice: try nonNegative(p.aScalar, "a", what), askSize: try nonNegative(p.bigA, "A", what),
                eventTime: p.eventTime == nil ? nil : try time(p.eventTime, "E", what)))
        }

        if let e = p.e {
            if s.keyIs(e, "depthUpdate") {
                let what = "depthUpdate"
                let first = try int(p.firstUpdate, "U", what)
                let final = try int(p.finalUpdate, "u", what)
                guard first <= final else { throw s.invalid("U ≤ u", at: p.firstUpdate!.lowerBound) }
                let bids = p.bLevels ?? []
                return .depthUpdate(BinanceDepthUpdate(
                    symbol: try symbol(what), eventTime: try time(p.eventTime, "E", what), firstUpdateID: first, finalUpdateID: final,
                    levels: bids + (p.aLevels ?? []), bidCount: bids.count))
            }
            if s.keyIs(e, "trade") {
                let what = "trade"
                guard let maker = p.buyerIsMaker else { throw missing("m", what) }
                return .trade(BinanceTrade(
                    symbol: try symbol(what), eventTime: try time(p.eventTime, "E", what), tradeID: try int(p.tradeID, "t", what),
                    price: try positive(p.price, "p", what), size: try nonNegative(p.quantity, "q", what),
                    tradeTime: try time(p.tradeTime, "T", what), buyerIsMaker: maker))
            }
            if s.keyIs(e, "aggTrade") {
                let what = "aggTrade"
                guard let maker = p.buyerIsMaker else { throw missing("m", what) }
                return .aggTrade(BinanceAggTrade(
                    symbol: try symbol(what), eventTime: try time(p.eventTime, "E", what), aggregateTradeID: try int(p.aScalar, "a", what),
                    price: try positive(p.price, "p", what), size: try nonNegative(p.quantity, "q", what),
                    firstTradeID: try int(p.firstTrade, "f", what), lastTradeID: try int(p.lastTrade, "l", what),
                    tradeTime: try time(p.tradeTime, "T", what), buyerIsMaker: maker))
            }
            if s.keyIs(e, "kline") {
                let what = "kline"
                guard let k = p.kline else { throw missing("k", what) }
                let inK = "kline.k"
                func optionalID(_ range: Range<Int>?) -> Int64? {
                    guard let range, let value = BinanceJSON.int64(range, in: s), value >= 0 else { return nil }
                    return value
                }
                guard let closed = k.closed else { throw BinanceJSON.missing("x", in: inK, at: k.objectStart) }
                guard let interval = k.interval else { throw BinanceJSON.missing("i", in: inK, at: k.objectStart) }
                return .kline(BinanceKline(
                    symbol: try symbol(what), eventTime: try time(p.eventTime, "E", what),
                    openTime: try time(k.openTime, "t", inK), closeTime: try time(k.closeTime, "T", inK),
                    interval: s.decode(interval, escaped: false),
                    firstTradeID: optionalID(k.firstTrade), lastTradeID: optionalID(k.lastTrade),
                    open: try positive(k.open, "o", inK), high: try positive(k.high, "h", inK),
                    low: try positive(k.low, "l", inK), close: try positive(k.close, "c", inK),
                    volume: try nonNegative(k.volume, "v", inK), quoteVolume: try nonNegative(k.quoteVolume, "q", inK),
                    tradeCount: try int(k.tradeCount, "n", inK), isClosed: closed,
                    takerBuyBaseVolume: try nonNegative(k.takerBase, "V", inK),
                    takerBuyQuoteVolume: try nonNegative(k.takerQuote, "Q", inK)))
            }
            if s.keyIs(e, "serverShutdown") {
                return .serverShutdown(eventTime: try time(p.eventTime, "E", "serverShutdown"))
            }
            if s.keyIs(e, "bookTicker") { return try bookTicker() }  // the futures form carries `e`
            unknownEvents += 1
            return .unknown(kind: s.decode(e, escaped: false))
        }

        // No `e`: bookTicker and the partial books, told apart by their fields and stream kind.
        if let stream, s.keyIs(stream.kind, "!serverShutdown") || s.keyIs(stream.kind, "serverShutdown") {
            return .serverShutdown(eventTime: try time(p.eventTime, "E", "serverShutdown"))
        }
        if p.lastUpdateID != nil || p.bids != nil || p.asks != nil {
            let what = "partial depth"
            guard let bids = p.bids else { throw missing("bids", what) }
            guard let asks = p.asks else { throw missing("asks", what) }
            let book = BinanceDepthSnapshot(lastUpdateID: try int(p.lastUpdateID, "lastUpdateId", what), bids: bids, asks: asks)
            var symbol: String?
            var levels: Int?
            var recorded = generated
            if let stream {
                if let name = stream.symbol { symbol = s.decode(name, escaped: false).uppercased() }
                if s.keyIs(stream.kind, "depthSnapshot") { recorded = true }
                levels = Self.partialLevels(stream.kind, in: s)
            }
            return .partialDepth(BinancePartialDepth(symbol: symbol, levels: levels, isRecordedSnapshot: recorded, book: book))
        }
        let isBookTickerStream = stream.map { s.keyIs($0.kind, "bookTicker") } ?? false
        if isBookTickerStream || (stream == nil && p.finalUpdate != nil && p.bScalar != nil && p.bigB != nil) {
            return try bookTicker()
        }
        unknownEvents += 1
        return .unknown(kind: stream.map { s.decode($0.kind, escaped: false) } ?? "")
    }

    /// `depth5`, `depth10@100ms`, … → the level count.
    private static func partialLevels(_ kind: Range<Int>, in s: JSONScanner) -> Int? {
        guard kind.count > 5, s.keyIs(kind.lowerBound..<(kind.lowerBound + 5), "depth") else { return nil }
        var at = kind.lowerBound + 5
        var value = 0
        var digits = 0
        while at < kind.upperBound, s.base[at] &- UInt8(ascii: "0") < 10, digits < 4 {
            value = value * 10 + Int(s.base[at] &- UInt8(ascii: "0"))
            at += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}

extension BinanceJSON {
    /// An integer from a scalar's bytes (no fraction, no exponent); nil on anything else.
    @inline(__always)
    static func int64(_ range: Range<Int>, in s: JSONScanner) -> Int64? {
        var i = range.lowerBound
        guard i < range.upperBound else { return nil }
        var negative = false
        if s.base[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < range.upperBound else { return nil }
        var value: Int64 = 0
        while i < range.upperBound {
            let d = s.base[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = m.addingReportingOverflow(Int64(d))
            guard !o1, !o2 else { return nil }
            value = sum
            i += 1
        }
        return negative ? -value : value
    }
}
