import HostCore
import VenueKit

/// The body of REST `GET /api/v3/depth` (and of the partial-book streams):
/// `{"lastUpdateId":N,"bids":[["px","qty"],…],"asks":[…]}`, bids best (highest) first, asks
/// best (lowest) first. The book sync starts from it (Binance's local order book procedure).
public struct BinanceDepthSnapshot: Sendable, Hashable {
    /// `lastUpdateId`: the last order-book update the snapshot includes.
    public var lastUpdateID: Int64
    public var bids: [BinanceLevel]
    public var asks: [BinanceLevel]

    public init(lastUpdateID: Int64, bids: [BinanceLevel], asks: [BinanceLevel]) {
        self.lastUpdateID = lastUpdateID
        self.bids = bids
        self.asks = asks
    }

    /// Parses a `/api/v3/depth` body: the one parser for this format, used by the REST
    /// client, replay-frames and the partial-book streams.
    ///
    /// - Throws: ``StreamParseError`` with the byte offset: not JSON, trailing bytes, a
    ///   missing `lastUpdateId`/`bids`/`asks`, a price that is not a positive decimal with at
    ///   most 8 fraction digits, or a negative quantity.
    /// - Complexity: O(n) in the body's length.
    public static func parse(_ body: UnsafeRawBufferPointer) throws(StreamParseError) -> BinanceDepthSnapshot {
        var s = JSONScanner(body)
        let start = s.pos
        try s.beginObject()
        var lastUpdateID: Int64?
        var bids: [BinanceLevel]?
        var asks: [BinanceLevel]?
        var first = true
        while let key = try s.nextKey(&first) {
            if s.keyIs(key, "lastUpdateId") { lastUpdateID = try s.int64() }
            else if s.keyIs(key, "bids") { bids = try BinanceJSON.levels(&s) }
            else if s.keyIs(key, "asks") { asks = try BinanceJSON.levels(&s) }
            else { try s.skipValue() }
        }
        if s.peek() != nil { throw s.error("end of body") }
        guard let lastUpdateID else { throw BinanceJSON.missing("lastUpdateId", in: "depth snapshot", at: start) }
        guard let bids else { throw BinanceJSON.missing("bids", in: "depth snapshot", at: start) }
        guard let asks else { throw BinanceJSON.missing("asks", in: "depth snapshot", at: start) }
        return BinanceDepthSnapshot(lastUpdateID: lastUpdateID, bids: bids, asks: asks)
    }

    /// Parses a `/api/v3/depth` body given as bytes (see ``parse(_:)-(UnsafeRawBufferPointer)``).
    public static func parse(_ body: some Sequence<UInt8>) throws(StreamParseError) -> BinanceDepthSnapshot {
        let result = body.withContiguousStorageIfAvailable { buffer in
            Result { () throws(StreamParseError) -> BinanceDepthSnapshot in try parse(UnsafeRawBufferPointer(buffer)) }
        }
        if let result { return try result.get() }
        let copy = Array(body)
        return try copy.withUnsafeBytes { raw in
            Result { () throws(StreamParseError) -> BinanceDepthSnapshot in try parse(raw) }
        }.get()
    }

    /// Parses a `/api/v3/depth` body given as text.
    public static func parse(_ text: String) throws(StreamParseError) -> BinanceDepthSnapshot {
        var text = text
        return try text.withUTF8 { bytes in
            Result { () throws(StreamParseError) -> BinanceDepthSnapshot in try parse(UnsafeRawBufferPointer(bytes)) }
        }.get()
    }
}

/// Value readers shared by the Binance stream and snapshot parsers.
enum BinanceJSON {
    static func missing(_ field: String, in what: String, at offset: Int) -> StreamParseError {
        StreamParseError(code: .missingField, offset: offset, expected: "field \"\(field)\" of \(what)")
    }

    /// `[["px","qty"],…]`; `null` reads as empty. A price must be positive and a quantity not
    /// negative (corrupt data stops at the boundary).
    ///
    /// - Complexity: O(n); one allocation for ≤ 8 levels.
    @inline(__always)
    static func levels(_ s: inout JSONScanner) throws(StreamParseError) -> [BinanceLevel] {
        if s.isNull() { return [] }
        try s.beginArray()
        var out: [BinanceLevel] = []
        var first = true
        while try s.nextElement(&first) {
            if out.isEmpty { out.reserveCapacity(8) }
            let start = s.pos
            try s.beginArray()
            var inner = true
            guard try s.nextElement(&inner) else { throw s.invalid("a [price, quantity] pair", at: start) }
            let priceAt = s.pos
            guard let price = try s.fixed8(), price.raw > 0 else { throw s.invalid("a positive price", at: priceAt) }
            guard try s.nextElement(&inner) else { throw s.invalid("a [price, quantity] pair", at: start) }
            let sizeAt = s.pos
            guard let size = try s.fixed8(), size.raw >= 0 else { throw s.invalid("a quantity ≥ 0", at: sizeAt) }
            // Binance sends exactly two; anything further is skipped, checked for syntax.
            while try s.nextElement(&inner) { try s.skipValue() }
            out.append(BinanceLevel(price: price, size: size))
        }
        return out
    }

    /// A required integer (string or number).
    @inline(__always)
    static func requiredInt(_ s: inout JSONScanner, _ what: String) throws(StreamParseError) -> Int64 {
        let at = s.pos
        guard let value = try s.int64() else { throw s.invalid(what, at: at) }
        return value
    }

    /// A required decimal (string or number).
    @inline(__always)
    static func requiredFixed8(_ s: inout JSONScanner, _ what: String) throws(StreamParseError) -> Fixed8 {
        let at = s.pos
        guard let value = try s.fixed8() else { throw s.invalid(what, at: at) }
        return value
    }
}
