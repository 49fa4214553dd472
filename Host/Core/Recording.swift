import Foundation

/// One input to an engine, in the order it arrived: market data, or a control from a live
/// feed, venue, operator or the host itself. The same type is what a recording stores between
/// market events (``RecordedControl``), so a replay feeds back exactly what the live engine took.
/// Venue adapters produce it and depend on Core only, never on the engine.
public enum EngineInput: Sendable {
    case market(MarketEvent)
    /// An order update from a live venue adapter.
    case venueUpdate(OrderUpdate)
    /// Halts all trading at once (the kill switch); orders stay denied until restart.
    case killSwitch(reason: String)
    /// A live feed's view of one symbol: stale or resyncing (plugins see
    /// `TSH_EVENT_FLAG_STALE` on its events until it is fresh again).
    case feedStatus(symbol: SymbolID, stale: Bool, reason: String)
    /// A live venue moved one instance's trading state (cancel-only mode, a revoked key, an
    /// order whose outcome is unknown): `.active` resumes.
    case tradingState(instance: Int, state: TradingState, reason: String)
    /// The cash a live instance's venue reported (live runs record it at start; replays size
    /// orders from it).
    case venueCash(instance: Int, amount: Decimal, quoteAsset: String)
    /// A live session's persistence writer fell behind (`true`: orders are denied) or caught
    /// up. The engine itself raises it in live sessions, so it is recorded and replayed.
    case journalBehind(Bool)
    /// A live engine's clock passed `at` while no input arrived (recorded, so a replay delivers
    /// the bars that became final by then at the same place).
    case clock(at: Int64)
    /// A timer the engine fired — recorded for verification only: a replay fires timers itself
    /// from event times and compares the sequence; an engine given this input ignores it.
    case timerFired(instance: Int, timerID: UInt64, at: Int64)
}

/// A control input recorded between market events: a live venue's order update, the kill
/// switch, a feed status… (never `.market`). `position` is the number of the block's market
/// events that came before it.
public struct RecordedControl: Sendable {
    public var position: Int
    public var input: EngineInput
    public init(position: Int, input: EngineInput) {
        self.position = position
        self.input = input
    }
}

/// A run of recorded inputs in arrival order: sequence numbers `firstSeq ..< firstSeq + count`
/// (market events and controls together), each market event with its arrival time (`tsRecv`).
public struct RecordedBlock: Sendable {
    public var firstSeq: UInt64
    public var events: [MarketEvent]
    public var controls: [RecordedControl]
    public init(firstSeq: UInt64, events: [MarketEvent] = [], controls: [RecordedControl] = []) {
        self.firstSeq = firstSeq
        self.events = events
        self.controls = controls
    }
    public var count: Int { events.count + controls.count }
    public var firstTime: Int64 { events.first?.tsRecv ?? 0 }
    public var lastTime: Int64 { events.last?.tsRecv ?? 0 }
}

/// The market data files a backtest read, recorded in place of the events themselves: the
/// files are the inputs, so a replay re-reads them with the same filters and proves, by
/// size and XXH3-64 digest, that it read the same bytes.
public struct RecordedDataFiles: Codable, Sendable, Hashable {
    public struct File: Codable, Sendable, Hashable {
        public var path: String
        /// The file's size when the session started.
        public var size: Int64
        /// Bytes the session read from it (the whole file, or up to `to`); nil until the run ends.
        public var bytesRead: Int64?
        /// XXH3-64 of those bytes, 16 hex digits; nil until the run ends.
        public var digest: String?
        /// Rows taken from it.
        public var rows: Int64?
        public init(path: String, size: Int64, bytesRead: Int64? = nil, digest: String? = nil, rows: Int64? = nil) {
            self.path = path
            self.size = size
            self.bytesRead = bytesRead
            self.digest = digest
            self.rows = rows
        }
    }

    public var directory: String
    /// The symbol filter (nil: every symbol), data types (nil: all), time range, malformed-row policy.
    public var symbols: [String]?
    public var dataTypes: [String]?
    public var from: Int64?
    public var to: Int64?
    public var skipMalformed: Bool
    public var files: [File]

    public init(directory: String, symbols: [String]?, dataTypes: [String]?, from: Int64?, to: Int64?, skipMalformed: Bool, files: [File]) {
        self.directory = directory
        self.symbols = symbols
        self.dataTypes = dataTypes
        self.from = from
        self.to = to
        self.skipMalformed = skipMalformed
        self.files = files
    }

