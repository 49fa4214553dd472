import Foundation
import HostCore
import VenueKit

/// The core of `host feed replay-frames --venue binance`: recorded raw stream frames (and
/// optionally the REST depth snapshots taken at the time) run through the same parser
/// (``BinanceStreamParser``) and book synchronisation (``BinanceFeedProcessor``,
/// ``BinanceBookSync``) as live, ending in a report of the final books and every count.
///
/// Frames file forms:
/// - one frame per line (JSON lines), blank lines ignored;
/// - cryptofeed captures: `<unix ts>: <frame>` lines after a first `wss://…` URL line (the
///   timestamp becomes the receive time);
/// - one JSON value for the whole file: an array of frames (e.g. Tardis test messages) or a
///   single frame.
///
/// Snapshot file forms (`--snapshot`):
/// - one `/api/v3/depth` body (it names no symbol: it goes to the first book that asks);
/// - cryptofeed lines `<url with symbol=…> -> <unix ts>: <body>`, delivered at their
///   timestamp among the frames, as they arrived live.
///
/// A recorder's `<symbol>@depthSnapshot` frame (Tardis) is used as that symbol's snapshot.
public enum BinanceFrameReplay {
    /// A recorded `/api/v3/depth` answer.
    public struct RecordedSnapshot: Sendable {
        /// Upper-case venue symbol, when the recording names it.
        public var symbol: String?
        /// Receive time in ns, when recorded.
        public var receivedNs: Int64?
        public var snapshot: BinanceDepthSnapshot

        public init(symbol: String?, receivedNs: Int64?, snapshot: BinanceDepthSnapshot) {
            self.symbol = symbol
            self.receivedNs = receivedNs
            self.snapshot = snapshot
        }
    }

    /// A snapshot file that cannot be used.
    public struct SnapshotFileError: Error, Sendable, CustomStringConvertible {
        public var line: Int
        public var cause: StreamParseError
        public var description: String { "snapshot file, line \(line): \(cause)" }
    }

    /// Replays files (see the type's documentation for the accepted forms).
    ///
    /// - Parameters:
    ///   - depth: levels per side in the report's books.
    /// - Throws: file read errors, and ``SnapshotFileError`` for a snapshot file that does
    ///   not parse (malformed frames are counted, not thrown).
    public static func run(framesFile: String, snapshotFile: String? = nil, depth: Int = 10) throws -> BinanceReplayReport {
        let frames = try Array(Data(contentsOf: URL(fileURLWithPath: framesFile)))
        let snapshots = try snapshotFile.map { try parseSnapshots(Array(Data(contentsOf: URL(fileURLWithPath: $0)))) } ?? []
        return run(frames: frames, snapshots: snapshots, depth: depth)
    }

    /// Parses a snapshot file's bytes (one body, or cryptofeed `<url> -> <ts>: <body>` lines).
    public static func parseSnapshots(_ bytes: [UInt8]) throws(SnapshotFileError) -> [RecordedSnapshot] {
        var out: [RecordedSnapshot] = []
        let result = bytes.withUnsafeBytes { raw -> Result<Void, SnapshotFileError> in
            var s = JSONScanner(raw)
            if s.peek() == UInt8(ascii: "{") {
                do throws(StreamParseError) {
                    out.append(RecordedSnapshot(symbol: nil, receivedNs: nil, snapshot: try BinanceDepthSnapshot.parse(raw)))
                    return .success(())
                } catch { return .failure(SnapshotFileError(line: 1, cause: error)) }
            }
            var lineNumber = 0
            for line in lines(raw) {
                lineNumber += 1
                let text = UnsafeRawBufferPointer(rebasing: raw[line])
                guard let brace = text.firstIndex(of: UInt8(ascii: "{")) else { continue }
                let prefix = String(decoding: text[..<brace], as: UTF8.self)
                let symbol = prefix.range(of: "symbol=").map { found in
                    String(prefix[found.upperBound...].prefix { $0 != "&" && $0 != " " }).uppercased()
                }
                let received = prefix.range(of: "-> ").flatMap { found in
                    unixSecondsToNanos(prefix[found.upperBound...].prefix { $0 != ":" })
                }
                do throws(StreamParseError) {
                    let body = UnsafeRawBufferPointer(rebasing: text[brace...])
                    out.append(RecordedSnapshot(symbol: symbol, receivedNs: received, snapshot: try BinanceDepthSnapshot.parse(body)))
                } catch {
                    return .failure(SnapshotFileError(line: lineNumber, cause: error))
                }
            }
            return .success(())
        }
        try result.get()
        return out
    }

