import HostCore
#if canImport(Glibc)
import Glibc
#endif

/// A decimal field as Fixed8 raw, parsed by the host's one parser (``Fixed8Parser``; the line's
/// `\n` terminates it). Empty or invalid text clears `ok`. Transparent, so always inlined into
/// the row loop: as a call (the optimizer's choice) it cost ~10% of the parse rate.
@_transparent
private func tardisDecimal(_ p: inout UnsafePointer<UInt8>, _ ok: inout Bool) -> Int64 {
    guard let raw = Fixed8Parser.scanTerminated(&p) else {
        ok = false
        return 0
    }
    return raw
}

/// How a file's rows get their symbol.
struct TardisSymbolPlan: Sendable {
    /// Per-symbol files: the id of every row.
    var fileSymbol: SymbolID
    /// Per-symbol files: how the symbol column spells it (rows must agree); nil for an empty file.
    var spelling: [UInt8]?
    /// Grouped files: the id of each symbol column value; `SymbolID.none` for filtered-out symbols.
    var grouped: [String: SymbolID]?
}

/// Parses one Tardis CSV file into market events, straight from the bytes of a reused buffer.
///
/// Timestamps become ns (`tsEvent` = timestamp, `tsRecv` = local_timestamp). L2 rows are held
/// back one row so that the last row of each message (rows sharing a local_timestamp and a
/// symbol) can be flagged `.endOfBatch`.
///
/// - Important: Not thread-safe; owned by one stream of the merge.
final class TardisFileReader {
    let file: TardisFile
    private let source: TardisByteSource
    private let plan: TardisSymbolPlan
    private let from: Int64
    private let to: Int64
    private let skipMalformed: Bool
    /// The file name's exchange, which every row's exchange column must equal.
    private let exchange: [UInt8]

    /// The last row's "exchange,symbol," bytes: rows starting with them skip symbol parsing.
    private let prefix: UnsafeMutablePointer<UInt8>
    private static let prefixCapacity = 256
    private var prefixLength = 0
    private var currentSymbol = SymbolID.none

    /// Lines consumed so far; the header is line 1.
    private(set) var line = 0
    /// The latest local_timestamp seen (ns) and its line, for the monotonic check.
    private(set) var lastLocal: Int64
    private var lastLine = 0
    private var pending: BookDelta?
    private(set) var isDone = false
    /// Whether reading stopped at a row at or after the `to` bound.
    private(set) var reachedTo = false
    private var deferred: TardisError?

    private(set) var rowsRead: Int64 = 0
    private(set) var rowsSkipped: Int64 = 0
    private(set) var rowsFiltered: Int64 = 0
    var bytesRead: Int64 { source.bytesRead }
    var bytesDecoded: Int64 { source.bytesDecoded }
    /// XXH3-64 of the `bytesRead` bytes read from the file so far.
    var contentDigest: UInt64 { source.contentDigest }

    /// Opens the file and checks its header.
    /// - Parameter lastLocal: the previous file's last local_timestamp (ns) in the same stream.
    /// - Parameter inflateAhead: inflate a `.gz` file on a helper thread (see `TardisInflatePipe`).
    init(file: TardisFile, plan: TardisSymbolPlan, options: TardisOptions, lastLocal: Int64 = .min,
         inflateAhead: Bool = false) throws(TardisError) {
        self.file = file
        self.plan = plan
        self.from = options.from ?? .min
        self.to = options.to ?? .max
        self.skipMalformed = options.skipMalformed
        self.exchange = Array(file.exchange.utf8)
        self.lastLocal = lastLocal
        source = try TardisByteSource(path: file.path, isGzip: file.isGzip, inflateAhead: inflateAhead)
        prefix = .allocate(capacity: Self.prefixCapacity + 8)
        prefix.initialize(repeating: 0, count: Self.prefixCapacity + 8)
        try readHeader()
    }

    deinit { prefix.deallocate() }

