import Foundation
import HostCore
public import VenueKit

/// Parses Bybit v5 public stream frames into ``BybitStreamMessage`` values, byte by byte
/// (``JSONScanner``: no Foundation JSON, no `Double`).
///
/// Keys are matched by name in any order (Bybit's key order differs between spot and
/// futures, and `data` may come before `topic`). A frame that is not one JSON object, misses a
/// field its message cannot do without, or holds a value of the wrong shape (a price that is
/// not a positive decimal, a negative size, an unknown `type` or side) throws
/// ``StreamParseError`` with the byte offset; nothing of it is returned.
///
/// The order book arrays are built in buffers the parser keeps: when the caller has dropped
/// the previous message before parsing the next, no array is allocated. Keep one parser per
/// connection.
///
/// - Complexity: O(n) in the frame's length.
public struct BybitFrameParser: Sendable {
    /// Topic messages whose topic is not modelled (`liquidation.*`, …).
    public private(set) var unknownTopics = 0

    private var bidBuffer: [BybitStreamMessage.Level] = []
    private var askBuffer: [BybitStreamMessage.Level] = []
    /// The last `orderbook` topic read by the compact path, and its depth and symbol.
    private var lastBookTopic: [UInt8] = []
    private var lastBookDepth = 0
    private var lastBookSymbol = ""

    public init() {}

    /// Parses one frame given as text.
    public mutating func parse(_ text: String) throws(StreamParseError) -> BybitStreamMessage {
        let messages = try parseText(text) { (bytes) throws(StreamParseError) -> [BybitStreamMessage] in [try parse(bytes)] }
        return messages[0]
    }

    /// Parses one frame.
    /// - Throws: ``StreamParseError`` for malformed JSON (with the byte offset), a missing field or an invalid value.
    public mutating func parse(_ frame: UnsafeRawBufferPointer) throws(StreamParseError) -> BybitStreamMessage {
        if let book = compactOrderbook(frame) { return .orderbook(book) }
        var s = JSONScanner(frame)
        guard s.peek() == UInt8(ascii: "{") else { throw s.error("'{' (message object)") }
        let objectStart = s.pos
        try s.beginObject()

        var topic: Topic?
        var kind: BybitStreamMessage.Kind?
        var tsMs: Int64?
        var ctsMs: Int64?
        var crossSequence: Int64?
        var data: ParsedData?
        var deferredData: Int?
        var op: String?
        var success: Bool?
        var retMessage: String?
        var connectionID: String?
        var requestID: String?

        var first = true
        while let key = try s.nextKey(&first) {
            switch key.count {
            case 2:
                if s.keyIs(key, "ts") { tsMs = try s.int64() }
                else if s.keyIs(key, "op") { op = try s.string() }
                else if s.keyIs(key, "cs") { crossSequence = try s.int64() }
                else { try s.skipValue() }
            case 3:
                if s.keyIs(key, "cts") { ctsMs = try s.int64() } else { try s.skipValue() }
            case 4:
                if s.keyIs(key, "type") {
                    kind = try Self.kind(&s)
                } else if s.keyIs(key, "data") {
                    if let topic {
                        data = try parseData(&s, topic: topic)
                    } else {
                        // `data` before `topic`: read it once the topic is known.
                        deferredData = s.pos
                        try s.skipValue()
                    }
                } else { try s.skipValue() }
            case 5:
                if s.keyIs(key, "topic") { topic = try Self.topic(&s) } else { try s.skipValue() }
            case 6:
                if s.keyIs(key, "req_id") { requestID = try s.string() } else { try s.skipValue() }
            case 7:
                if s.keyIs(key, "success") { success = try s.bool() }
                else if s.keyIs(key, "ret_msg") { retMessage = try s.string() }
                else if s.keyIs(key, "conn_id") { connectionID = try s.string() }
                else { try s.skipValue() }
            default:
                try s.skipValue()
            }
        }
        if s.peek() != nil { throw s.error("end of frame") }

        func missing(_ field: String) -> StreamParseError {
            StreamParseError(code: .missingField, offset: objectStart, expected: "field \"\(field)\"")
        }

        guard let topic else {
            guard let op else { throw missing("topic") }
            // Keep-alive answers: `{"op":"pong",…}` (option) and `{"op":"ping","ret_msg":"pong",…}` (spot, linear).
            if op == "pong" || op == "ping" { return .pong(connectionID: connectionID ?? "") }
            guard let success else { throw missing("success") }
            return .opResponse(.init(op: op, success: success, retMessage: retMessage ?? "", connectionID: connectionID ?? "",
                                     requestID: requestID))
        }
        if case .unknown = topic.kind {
            unknownTopics += 1
            return .unknown(topic: s.decode(topic.range, escaped: false))
        }
        if data == nil, let deferredData {
            var sub = s
            sub.pos = deferredData
            data = try parseData(&sub, topic: topic)
        }
        guard let data else { throw missing("data") }
        guard let tsMs else { throw missing("ts") }
        let tsNs = try Self.nanos(ms: tsMs, field: "ts", at: objectStart)
        let symbol = s.decode(topic.symbol, escaped: false)

        switch data {
        case .orderbook(let book):
            guard let kind else { throw missing("type") }
            let ctsNs = try ctsMs.map { (ms) throws(StreamParseError) in try Self.nanos(ms: ms, field: "cts", at: objectStart) }
            guard case .orderbook(let depth) = topic.kind else { throw missing("data") }
            return .orderbook(.init(depth: depth, symbol: symbol, kind: kind, tsNs: tsNs, ctsNs: ctsNs, updateID: book.updateID,
                                    sequence: book.sequence, bids: book.bids, asks: book.asks))
        case .trades(let trades):
            return .trades(.init(symbol: symbol, tsNs: tsNs, trades: trades))
        case .ticker(let fields):
            guard let kind else { throw missing("type") }
            return .ticker(.init(symbol: symbol, kind: kind, tsNs: tsNs, crossSequence: crossSequence, fields: fields))
        case .kline(let candles):
            guard case .kline(let interval) = topic.kind else { throw missing("data") }
            return .kline(.init(interval: s.decode(interval, escaped: false), symbol: symbol, tsNs: tsNs, candles: candles))
        }
    }