    /// Replays frames already in memory.
    public static func run(frames bytes: [UInt8], snapshots: [RecordedSnapshot] = [], depth: Int = 10) -> BinanceReplayReport {
        var state = ReplayState(snapshots: snapshots)
        bytes.withUnsafeBytes { raw in
            for frame in frameRanges(raw) { state.feed(frame, in: raw) }
        }
        return state.report(depth: depth)
    }

    // MARK: Input splitting

    enum FrameRange {
        case blank
        case header
        case frame(Range<Int>, receivedNs: Int64?, line: Int)
    }

    /// The frames of a file: the elements of a whole-file array, the whole-file object, or lines.
    static func frameRanges(_ raw: UnsafeRawBufferPointer) -> [FrameRange] {
        var s = JSONScanner(raw)
        if let first = s.peek(), first == UInt8(ascii: "[") || first == UInt8(ascii: "{") {
            let start = s.pos
            var whole = s
            if (try? whole.skipValue()) != nil, whole.peek() == nil {
                if first == UInt8(ascii: "{") { return [.frame(start..<whole.pos, receivedNs: nil, line: 1)] }
                // An array of frames: each element is one.
                var elements: [FrameRange] = []
                var scanner = s
                scanner.pos += 1
                var isFirst = true
                while (try? scanner.nextElement(&isFirst)) == true {
                    let elementStart = scanner.pos
                    guard (try? scanner.skipValue()) != nil else { break }
                    elements.append(.frame(elementStart..<scanner.pos, receivedNs: nil, line: elements.count + 1))
                }
                return elements
            }
        }
        var out: [FrameRange] = []
        var lineNumber = 0
        for line in lines(raw) {
            lineNumber += 1
            var at = line.lowerBound
            while at < line.upperBound, raw[at] == 0x20 || raw[at] == 0x09 || raw[at] == 0x0D { at += 1 }
            if at == line.upperBound {
                out.append(.blank)
                continue
            }
            if raw[at] == UInt8(ascii: "{") || raw[at] == UInt8(ascii: "[") {
                out.append(.frame(at..<line.upperBound, receivedNs: nil, line: lineNumber))
                continue
            }
            // cryptofeed: `<unix seconds>: <frame>`.
            var digitsEnd = at
            while digitsEnd < line.upperBound, raw[digitsEnd] &- UInt8(ascii: "0") < 10 || raw[digitsEnd] == UInt8(ascii: ".") { digitsEnd += 1 }
            if digitsEnd > at, digitsEnd + 1 < line.upperBound, raw[digitsEnd] == UInt8(ascii: ":"), raw[digitsEnd + 1] == 0x20 {
                let stamp = String(decoding: UnsafeRawBufferPointer(rebasing: raw[at..<digitsEnd]), as: UTF8.self)
                out.append(.frame((digitsEnd + 2)..<line.upperBound, receivedNs: unixSecondsToNanos(stamp[...]), line: lineNumber))
                continue
            }
            let prefix = String(decoding: UnsafeRawBufferPointer(rebasing: raw[at..<min(at + 6, line.upperBound)]), as: UTF8.self)
            if prefix.hasPrefix("wss://") || prefix.hasPrefix("ws://") {
                out.append(.header)
                continue
            }
            out.append(.frame(at..<line.upperBound, receivedNs: nil, line: lineNumber))
        }
        return out
    }