    private func readHeader() throws(TardisError) {
        let expected = file.dataType.header
        guard try source.fill() else {
            throw TardisError(code: .wrongHeader, path: file.path, line: 1,
                              message: "the file is empty; expected the header \"\(expected)\"",
                              fix: "download the file again")
        }
        let text = takeLine()
        line = 1
        if text.utf8.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw TardisError(code: .wrongHeader, path: file.path, line: 1,
                              message: "the file starts with a UTF-8 byte-order mark (bytes EF BB BF) before the header \"\(expected)\"",
                              fix: "remove the byte-order mark, for example: sed -i '1s/^\\xEF\\xBB\\xBF//' FILE")
        }
        guard text == expected else {
            throw TardisError(code: .wrongHeader, path: file.path, line: 1,
                              message: "expected the \(file.dataType.rawValue) header \"\(expected)\", found \"\(text.prefix(200))\"",
                              fix: "check that the file holds Tardis \(file.dataType.rawValue) data and is named after its data type")
        }
    }

    /// Consumes the next line (which `fill` made available) as text without its line ending.
    private func takeLine() -> String {
        let base = source.buffer
        var i = source.start
        while base[i] != UInt8(ascii: "\n") { i += 1 }
        var stop = i
        if stop > source.start && base[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
        let text = String(decoding: UnsafeBufferPointer(start: base + source.start, count: stop - source.start), as: UTF8.self)
        source.start = i + 1
        return text
    }

    /// The symbol column of the first data row (blank lines before it are consumed); nil for
    /// a file without rows.
    func firstRowSymbol() throws(TardisError) -> String? {
        while try source.fill() {
            let row = source.buffer + source.start
            if row.pointee == UInt8(ascii: "\n") || (row.pointee == UInt8(ascii: "\r") && row[1] == UInt8(ascii: "\n")) {
                _ = takeLine()
                continue
            }
            return Self.symbolField(row)
        }
        return nil
    }

    /// Every symbol in the symbol column, in order of first appearance (reads the whole file).
    func scanSymbols() throws(TardisError) -> [String] {
        var seen: Set<String> = []
        var order: [String] = []
        var last: [UInt8] = []
        while try source.fill() {
            let base = source.buffer
            var i = source.start
            while i < source.lineLimit {
                let lineStart = i
                while base[i] != UInt8(ascii: ",") && base[i] != UInt8(ascii: "\n") { i += 1 }
                if base[i] == UInt8(ascii: ",") { i += 1 }
                let symbolStart = i
                while base[i] != UInt8(ascii: ",") && base[i] != UInt8(ascii: "\n") { i += 1 }
                let bytes = UnsafeBufferPointer(start: base + symbolStart, count: i - symbolStart)
                if !bytes.elementsEqual(last) && i > lineStart {
                    last = Array(bytes)
                    let name = String(decoding: bytes, as: UTF8.self)
                    if !name.isEmpty && seen.insert(name).inserted { order.append(name) }
                }
                while base[i] != UInt8(ascii: "\n") { i += 1 }
                i += 1
            }
            source.start = i
        }
        return order
    }

    private static func symbolField(_ row: UnsafePointer<UInt8>) -> String? {
        var p = row
        while p.pointee != UInt8(ascii: ",") && p.pointee != UInt8(ascii: "\n") { p += 1 }
        guard p.pointee == UInt8(ascii: ",") else { return nil }
        p += 1
        let start = p
        while p.pointee != UInt8(ascii: ",") && p.pointee != UInt8(ascii: "\n") { p += 1 }
        return String(decoding: UnsafeBufferPointer(start: start, count: p - start), as: UTF8.self)
    }

    // MARK: - Rows

    /// Writes events at `events[count...]` up to `capacity`, advancing `count`. An error after
    /// some events were written is kept and thrown by the next call, so every good row before
    /// a bad one is delivered. `MarketEvent` is trivial: slots are overwritten, never deinitialized.
    func read(into events: UnsafeMutablePointer<MarketEvent>, count: inout Int, capacity: Int) throws(TardisError) {
        if let deferred {
            self.deferred = nil
            isDone = true
            throw deferred
        }
        let startCount = count
        do {
            while !isDone && count < capacity {
                if source.start >= source.lineLimit {
                    guard try source.fill() else {
                        finish(into: events, count: &count)
                        return
                    }
                }
                try parseLines(into: events, count: &count, capacity: capacity)
            }
        } catch {
            // The held-back L2 row is good: it ends its message, as the replay ends here.
            finish(into: events, count: &count)
            guard count > startCount else { throw error }
            deferred = error
            isDone = false
        }
    }

    private func finish(into events: UnsafeMutablePointer<MarketEvent>, count: inout Int) {
        if var last = pending {
            last.flags.insert(.endOfBatch)
            (events + count).initialize(to: .bookDelta(last))
            count += 1
            pending = nil
        }
        isDone = true
    }

    /// The hot loop: rows of [source.start, source.lineLimit) until `capacity` events. State lives
    /// in locals here and is stored back on exit, so the loop touches no class properties.
    private func parseLines(into events: UnsafeMutablePointer<MarketEvent>, count: inout Int, capacity: Int) throws(TardisError) {
        let base = UnsafePointer(source.buffer)
        let limit = base + source.lineLimit
        var p = base + source.start
        var line = self.line
        var lastLocal = self.lastLocal
        var lastLine = self.lastLine
        var pending = self.pending
        var rowsRead = self.rowsRead
        var rowsSkipped = self.rowsSkipped
        var rowsFiltered = self.rowsFiltered
        var symbol = currentSymbol
        var prefixLength = self.prefixLength
        let prefix = UnsafePointer(self.prefix)
        let type = file.dataType
        let from = self.from, to = self.to
        defer {
            source.start = p - base
            self.line = line
            self.lastLocal = lastLocal
            self.lastLine = lastLine
            self.pending = pending
            self.rowsRead = rowsRead
            self.rowsSkipped = rowsSkipped
            self.rowsFiltered = rowsFiltered
            currentSymbol = symbol
        }

        while p < limit && count < capacity {
            let rowStart = p
            var ok = true
            line += 1
            if p.pointee == UInt8(ascii: "\n") || (p.pointee == UInt8(ascii: "\r") && p[1] == UInt8(ascii: "\n")) {
                p += p.pointee == UInt8(ascii: "\n") ? 1 : 2  // blank lines are not rows
                continue
            }
            rowsRead += 1
            if prefixLength > 0 && Self.hasPrefix(p, prefix, prefixLength) {
                p += prefixLength
            } else {
                symbol = resolveSymbol(&p, &ok)
                prefixLength = self.prefixLength
            }
            let tsEvent = Self.micros(&p, &ok)
            Self.comma(&p, &ok)
            let tsRecv = Self.micros(&p, &ok)
            Self.comma(&p, &ok)
            let event: MarketEvent
            switch type {
            case .quotes:
                // An empty side (Tardis: no bids or no asks) has both fields empty and is kept
                // as price 0, size 0; a side with one empty field is malformed.
                let askSizeEmpty = p.pointee == UInt8(ascii: ",")
                let askSize = askSizeEmpty ? 0 : tardisDecimal(&p, &ok)
                Self.comma(&p, &ok)
                let askPriceEmpty = p.pointee == UInt8(ascii: ",")
                let askPrice = askPriceEmpty ? 0 : tardisDecimal(&p, &ok)
                Self.comma(&p, &ok)
                let bidPriceEmpty = p.pointee == UInt8(ascii: ",")
                let bidPrice = bidPriceEmpty ? 0 : tardisDecimal(&p, &ok)
                Self.comma(&p, &ok)
                let bidSizeEmpty = p.pointee == UInt8(ascii: "\n") || p.pointee == UInt8(ascii: "\r")
                let bidSize = bidSizeEmpty ? 0 : tardisDecimal(&p, &ok)
                // Valid: sides whole or empty, prices > 0, amounts ≥ 0, bid < ask (see `quoteProblem`).
                if askSizeEmpty != askPriceEmpty || bidSizeEmpty != bidPriceEmpty || askSize < 0 || bidSize < 0
                    || (!askPriceEmpty && askPrice <= 0) || (!bidPriceEmpty && bidPrice <= 0)
                    || (!askPriceEmpty && !bidPriceEmpty && bidPrice >= askPrice) {
                    ok = false
                }
                event = .quote(QuoteTick(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv,
                                         bidPrice: Fixed8(raw: bidPrice), bidSize: Fixed8(raw: bidSize),
                                         askPrice: Fixed8(raw: askPrice), askSize: Fixed8(raw: askSize)))
            case .trades:
                let idStart = p
                Self.skipField(&p)
                let tradeID = TradeID.from(UnsafeBufferPointer(start: idStart, count: p - idStart))
                Self.comma(&p, &ok)
                let aggressor = Self.tradeSide(&p, &ok)
                Self.comma(&p, &ok)
                let price = tardisDecimal(&p, &ok)
                Self.comma(&p, &ok)
                let size = tardisDecimal(&p, &ok)
                if price <= 0 || size <= 0 { ok = false }
                event = .trade(TradeTick(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv, price: Fixed8(raw: price),
                                         size: Fixed8(raw: size), aggressor: aggressor, tradeID: tradeID))
            case .incrementalBookL2:
                let snapshot = Self.flag(&p, &ok)
                Self.comma(&p, &ok)
                let side = Self.bookSide(&p, &ok)
                Self.comma(&p, &ok)
                let price = tardisDecimal(&p, &ok)
                Self.comma(&p, &ok)
                let size = tardisDecimal(&p, &ok)
                if price <= 0 || size < 0 { ok = false }  // amount 0 deletes the level
                event = .bookDelta(BookDelta(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv, side: side, price: Fixed8(raw: price),
                                             size: Fixed8(raw: size), flags: snapshot ? .snapshot : []))
            }
            Self.endOfLine(&p, &ok)

            guard ok else {
                p = rowStart
                while p.pointee != UInt8(ascii: "\n") { p += 1 }
                p += 1
                let error = diagnose(rowStart, line: line)
                // A bad symbol column is resolved again on the next row.
                prefixLength = 0
                self.prefixLength = 0
                if skipMalformed {
                    rowsSkipped += 1
                    continue
                }
                throw error
            }
            if tsRecv < lastLocal {
                throw TardisError(
                    code: .nonMonotonicTimestamp, path: file.path, line: line,
                    message: "local_timestamp \(tsRecv / 1000) is earlier than \(lastLocal / 1000) "
                        + (lastLine > 0 ? "on line \(lastLine)" : "at the end of the previous file of this stream"),
                    fix: "Tardis files are ordered by local_timestamp; sort the file by it or download it again")
            }
            lastLocal = tsRecv
            lastLine = line
            if tsRecv < from || symbol == .none {
                rowsFiltered += 1
                continue
            }
            if tsRecv >= to {
                rowsFiltered += 1
                if var last = pending {
                    last.flags.insert(.endOfBatch)
                    (events + count).initialize(to: .bookDelta(last))
                    count += 1
                    pending = nil
                }
                isDone = true
                reachedTo = true
                return
            }
            if case .bookDelta(let delta) = event {
                if var previous = pending {
                    if previous.tsRecv != delta.tsRecv || previous.symbol != delta.symbol { previous.flags.insert(.endOfBatch) }
                    (events + count).initialize(to: .bookDelta(previous))
                    count += 1
                }
                pending = delta
            } else {
                (events + count).initialize(to: event)
                count += 1
            }
        }
    }

    /// Parses "exchange,symbol," the slow way and remembers it as the fast-path prefix.
    private func resolveSymbol(_ p: inout UnsafePointer<UInt8>, _ ok: inout Bool) -> SymbolID {
        let rowStart = p
        Self.skipField(&p)
        // The exchange column must be the file name's exchange.
        if !UnsafeBufferPointer(start: rowStart, count: p - rowStart).elementsEqual(exchange) { ok = false }
        Self.comma(&p, &ok)
        let symbolStart = p
        Self.skipField(&p)
        let bytes = UnsafeBufferPointer(start: symbolStart, count: p - symbolStart)
        Self.comma(&p, &ok)
        prefixLength = 0
        guard ok else { return .none }
        let id: SymbolID
        if let grouped = plan.grouped {
            guard let known = grouped[String(decoding: bytes, as: UTF8.self)] else {
                ok = false
                return .none
            }
            id = known
        } else {
            if let spelling = plan.spelling, !bytes.elementsEqual(spelling) {
                ok = false
                return .none
            }
            id = plan.fileSymbol
        }
        let length = p - rowStart
        if length <= Self.prefixCapacity {
            prefix.update(from: rowStart, count: length)
            prefixLength = length
        }
        return id
    }

    // MARK: - Field parsers (hot)

    /// The largest microsecond timestamp whose ns value fits an Int64.
    private static let maxMicros: Int64 = Int64.max / 1000

    @inline(__always)
    private static func micros(_ p: inout UnsafePointer<UInt8>, _ ok: inout Bool) -> Int64 {
        let start = p
        var value: Int64 = 0
        // Tardis timestamps have 16 digits: take eight at a time when they are all digits.
        while let eight = eightDigits(p) {
            value = value &* 100_000_000 &+ eight
            p += 8
        }
        var c = p.pointee
        while c &- 48 < 10 {
            value = value &* 10 &+ Int64(c &- 48)
            p += 1
            c = p.pointee
        }
        let digits = p - start
        if digits == 0 || digits > 16 || value > maxMicros { ok = false }
        return value &* 1000
    }

    /// The value of eight ASCII digits at `p`, or nil when any of them is not a digit (SWAR).
    @inline(__always)
    private static func eightDigits(_ p: UnsafePointer<UInt8>) -> Int64? {
        let word = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
        // Every byte 0x30...0x39: high nibbles are 3, and adding 6 carries into none of them.
        guard (word & 0xF0F0_F0F0_F0F0_F0F0) | (((word &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4)
                == 0x3333_3333_3333_3333 else { return nil }
        // In Swift `>>` binds tighter than `&*`: the products are parenthesized.
        var v = ((word & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        return Int64(((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32)
    }

    /// Whether `p` starts with the `length` bytes of `prefix`, compared a word at a time
    /// (the buffer's padding makes reading up to 7 bytes past a line safe).
    @inline(__always)
    private static func hasPrefix(_ p: UnsafePointer<UInt8>, _ prefix: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        var i = 0
        while i + 8 <= length {
            if UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(prefix + i).loadUnaligned(as: UInt64.self) {
                return false
            }
            i += 8
        }
        guard i < length else { return true }
        let mask = UInt64.max >> (64 - 8 * UInt64(length - i))
        let a = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
        let b = UInt64(littleEndian: UnsafeRawPointer(prefix + i).loadUnaligned(as: UInt64.self))
        return (a ^ b) & mask == 0
    }

    @inline(__always)
    private static func comma(_ p: inout UnsafePointer<UInt8>, _ ok: inout Bool) {
        if p.pointee == UInt8(ascii: ",") { p += 1 } else { ok = false }
    }

    @inline(__always)
    private static func endOfLine(_ p: inout UnsafePointer<UInt8>, _ ok: inout Bool) {
        if p.pointee == UInt8(ascii: "\n") {
            p += 1
        } else if p.pointee == UInt8(ascii: "\r") && p[1] == UInt8(ascii: "\n") {
            p += 2
        } else {
            ok = false
        }
    }

    @inline(__always)
    private static func skipField(_ p: inout UnsafePointer<UInt8>) {
        while p.pointee != UInt8(ascii: ",") && p.pointee != UInt8(ascii: "\n") { p += 1 }
    }

    /// `buy`, `sell` or `unknown` (nil aggressor).
    @inline(__always)
    private static func tradeSide(_ p: inout UnsafePointer<UInt8>, _ ok: inout Bool) -> Side? {
        switch p.pointee {
        case UInt8(ascii: "b") where p[1] == UInt8(ascii: "u") && p[2] == UInt8(ascii: "y"):
            p += 3
            return .buy
        case UInt8(ascii: "s") where p[1] == UInt8(ascii: "e") && p[2] == UInt8(ascii: "l") && p[3] == UInt8(ascii: "l"):
            p += 4
            return .sell
        case UInt8(ascii: "u") where matches(p, "unknown"):
            p += 7
            return nil
        default:
            ok = false
            return nil
        }
    }

    /// `bid` (buy side of the book) or `ask`.
    @inline(__always)
    private static func bookSide(_ p: inout UnsafePointer<UInt8>, _ ok: inout Bool) -> Side {
        if p[0] == UInt8(ascii: "b") && p[1] == UInt8(ascii: "i") && p[2] == UInt8(ascii: "d") {
            p += 3
            return .buy
        }
        if p[0] == UInt8(ascii: "a") && p[1] == UInt8(ascii: "s") && p[2] == UInt8(ascii: "k") {
            p += 3
            return .sell
        }
        ok = false
        return .buy
    }

    /// `true` or `false`.
    @inline(__always)
    private static func flag(_ p: inout UnsafePointer<UInt8>, _ ok: inout Bool) -> Bool {
        if p[0] == UInt8(ascii: "f") && matches(p, "false") {
            p += 5
            return false
        }
        if p[0] == UInt8(ascii: "t") && matches(p, "true") {
            p += 4
            return true
        }
        ok = false
        return false
    }

    @inline(__always)
    private static func matches(_ p: UnsafePointer<UInt8>, _ word: StaticString) -> Bool {
        memcmp(p, word.utf8Start, word.utf8CodeUnitCount) == 0
    }

    // MARK: - Diagnosis (cold)

    /// Explains why a row failed the fast parser: field count, then the first bad field.
    @inline(never)
    private func diagnose(_ rowStart: UnsafePointer<UInt8>, line: Int) -> TardisError {
        var end = rowStart
        while end.pointee != UInt8(ascii: "\n") { end += 1 }
        if end > rowStart && (end - 1).pointee == UInt8(ascii: "\r") { end -= 1 }
        let text = String(decoding: UnsafeBufferPointer(start: rowStart, count: end - rowStart), as: UTF8.self)
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
        let columns = file.dataType.columns
        let fix = "correct or delete the line, or pass --skip-malformed to `host backtest` to skip and count such rows"
        func error(_ message: String) -> TardisError {
            TardisError(code: .malformedRow, path: file.path, line: line, message: message, fix: fix)
        }
        guard fields.count == columns.count else {
            return error("expected \(columns.count) fields (\(file.dataType.header)), found \(fields.count): \"\(text.prefix(200))\"")
        }
        for (column, field) in zip(columns, fields) {
            let value = String(field)
            let quoted = "\"\(value.prefix(60))\""
            switch column {
            case "exchange":
                if value != file.exchange {
                    return error("exchange \(quoted) differs from the file's exchange \"\(file.exchange)\" (from its name); "
                        + "a file holds one exchange's data")
                }
            case "id":
                continue
            case "symbol":
                if let grouped = plan.grouped, grouped[value] == nil {
                    return error("symbol \(quoted) was not in the file when the data set was opened")
                }
                if plan.grouped == nil, let spelling = plan.spelling, Array(value.utf8) != spelling {
                    return error("symbol \(quoted) differs from the file's symbol \"\(String(decoding: spelling, as: UTF8.self))\"")
                }
            case "timestamp", "local_timestamp":
                let digits = value.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
                if !digits || value.isEmpty || value.utf8.count > 16 || (Int64(value) ?? .max) > Self.maxMicros {
                    return error("\(column) must be microseconds since the Unix epoch, found \(quoted)")
                }
            case "side" where file.dataType == .trades:
                if !["buy", "sell", "unknown"].contains(value) { return error("side must be buy, sell or unknown, found \(quoted)") }
            case "side":
                if !["bid", "ask"].contains(value) { return error("side must be bid or ask, found \(quoted)") }
            case "is_snapshot":
                if !["true", "false"].contains(value) { return error("is_snapshot must be true or false, found \(quoted)") }
            default:
                if value.isEmpty {
                    if file.dataType == .quotes { continue }
                    return error("\(column) is empty")
                }
                if case .failure(let failure) = Fixed8Parser.parse(value) {
                    return error("\(column) must be a decimal number within ±92233720368 with at most 8 fractional digits, "
                        + "found \(quoted) (\(failure))")
                }
            }
        }
        if let problem = Self.valueProblem(file.dataType, fields) { return error(problem) }
        return error("the row could not be parsed: \"\(text.prefix(200))\"")
    }

    /// What makes well-formed fields an invalid row: prices must be > 0; amounts ≥ 0 (trades:
    /// > 0); a quote side is whole or empty; a quote with both sides has bid < ask.
    static func valueProblem(_ type: TardisDataType, _ fields: [Substring]) -> String? {
        func value(_ index: Int) -> Fixed8? { Fixed8(parsing: fields[index]) }
        switch type {
        case .quotes:
            let (askSize, askPrice, bidPrice, bidSize) = (value(4), value(5), value(6), value(7))
            if (askSize == nil) != (askPrice == nil) {
                return "the ask side is half empty: ask_amount \"\(fields[4])\", ask_price \"\(fields[5])\" (both or neither)"
            }
            if (bidSize == nil) != (bidPrice == nil) {
                return "the bid side is half empty: bid_price \"\(fields[6])\", bid_amount \"\(fields[7])\" (both or neither)"
            }
            if let askPrice, askPrice <= .zero { return "ask_price must be greater than 0, found \(askPrice)" }
            if let bidPrice, bidPrice <= .zero { return "bid_price must be greater than 0, found \(bidPrice)" }
            if let askSize, askSize < .zero { return "ask_amount must not be negative, found \(askSize)" }
            if let bidSize, bidSize < .zero { return "bid_amount must not be negative, found \(bidSize)" }
            if let askPrice, let bidPrice, bidPrice >= askPrice {
                return "the quote is crossed: bid_price \(bidPrice) is not below ask_price \(askPrice)"
            }
        case .trades:
            if let price = value(6), price <= .zero { return "price must be greater than 0, found \(price)" }
            if let amount = value(7), amount <= .zero { return "amount must be greater than 0, found \(amount)" }
        case .incrementalBookL2:
            if let price = value(6), price <= .zero { return "price must be greater than 0, found \(price)" }
            if let amount = value(7), amount < .zero { return "amount must not be negative (0 deletes the level), found \(amount)" }
        }
        return nil
    }
}