    // MARK: Compact orderbook path

    /// An `orderbook` message in the exact compact form Bybit sends —
    /// `{"topic":…,"type":…,"ts":…,"data":{"s":…,"b":[…],"a":[…],"u":…,"seq":…},"cts":…}`, with
    /// `type` and `ts` in either order and `s`, `seq`, `cts` optional — read in one pass without
    /// the general scanner. Nil for anything else, or any value the general path would refuse:
    /// the general path then reads the frame (and names what is wrong). Both paths produce the
    /// same message for the same bytes.
    mutating func compactOrderbook(_ frame: UnsafeRawBufferPointer) -> BybitStreamMessage.Orderbook? {
        guard let base = frame.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var p = base
        var end = base + frame.count
        // The frame must end with its object's `}` (blanks aside): every number inside is then
        // followed by a byte that stops a decimal scan, which lets the levels skip bounds checks.
        while end > base, end[-1] == 0x20 || end[-1] == 0x0A || end[-1] == 0x0D || end[-1] == 0x09 { end -= 1 }
        guard end > base, end[-1] == UInt8(ascii: "}") else { return nil }
        guard Self.literal(&p, end, #"{"topic":"orderbook."#) else { return nil }
        // Topic: `{depth}.{symbol}"`, cached (frames of one topic come in runs).
        let topicStart = p
        while p < end, p.pointee != UInt8(ascii: "\""), p.pointee != UInt8(ascii: "\\") { p += 1 }
        guard p < end, p.pointee == UInt8(ascii: "\"") else { return nil }
        let topic = UnsafeBufferPointer(start: topicStart, count: p - topicStart)
        p += 1
        let sameTopic = !topic.isEmpty && topic.count == lastBookTopic.count
            && lastBookTopic.withUnsafeBufferPointer { memcmp($0.baseAddress!, topicStart, topic.count) == 0 }
        if !sameTopic {
            guard let dot = topic.firstIndex(of: UInt8(ascii: ".")), dot > 0, dot <= 6, dot + 1 < topic.count else { return nil }
            var depth = 0
            for i in 0..<dot {
                let d = topic[i] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                depth = depth * 10 + Int(d)
            }
            guard depth > 0 else { return nil }
            lastBookTopic = Array(topic)
            lastBookDepth = depth
            lastBookSymbol = String(decoding: UnsafeBufferPointer(rebasing: topic[(dot + 1)...]), as: UTF8.self)
        }
        // `type` and `ts`, in either order.
        var kind: BybitStreamMessage.Kind?
        var tsMs: Int64?
        for _ in 0..<2 {
            if Self.literal(&p, end, #","type":""#) {
                if Self.literal(&p, end, #"delta""#) { kind = .delta }
                else if Self.literal(&p, end, #"snapshot""#) { kind = .snapshot }
                else { return nil }
            } else if Self.literal(&p, end, #","ts":"#) {
                guard let value = Self.integer(&p, end) else { return nil }
                tsMs = value
            } else {
                return nil
            }
        }
        guard let kind, let tsMs, let tsNs = Self.compactNanos(tsMs), Self.literal(&p, end, #","data":{"#) else { return nil }
        if Self.literal(&p, end, #""s":""#) {
            while p < end, p.pointee != UInt8(ascii: "\""), p.pointee != UInt8(ascii: "\\") { p += 1 }
            guard p < end, p.pointee == UInt8(ascii: "\"") else { return nil }
            p += 1
            guard Self.literal(&p, end, ",") else { return nil }
        }
        guard Self.literal(&p, end, #""b":"#) else { return nil }
        var s = JSONScanner(frame)
        s.pos = p - base
        bidBuffer.removeAll(keepingCapacity: true)
        guard Self.compactLevels(&s, into: &bidBuffer, terminated: true) else { return nil }
        p = base + s.pos
        guard Self.literal(&p, end, #","a":"#) else { return nil }
        s.pos = p - base
        askBuffer.removeAll(keepingCapacity: true)
        guard Self.compactLevels(&s, into: &askBuffer, terminated: true) else { return nil }
        p = base + s.pos
        guard Self.literal(&p, end, #","u":"#), let updateID = Self.integer(&p, end) else { return nil }
        var sequence: Int64?
        if Self.literal(&p, end, #","seq":"#) {
            guard let value = Self.integer(&p, end) else { return nil }
            sequence = value
        }
        guard Self.literal(&p, end, "}") else { return nil }
        var ctsNs: Int64?
        if Self.literal(&p, end, #","cts":"#) {
            guard let value = Self.integer(&p, end), let ns = Self.compactNanos(value) else { return nil }
            ctsNs = ns
        }
        guard Self.literal(&p, end, "}"), p == end else { return nil }
        return BybitStreamMessage.Orderbook(depth: lastBookDepth, symbol: lastBookSymbol, kind: kind, tsNs: tsNs, ctsNs: ctsNs,
                                            updateID: updateID, sequence: sequence, bids: bidBuffer, asks: askBuffer)
    }

    /// Consumes `text` if the bytes at `p` are exactly it (compared eight, then four bytes at
    /// a time, as Binance's `Cursor.literal` does).
    @inline(__always)
    private static func literal(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard end - p >= n else { return false }
        let a = UnsafeRawPointer(p)
        let b = UnsafeRawPointer(text.utf8Start)
        var i = 0
        while i + 8 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        if i + 4 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt32.self) != b.loadUnaligned(fromByteOffset: i, as: UInt32.self) { return false }
            i += 4
        }
        while i < n {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        p += n
        return true
    }

    /// A non-negative JSON integer of at most 18 digits (Bybit's ids and ms times).
    @inline(__always)
    private static func integer(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int64? {
        var value: Int64 = 0
        var digits = 0
        // Eight digits at a time (SWAR): ms times and sequence numbers have 8–13 digits.
        if end - p >= 8 {
            let word = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
            if word & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030,
               (word &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030 {
                var chunk = word &- 0x3030_3030_3030_3030
                chunk = (chunk &* 10 &+ (chunk >> 8)) & 0x00FF_00FF_00FF_00FF
                chunk = (chunk &* 100 &+ (chunk >> 16)) & 0x0000_FFFF_0000_FFFF
                chunk = (chunk &* 10_000 &+ (chunk >> 32)) & 0x0000_0000_FFFF_FFFF
                value = Int64(chunk)
                digits = 8
                p += 8
            }
        }
        while p < end {
            let d = p.pointee &- UInt8(ascii: "0")
            guard d < 10 else { break }
            value = value &* 10 &+ Int64(d)
            digits += 1
            p += 1
        }
        guard digits > 0, digits <= 18 else { return nil }
        if p < end, p.pointee == UInt8(ascii: ".") || p.pointee | 0x20 == UInt8(ascii: "e") { return nil }
        return value
    }

    @inline(__always)
    private static func compactNanos(_ ms: Int64) -> Int64? {
        let (ns, overflow) = ms.multipliedReportingOverflow(by: 1_000_000)
        return overflow ? nil : ns
    }

    // MARK: Envelope

    private enum TopicKind {
        case orderbook(depth: Int)
        case trade
        case ticker
        case kline(interval: Range<Int>)
        case unknown
    }

    private struct Topic {
        var kind: TopicKind
        var range: Range<Int>
        var symbol: Range<Int>
    }

    private enum ParsedData {
        case orderbook(BookData)
        case trades([BybitStreamMessage.Trade])
        indirect case ticker(BybitStreamMessage.TickerFields)
        case kline([BybitStreamMessage.Candle])
    }

    private struct BookData {
        var bids: [BybitStreamMessage.Level]
        var asks: [BybitStreamMessage.Level]
        var updateID: Int64
        var sequence: Int64?
    }

    private static func kind(_ s: inout JSONScanner) throws(StreamParseError) -> BybitStreamMessage.Kind {
        let start = s.pos
        let token = try s.rawString()
        if s.keyIs(token.range, "delta") { return .delta }
        if s.keyIs(token.range, "snapshot") { return .snapshot }
        throw s.invalid("type \"snapshot\" or \"delta\"", at: start)
    }

    /// Splits `orderbook.50.BTCUSDT`, `publicTrade.BTCUSDT`, `tickers.BTCUSDT`, `kline.1.BTCUSDT`.
    private static func topic(_ s: inout JSONScanner) throws(StreamParseError) -> Topic {
        let start = s.pos
        let token = try s.rawString()
        guard !token.escaped else { throw s.invalid("a plain topic", at: start) }
        let r = token.range
        func hasPrefix(_ prefix: StaticString) -> Bool {
            let n = prefix.utf8CodeUnitCount
            return r.count > n && memcmp(s.base + r.lowerBound, prefix.utf8Start, n) == 0
        }
        /// The index of the first `.` at or after `from`.
        func dot(from: Int) -> Int? {
            var i = from
            while i < r.upperBound {
                if s.base[i] == UInt8(ascii: ".") { return i }
                i += 1
            }
            return nil
        }
        if hasPrefix("orderbook.") {
            let digits = r.lowerBound + 10
            guard let end = dot(from: digits), end > digits, end + 1 < r.upperBound, end - digits <= 6 else {
                throw s.invalid("topic orderbook.{depth}.{symbol}", at: start)
            }
            var depth = 0
            for i in digits..<end {
                let d = s.base[i] &- UInt8(ascii: "0")
                guard d < 10 else { throw s.invalid("topic orderbook.{depth}.{symbol}", at: start) }
                depth = depth * 10 + Int(d)
            }
            guard depth > 0 else { throw s.invalid("topic orderbook.{depth}.{symbol}", at: start) }
            return Topic(kind: .orderbook(depth: depth), range: r, symbol: (end + 1)..<r.upperBound)
        }
        if hasPrefix("publicTrade.") { return Topic(kind: .trade, range: r, symbol: (r.lowerBound + 12)..<r.upperBound) }
        if hasPrefix("tickers.") { return Topic(kind: .ticker, range: r, symbol: (r.lowerBound + 8)..<r.upperBound) }
        if hasPrefix("kline.") {
            let interval = r.lowerBound + 6
            guard let end = dot(from: interval), end > interval, end + 1 < r.upperBound else {
                throw s.invalid("topic kline.{interval}.{symbol}", at: start)
            }
            return Topic(kind: .kline(interval: interval..<end), range: r, symbol: (end + 1)..<r.upperBound)
        }
        return Topic(kind: .unknown, range: r, symbol: r)
    }

    static func nanos(ms: Int64, field: String, at offset: Int) throws(StreamParseError) -> Int64 {
        let (ns, overflow) = ms.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow, ms >= 0 else {
            throw StreamParseError(code: .invalidValue, offset: offset, expected: "\"\(field)\" in ms since the epoch")
        }
        return ns
    }

    // MARK: Data

    private mutating func parseData(_ s: inout JSONScanner, topic: Topic) throws(StreamParseError) -> ParsedData {
        switch topic.kind {
        case .orderbook: return .orderbook(try book(&s))
        case .trade: return .trades(try trades(&s))
        case .ticker: return .ticker(try ticker(&s))
        case .kline: return .kline(try candles(&s))
        case .unknown:
            try s.skipValue()
            return .trades([])
        }
    }

    private mutating func book(_ s: inout JSONScanner) throws(StreamParseError) -> BookData {
        let start = s.pos
        try s.beginObject()
        var sawBids = false
        var sawAsks = false
        var updateID: Int64?
        var sequence: Int64?
        var first = true
        while let key = try s.nextKey(&first) {
            if key.count == 1 {
                if s.keyIs(key, "b") {
                    bidBuffer.removeAll(keepingCapacity: true)
                    try Self.levels(&s, into: &bidBuffer)
                    sawBids = true
                } else if s.keyIs(key, "a") {
                    askBuffer.removeAll(keepingCapacity: true)
                    try Self.levels(&s, into: &askBuffer)
                    sawAsks = true
                } else if s.keyIs(key, "u") {
                    updateID = try s.int64()
                } else {
                    try s.skipValue()
                }
            } else if s.keyIs(key, "seq") {
                sequence = try s.int64()
            } else {
                try s.skipValue()
            }
        }
        guard sawBids, sawAsks else {
            throw StreamParseError(code: .missingField, offset: start, expected: "orderbook data with \"b\" and \"a\"")
        }
        guard let updateID else { throw StreamParseError(code: .missingField, offset: start, expected: "field \"u\"") }
        return BookData(bids: bidBuffer, asks: askBuffer, updateID: updateID, sequence: sequence)
    }

    /// `[[price, size], …]`: price > 0, size ≥ 0.
    @inline(__always)
    private static func levels(_ s: inout JSONScanner, into out: inout [BybitStreamMessage.Level]) throws(StreamParseError) {
        if compactLevels(&s, into: &out, terminated: false) { return }
        try s.beginArray()
        var first = true
        while try s.nextElement(&first) {
            let start = s.pos
            try s.beginArray()
            var firstField = true
            guard try s.nextElement(&firstField), let price = try s.fixed8(), price.raw > 0 else {
                throw s.invalid("level [price > 0, size]", at: start)
            }
            guard try s.nextElement(&firstField), let size = try s.fixed8(), size.raw >= 0 else {
                throw s.invalid("level [price, size >= 0]", at: start)
            }
            while try s.nextElement(&firstField) { try s.skipValue() }
            out.append(BybitStreamMessage.Level(price: price, size: size))
        }
    }

    /// Bybit's own form, `[["0.5","12"],["0.4","0"]]` with no blanks, read straight from the
    /// bytes with the host's decimal parser. Returns false, with the scanner and `out` as they
    /// were, for any other shape or an invalid value: the general path then reads the array
    /// (and names what is wrong).
    ///
    /// `terminated`: the frame is known to end with a byte that cannot continue a number (its
    /// closing `}`), so decimals are scanned without bounds checks.
    @inline(__always)
    private static func compactLevels(_ s: inout JSONScanner, into out: inout [BybitStreamMessage.Level], terminated: Bool) -> Bool {
        let start = s.base + s.pos
        let end = s.base + s.count
        let initialCount = out.count
        var p = start
        guard p < end, p.pointee == UInt8(ascii: "[") else { return false }
        p += 1
        if p < end, p.pointee == UInt8(ascii: "]") {
            s.pos += 2
            return true
        }
        while true {
            // `["` price `","` size `"]`
            guard end - p >= 2, p[0] == UInt8(ascii: "["), p[1] == UInt8(ascii: "\"") else { break }
            p += 2
            guard let price = terminated ? Fixed8Parser.scanTerminated(&p) : Fixed8Parser.scan(&p, end: end), price > 0,
                  end - p >= 3, p[0] == UInt8(ascii: "\""), p[1] == UInt8(ascii: ","), p[2] == UInt8(ascii: "\"") else { break }
            p += 3
            guard let size = terminated ? Fixed8Parser.scanTerminated(&p) : Fixed8Parser.scan(&p, end: end), size >= 0,
                  end - p >= 3, p[0] == UInt8(ascii: "\""), p[1] == UInt8(ascii: "]") else { break }
            out.append(BybitStreamMessage.Level(price: Fixed8(raw: price), size: Fixed8(raw: size)))
            p += 2
            if p[0] == UInt8(ascii: ",") {
                p += 1
                continue
            }
            guard p[0] == UInt8(ascii: "]") else { break }
            s.pos += p + 1 - start
            return true
        }
        out.removeSubrange(initialCount...)
        return false
    }

    private func trades(_ s: inout JSONScanner) throws(StreamParseError) -> [BybitStreamMessage.Trade] {
        try s.beginArray()
        var out: [BybitStreamMessage.Trade] = []
        var first = true
        while try s.nextElement(&first) {
            let start = s.pos
            try s.beginObject()
            var timeMs: Int64?
            var symbol = ""
            var side: Side?
            var size: Fixed8?
            var price: Fixed8?
            var tickDirection: String?
            var id = ""
            var block = false
            var firstKey = true
            while let key = try s.nextKey(&firstKey) {
                if key.count == 1 {
                    switch s.byte(key.lowerBound) {
                    case UInt8(ascii: "T"): timeMs = try s.int64()
                    case UInt8(ascii: "s"): symbol = try s.string()
                    case UInt8(ascii: "S"): side = try Self.side(&s)
                    case UInt8(ascii: "v"): size = try s.fixed8()
                    case UInt8(ascii: "p"): price = try s.fixed8()
                    case UInt8(ascii: "L"): tickDirection = try s.string()
                    case UInt8(ascii: "i"): id = try s.string()
                    default: try s.skipValue()
                    }
                } else if s.keyIs(key, "BT") {
                    block = try s.bool() ?? false
                } else {
                    try s.skipValue()
                }
            }
            guard let timeMs else { throw StreamParseError(code: .missingField, offset: start, expected: "trade field \"T\"") }
            guard let side else { throw StreamParseError(code: .missingField, offset: start, expected: "trade field \"S\"") }
            guard let size, size.raw > 0 else { throw StreamParseError(code: .invalidValue, offset: start, expected: "trade field \"v\" > 0") }
            guard let price, price.raw > 0 else { throw StreamParseError(code: .invalidValue, offset: start, expected: "trade field \"p\" > 0") }
            out.append(BybitStreamMessage.Trade(timeNs: try Self.nanos(ms: timeMs, field: "T", at: start), symbol: symbol, aggressor: side,
                                                size: size, price: price, tickDirection: tickDirection, id: id, isBlockTrade: block))
        }
        return out
    }

    private static func side(_ s: inout JSONScanner) throws(StreamParseError) -> Side {
        let start = s.pos
        let token = try s.rawString()
        if s.keyIs(token.range, "Buy") { return .buy }
        if s.keyIs(token.range, "Sell") { return .sell }
        throw s.invalid("side \"Buy\" or \"Sell\"", at: start)
    }

    private func ticker(_ s: inout JSONScanner) throws(StreamParseError) -> BybitStreamMessage.TickerFields {
        try s.beginObject()
        var f = BybitStreamMessage.TickerFields()
        var first = true
        while let key = try s.nextKey(&first) {
            if s.keyIs(key, "lastPrice") { f.lastPrice = try s.fixed8() }
            else if s.keyIs(key, "bid1Price") { f.bid1Price = try s.fixed8() }
            else if s.keyIs(key, "bid1Size") { f.bid1Size = try s.fixed8() }
            else if s.keyIs(key, "ask1Price") { f.ask1Price = try s.fixed8() }
            else if s.keyIs(key, "ask1Size") { f.ask1Size = try s.fixed8() }
            else if s.keyIs(key, "markPrice") { f.markPrice = try s.fixed8() }
            else if s.keyIs(key, "indexPrice") { f.indexPrice = try s.fixed8() }
            else if s.keyIs(key, "fundingRate") { f.fundingRate = try s.fixed8() }
            else if s.keyIs(key, "highPrice24h") { f.highPrice24h = try s.fixed8() }
            else if s.keyIs(key, "lowPrice24h") { f.lowPrice24h = try s.fixed8() }
            else if s.keyIs(key, "prevPrice24h") { f.prevPrice24h = try s.fixed8() }
            else if s.keyIs(key, "price24hPcnt") { f.price24hPcnt = try s.fixed8() }
            else if s.keyIs(key, "usdIndexPrice") { f.usdIndexPrice = try s.fixed8() }
            else if s.keyIs(key, "openInterest") { f.openInterest = try s.decimal() }
            else if s.keyIs(key, "openInterestValue") { f.openInterestValue = try s.decimal() }
            else if s.keyIs(key, "volume24h") { f.volume24h = try s.decimal() }
            else if s.keyIs(key, "turnover24h") { f.turnover24h = try s.decimal() }
            else if s.keyIs(key, "nextFundingTime") { f.nextFundingTimeMs = try s.int64() }
            else { try s.skipValue() }
        }
        return f
    }

    private func candles(_ s: inout JSONScanner) throws(StreamParseError) -> [BybitStreamMessage.Candle] {
        try s.beginArray()
        var out: [BybitStreamMessage.Candle] = []
        var first = true
        while try s.nextElement(&first) {
            let start = s.pos
            try s.beginObject()
            var startMs: Int64?, endMs: Int64?, timestampMs: Int64?
            var interval = ""
            var open: Fixed8?, close: Fixed8?, high: Fixed8?, low: Fixed8?, volume: Fixed8?, turnover: Fixed8?
            var confirmed = false
            var firstKey = true
            while let key = try s.nextKey(&firstKey) {
                if s.keyIs(key, "start") { startMs = try s.int64() }
                else if s.keyIs(key, "end") { endMs = try s.int64() }
                else if s.keyIs(key, "interval") { interval = try s.string() }
                else if s.keyIs(key, "open") { open = try s.fixed8() }
                else if s.keyIs(key, "close") { close = try s.fixed8() }
                else if s.keyIs(key, "high") { high = try s.fixed8() }
                else if s.keyIs(key, "low") { low = try s.fixed8() }
                else if s.keyIs(key, "volume") { volume = try s.fixed8() }
                else if s.keyIs(key, "turnover") { turnover = try s.fixed8() }
                else if s.keyIs(key, "confirm") { confirmed = try s.bool() ?? false }
                else if s.keyIs(key, "timestamp") { timestampMs = try s.int64() }
                else { try s.skipValue() }
            }
            func missing(_ field: String) -> StreamParseError {
                StreamParseError(code: .missingField, offset: start, expected: "candle field \"\(field)\"")
            }
            guard let startMs else { throw missing("start") }
            guard let endMs, endMs >= startMs else { throw missing("end") }
            guard let open else { throw missing("open") }
            guard let close else { throw missing("close") }
            guard let high else { throw missing("high") }
            guard let low else { throw missing("low") }
            guard let volume else { throw missing("volume") }
            guard low.raw > 0, low <= high, open >= low, open <= high, close >= low, close <= high, volume.raw >= 0 else {
                throw StreamParseError(code: .invalidValue, offset: start, expected: "candle with 0 < low <= open, close <= high and volume >= 0")
            }
            out.append(BybitStreamMessage.Candle(
                startNs: try Self.nanos(ms: startMs, field: "start", at: start), endNs: try Self.nanos(ms: endMs, field: "end", at: start),
                interval: interval, open: open, close: close, high: high, low: low, volume: volume, turnover: turnover ?? .zero,
                confirmed: confirmed, timestampNs: try Self.nanos(ms: timestampMs ?? endMs, field: "timestamp", at: start)))
        }
        return out
    }
}