    /// Line ranges (without the newline).
    static func lines(_ raw: UnsafeRawBufferPointer) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        for i in 0..<raw.count where raw[i] == 0x0A {
            out.append(start..<i)
            start = i + 1
        }
        if start < raw.count { out.append(start..<raw.count) }
        return out
    }

    /// `1633998512.0633569` → ns, exactly (no `Double`).
    static func unixSecondsToNanos(_ text: Substring) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let seconds = Int64(parts[0]) else { return nil }
        var nanos: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1].prefix(9)
            guard let fraction = Int64(digits.isEmpty ? "0" : digits) else { return nil }
            nanos = fraction
            for _ in digits.count..<9 { nanos *= 10 }
        }
        return seconds * 1_000_000_000 + nanos
    }

    // MARK: Replay state

    struct ReplayState {
        var parser = BinanceStreamParser()
        var processor = BinanceFeedProcessor(symbols: [], autoRegister: true)
        var events: [MarketEvent] = []
        var effects: [BinanceFeedProcessor.Effect] = []
        var report = BinanceReplayReport()
        /// Recorded snapshots with a time, in time order: delivered once the replay reaches it.
        var timed: [RecordedSnapshot]
        /// Snapshots without a time: delivered when a book asks.
        var untimed: [RecordedSnapshot]
        var nextTimed = 0
        var lastReceived: Int64 = 0

        init(snapshots: [RecordedSnapshot]) {
            timed = snapshots.filter { $0.receivedNs != nil }.sorted { $0.receivedNs! < $1.receivedNs! }
            untimed = snapshots.filter { $0.receivedNs == nil }
        }

        mutating func feed(_ range: FrameRange, in raw: UnsafeRawBufferPointer) {
            report.lines += 1
            switch range {
            case .blank: report.blankLines += 1
            case .header: report.headerLines += 1
            case .frame(let bytes, let receivedNs, let line):
                let received = receivedNs ?? lastReceived
                lastReceived = received
                deliverTimedSnapshots(upTo: received)
                report.frames += 1
                do throws(StreamParseError) {
                    guard let message = try parser.parse(UnsafeRawBufferPointer(rebasing: raw[bytes])) else {
                        report.ignored += 1
                        return
                    }
                    events.removeAll(keepingCapacity: true)
                    effects.removeAll(keepingCapacity: true)
                    processor.process(message, tsRecv: received, events: &events, effects: &effects)
                    report.events += events.count
                    handle(effects, at: received)
                } catch {
                    report.malformed += 1
                    if report.malformedSamples.count < BinanceReplayReport.maxSamples {
                        report.malformedSamples.append(.init(line: line, error: error.description))
                    }
                }
            }
        }

        mutating func deliverTimedSnapshots(upTo received: Int64) {
            while nextTimed < timed.count, timed[nextTimed].receivedNs! <= received {
                let recorded = timed[nextTimed]
                nextTimed += 1
                guard let symbol = recorded.symbol else { continue }
                apply(recorded.snapshot, symbol: symbol, at: recorded.receivedNs!)
            }
        }

        mutating func apply(_ snapshot: BinanceDepthSnapshot, symbol: String, at received: Int64) {
            var events: [MarketEvent] = []
            var effects: [BinanceFeedProcessor.Effect] = []
            processor.applySnapshot(snapshot, venueSymbol: symbol, tsRecv: received, events: &events, effects: &effects)
            report.events += events.count
            handle(effects, at: received)
        }

        mutating func handle(_ effects: [BinanceFeedProcessor.Effect], at received: Int64) {
            for effect in effects {
                switch effect {
                case .requestSnapshot(let symbol):
                    report.snapshotRequests += 1
                    if let index = untimed.firstIndex(where: { $0.symbol == nil || $0.symbol == symbol }) {
                        let recorded = untimed.remove(at: index)
                        apply(recorded.snapshot, symbol: symbol, at: received)
                    } else if !timed[nextTimed...].contains(where: { $0.symbol == symbol }) {
                        // Nothing recorded will answer: the book stays unsynchronised.
                        report.snapshotRequestsUnanswered += 1
                    }
                case .status(_, let stale, _):
                    if stale { report.staleTransitions += 1 } else { report.freshTransitions += 1 }
                case .serverShutdown, .controlError:
                    break
                }
            }
        }

        func report(depth: Int) -> BinanceReplayReport {
            var report = report
            report.unknown = parser.unknownEvents
            report.messages = processor.counts
            let books = processor.bookCounts
            report.applied = books.applied
            report.droppedStale = books.droppedStale
            report.gaps = books.gaps
            report.resyncs = books.resyncs
            report.snapshotsApplied = books.snapshotsApplied
            report.snapshotsRejected = books.snapshotsRejected
            report.depth = depth
            for symbol in processor.venueSymbols {
                guard let book = processor.book(symbol), book.lastUpdateID != nil || book.bufferedCount > 0 else { continue }
                let top = book.top(depth)
                report.books.append(BinanceReplayReport.Book(
                    symbol: symbol, fresh: book.isFresh, lastUpdateID: book.lastUpdateID,
                    bidLevels: book.bids.count, askLevels: book.asks.count, buffered: book.bufferedCount,
                    bids: top.bids.map(BinanceReplayReport.Level.init), asks: top.asks.map(BinanceReplayReport.Level.init),
                    counts: book.counts))
            }
            return report
        }
    }
}

/// What replay-frames found: the final book of each symbol with diff depth and every count.
/// `text` is for people; the type is `Encodable` for `--json` (prices and sizes as exact
/// decimal strings).
public struct BinanceReplayReport: Sendable, Codable {
    static let maxSamples = 10