    /// Whether every file's digest was recorded (the run reached its end).
    public var isComplete: Bool { files.allSatisfy { $0.digest != nil } }

    /// Compact JSON with sorted keys.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    public static func parse(_ text: String) -> RecordedDataFiles? {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(RecordedDataFiles.self, from: Data(text.utf8))
    }
}

/// Where the engine hands every input it processes, in order, before processing it.
///
/// - Important: Called on the engine thread only; must not block (buffer and hand off).
public protocol InputRecorder: AnyObject, Sendable {
    func record(_ events: UnsafeBufferPointer<MarketEvent>)
    func record(_ control: EngineInput)
}

/// The stable binary encoding of recorded inputs, `tsh-input-v1`: little-endian, one
/// tagged record per input, so a recording outlives the in-memory layout of the types.
///
/// Records: 1 quote, 2 trade, 3 book row, 4 bar, 5 oracle, 6 settlement (fixed fields);
/// 7 venue order update, 8 kill switch (length-prefixed text fields), 9 timer fired,
/// 10 feed status, 11 trading state, 12 venue cash, 13 writer behind / caught up, 14 history bar
/// (fields of 4), 15 clock passed (live, no input), 16 trade with the venue's trade id (fields of
/// 2, then the id; a trade without an id is still written as 2, so older readers of such blocks
/// and older recordings keep working).
public enum InputCodec {
    public static let encoding = "tsh-input-v1"

    public struct DecodeError: Error, CustomStringConvertible, Sendable {
        public var offset: Int
        public var message: String
        public var description: String { "recorded input block is corrupt at byte \(offset): \(message)" }
    }

    public static func encode(_ block: RecordedBlock) -> [UInt8] {
        var out = Writer()
        out.bytes.reserveCapacity(block.events.count * 48 + 16)
        out.u64(block.firstSeq)
        out.u32(UInt32(block.count))
        var next = 0
        func event(_ e: MarketEvent) {
            switch e {
            case .quote(let q):
                out.u8(1); out.u32(q.symbol.rawValue); out.i64(q.tsEvent); out.i64(q.tsRecv)
                out.i64(q.bidPrice.raw); out.i64(q.bidSize.raw); out.i64(q.askPrice.raw); out.i64(q.askSize.raw)
            case .trade(let t):
                out.u8(t.tradeID == 0 ? 2 : 16); out.u32(t.symbol.rawValue); out.i64(t.tsEvent); out.i64(t.tsRecv)
                out.i64(t.price.raw); out.i64(t.size.raw); out.u8(UInt8(bitPattern: Int8(t.aggressor?.rawValue ?? 0)))
                if t.tradeID != 0 { out.u64(t.tradeID) }
            case .bookDelta(let d):
                out.u8(d.venueSequence == 0 ? 3 : 17); out.u32(d.symbol.rawValue); out.i64(d.tsEvent); out.i64(d.tsRecv)
                out.u8(UInt8(bitPattern: Int8(d.side.rawValue))); out.i64(d.price.raw); out.i64(d.size.raw); out.u8(d.flags.rawValue)
                if d.venueSequence != 0 { out.u64(d.venueSequence) }
            case .bar(let b):
                out.u8(b.isHistory ? 14 : 4); out.u32(b.symbol.rawValue); out.i64(b.tsEvent); out.i64(b.tsRecv); out.i64(b.openTime); out.i64(b.interval)
                out.i64(b.open.raw); out.i64(b.high.raw); out.i64(b.low.raw); out.i64(b.close.raw); out.i64(b.volume.raw)
            case .oracle(let o):
                out.u8(5); out.u32(o.symbol.rawValue); out.i64(o.tsEvent); out.i64(o.tsRecv); out.i64(o.price.raw)
                out.text(o.source.description)
            case .settlement(let s):
                out.u8(6); out.u32(s.symbol.rawValue); out.i64(s.tsEvent); out.i64(s.tsRecv); out.i64(s.price.raw)
            }
        }
        for control in block.controls {
            while next < control.position && next < block.events.count {
                event(block.events[next])
                next += 1
            }
            switch control.input {
            case .market(let e):
                event(e)  // not a control: kept in the stream as the event it is
            case .venueUpdate(let u):
                out.u8(7); out.u64(u.clientOrderID.rawValue); out.i64(Int64(u.instance)); out.u32(u.symbol.rawValue)
                out.u8(UInt8(bitPattern: Int8(u.side.rawValue))); out.u8(UInt8(u.status.rawValue)); out.i64(Int64(u.denyReason?.rawValue ?? -1))
                for d in [u.lastFillPrice, u.lastFillSize, u.filledSize, u.remainingSize, u.averageFillPrice, u.fee, u.lastFee] { out.text("\(d)") }
                out.text(u.liquidity?.rawValue ?? ""); out.text(u.reason); out.text(u.venueOrderID); out.i64(u.timestamp)
            case .killSwitch(let reason):
                out.u8(8); out.text(reason)
            case .timerFired(let instance, let id, let time):
                out.u8(9); out.i64(Int64(instance)); out.u64(id); out.i64(time)
            case .feedStatus(let symbol, let stale, let reason):
                out.u8(10); out.u32(symbol.rawValue); out.u8(stale ? 1 : 0); out.text(reason)
            case .tradingState(let instance, let state, let reason):
                out.u8(11); out.i64(Int64(instance)); out.text(state.rawValue); out.text(reason)
            case .venueCash(let instance, let amount, let asset):
                out.u8(12); out.i64(Int64(instance)); out.text("\(amount)"); out.text(asset)
            case .journalBehind(let behind):
                out.u8(13); out.u8(behind ? 1 : 0)
            case .clock(let time):
                out.u8(15); out.i64(time)
            }
        }
        while next < block.events.count {
            event(block.events[next])
            next += 1
        }
        return out.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> RecordedBlock {
        var r = Reader(bytes: bytes)
        let firstSeq = try r.u64()
        let count = Int(try r.u32())
        var block = RecordedBlock(firstSeq: firstSeq)
        block.events.reserveCapacity(count)
        for _ in 0..<count {
            let tag = try r.u8()
            switch tag {
            case 1:
                let symbol = SymbolID(try r.u32()), tsEvent = try r.i64(), tsRecv = try r.i64()
                block.events.append(.quote(QuoteTick(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv, bidPrice: Fixed8(raw: try r.i64()),
                                                     bidSize: Fixed8(raw: try r.i64()), askPrice: Fixed8(raw: try r.i64()), askSize: Fixed8(raw: try r.i64()))))
            case 2, 16:
                let symbol = SymbolID(try r.u32()), tsEvent = try r.i64(), tsRecv = try r.i64()
                let price = Fixed8(raw: try r.i64()), size = Fixed8(raw: try r.i64())
                let aggressor = Side(rawValue: Int32(Int8(bitPattern: try r.u8())))
                let tradeID = tag == 16 ? try r.u64() : 0
                block.events.append(.trade(TradeTick(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv, price: price, size: size, aggressor: aggressor,
                                                     tradeID: tradeID)))
            case 3, 17:
                let symbol = SymbolID(try r.u32()), tsEvent = try r.i64(), tsRecv = try r.i64()
                let at = r.offset
                guard let side = Side(rawValue: Int32(Int8(bitPattern: try r.u8()))) else { throw DecodeError(offset: at, message: "bad book side") }
                let price = Fixed8(raw: try r.i64()), size = Fixed8(raw: try r.i64())
                let flags = BookDelta.Flags(rawValue: try r.u8())
                var delta = BookDelta(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv, side: side, price: price, size: size, flags: flags)
                if tag == 17 { delta.venueSequence = try r.u64() }
                block.events.append(.bookDelta(delta))
            case 4, 14:
                let symbol = SymbolID(try r.u32()), tsEvent = try r.i64(), tsRecv = try r.i64(), openTime = try r.i64(), interval = try r.i64()
                var bar = BarEvent(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv, openTime: openTime, interval: interval,
                                   open: Fixed8(raw: try r.i64()), high: Fixed8(raw: try r.i64()), low: Fixed8(raw: try r.i64()),
                                   close: Fixed8(raw: try r.i64()), volume: Fixed8(raw: try r.i64()))
                bar.isHistory = tag == 14
                block.events.append(.bar(bar))
            case 5:
                let symbol = SymbolID(try r.u32()), tsEvent = try r.i64(), tsRecv = try r.i64(), price = Fixed8(raw: try r.i64())
                block.events.append(.oracle(OraclePrice(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv, source: ShortName(try r.text()), price: price)))
            case 6:
                let symbol = SymbolID(try r.u32()), tsEvent = try r.i64(), tsRecv = try r.i64()
                block.events.append(.settlement(Settlement(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv, price: Fixed8(raw: try r.i64()))))
            case 7:
                let id = ClientOrderID(try r.u64()), instance = Int(try r.i64()), symbol = SymbolID(try r.u32())
                let at = r.offset
                guard let side = Side(rawValue: Int32(Int8(bitPattern: try r.u8()))),
                      let status = OrderStatus(rawValue: Int32(try r.u8())) else { throw DecodeError(offset: at, message: "bad order side or status") }
                let deny = try r.i64()
                var decimals: [Decimal] = []
                for _ in 0..<7 {
                    let textAt = r.offset
                    guard let value = Decimal(string: try r.text(), locale: Locale(identifier: "en_US_POSIX")) else {
                        throw DecodeError(offset: textAt, message: "bad decimal")
                    }
                    decimals.append(value)
                }
                let liquidity = OrderUpdate.Liquidity(rawValue: try r.text())
                let reason = try r.text(), venueID = try r.text(), timestamp = try r.i64()
                let update = OrderUpdate(clientOrderID: id, instance: instance, symbol: symbol, side: side, status: status,
                                         denyReason: deny >= 0 ? DenyReason(rawValue: Int32(deny)) : nil, lastFillPrice: decimals[0],
                                         lastFillSize: decimals[1], filledSize: decimals[2], remainingSize: decimals[3],
                                         averageFillPrice: decimals[4], fee: decimals[5], lastFee: decimals[6], liquidity: liquidity,
                                         reason: reason, venueOrderID: venueID, timestamp: timestamp)
                block.controls.append(RecordedControl(position: block.events.count, input: .venueUpdate(update)))
            case 8:
                block.controls.append(RecordedControl(position: block.events.count, input: .killSwitch(reason: try r.text())))
            case 9:
                let instance = Int(try r.i64()), id = try r.u64(), time = try r.i64()
                block.controls.append(RecordedControl(position: block.events.count, input: .timerFired(instance: instance, timerID: id, at: time)))
            case 10:
                let symbol = SymbolID(try r.u32()), stale = try r.u8() != 0, reason = try r.text()
                block.controls.append(RecordedControl(position: block.events.count, input: .feedStatus(symbol: symbol, stale: stale, reason: reason)))
            case 11:
                let instance = Int(try r.i64())
                let at = r.offset
                guard let state = TradingState(rawValue: try r.text()) else { throw DecodeError(offset: at, message: "bad trading state") }
                block.controls.append(RecordedControl(position: block.events.count, input: .tradingState(instance: instance, state: state, reason: try r.text())))
            case 12:
                let instance = Int(try r.i64())
                let at = r.offset
                guard let amount = Decimal(string: try r.text(), locale: Locale(identifier: "en_US_POSIX")) else { throw DecodeError(offset: at, message: "bad decimal") }
                block.controls.append(RecordedControl(position: block.events.count, input: .venueCash(instance: instance, amount: amount, quoteAsset: try r.text())))
            case 13:
                block.controls.append(RecordedControl(position: block.events.count, input: .journalBehind(try r.u8() != 0)))
            case 15:
                block.controls.append(RecordedControl(position: block.events.count, input: .clock(at: try r.i64())))
            default:
                throw DecodeError(offset: r.offset - 1, message: "unknown record tag \(tag)")
            }
        }
        guard r.offset == bytes.count else { throw DecodeError(offset: r.offset, message: "\(bytes.count - r.offset) trailing bytes") }
        return block
    }

    private struct Writer {
        var bytes: [UInt8] = []
        mutating func u8(_ v: UInt8) { bytes.append(v) }
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
        mutating func text(_ s: String) {
            let utf8 = Array(s.utf8)
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0
        mutating func need(_ n: Int) throws(DecodeError) {
            guard offset + n <= bytes.count else { throw DecodeError(offset: offset, message: "truncated") }
        }
        mutating func u8() throws(DecodeError) -> UInt8 {
            try need(1)
            defer { offset += 1 }
            return bytes[offset]
        }
        mutating func u32() throws(DecodeError) -> UInt32 {
            try need(4)
            var v: UInt32 = 0
            for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
            offset += 4
            return v
        }
        mutating func u64() throws(DecodeError) -> UInt64 {
            try need(8)
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
            offset += 8
            return v
        }
        mutating func i64() throws(DecodeError) -> Int64 { Int64(bitPattern: try u64()) }
        mutating func text() throws(DecodeError) -> String {
            let n = Int(try u32())
            try need(n)
            defer { offset += n }
            return String(decoding: bytes[offset..<(offset + n)], as: UTF8.self)
        }
    }
}