    /// A level as exact decimal text.
    public struct Level: Sendable, Codable, Hashable {
        public var price: String
        public var size: String
        public init(_ level: BinanceLevel) {
            price = level.price.description
            size = level.size.description
        }
    }

    /// A symbol's book at the end of the replay.
    public struct Book: Sendable, Codable {
        public var symbol: String
        /// Synchronised at the end (false: a gap or a missing snapshot left it stale).
        public var fresh: Bool
        public var lastUpdateID: Int64?
        public var bidLevels: Int
        public var askLevels: Int
        /// Events still waiting for a snapshot.
        public var buffered: Int
        /// The best levels, best first.
        public var bids: [Level]
        public var asks: [Level]
        public var counts: BinanceBookSync.Counts
    }

    /// A frame the parser refused.
    public struct Malformed: Sendable, Codable, Hashable {
        /// Line number (or element number for a whole-file array).
        public var line: Int
        public var error: String
    }

    /// Lines (or array elements) read, of which blank and header (`wss://…`) lines.
    public var lines = 0
    public var blankLines = 0
    public var headerLines = 0
    /// Frames handed to the parser; of which malformed (thrown), non-JSON text, unknown kinds.
    public var frames = 0
    public var malformed = 0
    public var ignored = 0
    public var unknown = 0
    /// Parsed messages by kind, duplicates and unsubscribed symbols.
    public var messages = BinanceFeedProcessor.Counts()
    /// Engine events the replay produced (book rows, quotes, trades, bars).
    public var events = 0
    /// Book synchronisation, summed over symbols.
    public var applied = 0
    public var droppedStale = 0
    public var gaps = 0
    public var resyncs = 0
    public var snapshotsApplied = 0
    public var snapshotsRejected = 0
    public var snapshotRequests = 0
    /// Requests no recorded snapshot could answer.
    public var snapshotRequestsUnanswered = 0
    public var staleTransitions = 0
    public var freshTransitions = 0
    /// Levels per side shown in `books`.
    public var depth = 0
    public var books: [Book] = []
    /// The first few malformed frames.
    public var malformedSamples: [Malformed] = []

    public init() {}

    /// A human-readable rendering.
    public var text: String {
        var out = ""
        out += "frames \(frames) (lines \(lines), blank \(blankLines), header \(headerLines)); malformed \(malformed), unknown \(unknown), non-JSON \(ignored)\n"
        out += "messages: depthUpdate \(messages.depthUpdates), bookTicker \(messages.bookTickers), trade \(messages.trades), "
        out += "aggTrade \(messages.aggTrades), kline \(messages.klines), partialDepth \(messages.partialDepths), "
        out += "serverShutdown \(messages.serverShutdowns), responses \(messages.responses), errors \(messages.errors), "
        out += "duplicates \(messages.duplicates)\n"
        out += "book sync: applied \(applied), dropped as stale \(droppedStale), gaps \(gaps), resyncs \(resyncs), "
        out += "snapshots applied \(snapshotsApplied), rejected \(snapshotsRejected), requested \(snapshotRequests), "
        out += "unanswered \(snapshotRequestsUnanswered)\n"
        out += "engine events \(events)\n"
        for book in books {
            let id = book.lastUpdateID.map(String.init) ?? "-"
            out += "\n\(book.symbol): \(book.fresh ? "fresh" : "STALE"), last update id \(id), levels \(book.bidLevels) bids / \(book.askLevels) asks"
            if book.buffered > 0 { out += ", \(book.buffered) events buffered" }
            out += "\n"
            let rows = max(book.bids.count, book.asks.count)
            if rows > 0 {
                let header = "  " + pad("bid size", 18) + pad("bid", 16) + " | " + pad("ask", 16, left: true) + pad("ask size", 18, left: true)
                out += header + "\n"
            }
            for i in 0..<rows {
                let bid = i < book.bids.count ? book.bids[i] : nil
                let ask = i < book.asks.count ? book.asks[i] : nil
                out += "  " + pad(bid?.size ?? "", 18) + pad(bid?.price ?? "", 16) + " | "
                out += pad(ask?.price ?? "", 16, left: true) + pad(ask?.size ?? "", 18, left: true) + "\n"
            }
        }
        if !malformedSamples.isEmpty {
            out += "\nmalformed frames (first \(malformedSamples.count)):\n"
            for sample in malformedSamples { out += "  line \(sample.line): \(sample.error)\n" }
        }
        return out
    }

    /// The report as JSON (keys sorted, so outputs diff cleanly).
    public func json(pretty: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    private func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + fill : fill + text
    }
}
