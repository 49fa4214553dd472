public import Foundation
import HostCore
import VenueKit

/// The core of `host feed replay-frames --venue bybit --frames FILE [--depth N] [--json]`:
/// runs recorded stream messages through the same parser and book code as the live client
/// (``BybitStreamProcessor``) and reports the final books and what happened on the way.
///
/// Input: one JSON message per line (blank lines are skipped; a line that does not parse
/// counts as malformed and the replay goes on), or — when the file's first non-blank byte is
/// `[` — one JSON array of messages.
public enum BybitFrameReplay {
    /// Replays the file at `path`; `depth` is how many levels per side the report shows.
    /// - Throws: the file cannot be read.
    public static func run(file path: String, depth: Int = 10) throws -> BybitFrameReplayReport {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var report = run(data, depth: depth)
        report.source = path
        return report
    }

    /// Replays messages held in memory (see the type's input rules).
    public static func run(_ data: Data, depth: Int = 10) -> BybitFrameReplayReport {
        var processor = BybitStreamProcessor.registeringAll()
        var events: [MarketEvent] = []
        var samples: [BybitFrameReplayReport.Sample] = []
        var frameNumber = 0

        func replay(_ frame: UnsafeRawBufferPointer, line: Int) {
            frameNumber += 1
            events.removeAll(keepingCapacity: true)
            do {
                // Recorded frames carry no receive time; rows get 0 (the report reads the books only).
                _ = try processor.process(frame, receivedNs: 0, events: &events)
            } catch {
                if samples.count < BybitFrameReplayReport.maxSamples {
                    let excerpt = String(decoding: frame.prefix(160), as: UTF8.self)
                    samples.append(.init(line: line, frame: frameNumber, error: error.description, excerpt: excerpt))
                }
            }
        }

        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var start = 0
            while start < bytes.count, bytes[start] == 0x20 || bytes[start] == 0x0A || bytes[start] == 0x0D || bytes[start] == 0x09 { start += 1 }
            if start < bytes.count, bytes[start] == UInt8(ascii: "[") {
                replayArray(UnsafeRawBufferPointer(rebasing: bytes[start...]), lineOffset: lineNumber(bytes, at: start), replay)
                return
            }
            var line = 0
            var lineStart = 0
            while lineStart < bytes.count {
                line += 1
                var end = lineStart
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                var trimmedEnd = end
                while trimmedEnd > lineStart, bytes[trimmedEnd - 1] == 0x0D || bytes[trimmedEnd - 1] == 0x20 || bytes[trimmedEnd - 1] == 0x09 {
                    trimmedEnd -= 1
                }
                var first = lineStart
                while first < trimmedEnd, bytes[first] == 0x20 || bytes[first] == 0x09 { first += 1 }
                if first < trimmedEnd { replay(UnsafeRawBufferPointer(rebasing: bytes[first..<trimmedEnd]), line: line) }
                lineStart = end + 1
            }
        }
        return BybitFrameReplayReport(processor: processor, depth: depth, malformedSamples: samples)
    }

    /// The elements of a top-level JSON array, each replayed as one frame.
    private static func replayArray(_ bytes: UnsafeRawBufferPointer, lineOffset: Int,
                                    _ replay: (UnsafeRawBufferPointer, Int) -> Void) {
        var s = JSONScanner(bytes)
        do throws(StreamParseError) {
            try s.beginArray()
            var first = true
            while try s.nextElement(&first) {
                let start = s.pos
                try s.skipValue()
                replay(UnsafeRawBufferPointer(rebasing: bytes[start..<s.pos]), lineOffset + lineNumber(bytes, at: start) - 1)
            }
        } catch {
            // The array itself is broken: replay what is left as one (malformed) frame.
            replay(UnsafeRawBufferPointer(rebasing: bytes[min(s.pos, bytes.count)...]), lineOffset + lineNumber(bytes, at: min(s.pos, bytes.count)) - 1)
        }
    }

    private static func lineNumber(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        var line = 1
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A { line += 1 }
        return line
    }
}

/// What a frame replay found: counts, and the final book of every `orderbook` topic.
public struct BybitFrameReplayReport: Sendable, Encodable {
    /// The most malformed frames quoted in a report.
    public static let maxSamples = 5

    /// The file replayed (nil for in-memory data).
    public var source: String?
    /// Messages read.
    public var frames: Int
    /// Order book messages applied (snapshots, resets, deltas).
    public var applied: Int
    public var snapshots: Int
    public var gaps: Int
    /// Messages with `u == 1` (service restart).
    public var resets: Int
    /// Resubscriptions a live client would have made.
    public var resyncs: Int
    public var droppedBeforeSnapshot: Int
    public var trimmedLevels: Int
    public var crossed: Int
    public var malformed: Int
    /// Topics not modelled (`liquidation.*`, …).
    public var unknown: Int
    public var trades: Int
    public var tickerMessages: Int
    public var bars: Int
    public var opResponses: Int
    public var pongs: Int
    /// Levels shown per side.
    public var depth: Int
    public var books: [Book]
    public var malformedSamples: [Sample]

    /// The final state of one `orderbook.{depth}.{symbol}` topic.
    public struct Book: Sendable, Encodable {
        public var topic: String
        public var symbol: String
        public var depth: Int
        public var lastUpdateID: Int64?
        public var lastSequence: Int64?
        public var stale: Bool
        public var bidLevels: Int
        public var askLevels: Int
        /// Best first, at most the report's depth.
        public var bids: [Level]
        public var asks: [Level]
        public var counts: BybitBookSync.Counts
    }

    /// A level with exact decimal text.
    public struct Level: Sendable, Encodable, Hashable {
        public var price: String
        public var size: String
        public init(price: String, size: String) {
            self.price = price
            self.size = size
        }
    }

    /// A frame that did not parse.
    public struct Sample: Sendable, Encodable {
        public var line: Int
        public var frame: Int
        public var error: String
        public var excerpt: String
    }

    init(processor: BybitStreamProcessor, depth: Int, malformedSamples: [Sample]) {
        let c = processor.counts
        let b = processor.bookCounts
        frames = c.frames
        applied = b.applied
        snapshots = b.snapshots
        gaps = b.gaps
        resets = b.resets
        resyncs = b.resyncs
        droppedBeforeSnapshot = b.droppedBeforeSnapshot
        trimmedLevels = b.trimmedLevels
        crossed = b.crossed
        malformed = c.malformed
        unknown = c.unknownTopics
        trades = c.trades
        tickerMessages = c.tickerMessages
        bars = c.bars
        opResponses = c.opResponses
        pongs = c.pongs
        self.depth = max(0, depth)
        self.malformedSamples = malformedSamples
        books = processor.books.sorted { $0.key < $1.key }.map { key, sync in
            func levels(_ side: BookSide) -> [Level] {
                side.levels(depth: max(0, depth)).map { Level(price: $0.price.description, size: $0.size.description) }
            }
            return Book(topic: key.topic, symbol: key.venueSymbol, depth: key.depth, lastUpdateID: sync.lastUpdateID,
                        lastSequence: sync.lastSequence, stale: sync.isStale, bidLevels: sync.book.bids.count,
                        askLevels: sync.book.asks.count, bids: levels(sync.book.bids), asks: levels(sync.book.asks), counts: sync.counts)
        }
    }

    /// The report as pretty-printed JSON with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The report for a terminal.
    public var text: String {
        var out = "Bybit frame replay" + (source.map { ": \($0)" } ?? "") + "\n"
        out += "frames \(frames)  applied \(applied)  snapshots \(snapshots)  gaps \(gaps)  resets \(resets)  resyncs \(resyncs)"
        out += "  dropped-before-snapshot \(droppedBeforeSnapshot)  malformed \(malformed)  unknown \(unknown)\n"
        out += "trades \(trades)  ticker messages \(tickerMessages)  bars \(bars)  op responses \(opResponses)  pongs \(pongs)"
        out += "  trimmed levels \(trimmedLevels)  crossed \(crossed)\n"
        for book in books {
            out += "\n\(book.topic)  u \(book.lastUpdateID.map(String.init) ?? "-")  seq \(book.lastSequence.map(String.init) ?? "-")"
            out += "  levels \(book.bidLevels) bids / \(book.askLevels) asks  \(book.stale ? "STALE" : "fresh")\n"
            let rows = max(book.bids.count, book.asks.count)
            let sizeWidth = max(8, book.bids.map(\.size.count).max() ?? 0)
            let priceWidth = max(8, book.bids.map(\.price.count).max() ?? 0)
            out += "  " + pad("bid size", sizeWidth) + "  " + pad("bid", priceWidth) + "  |  ask price  ask size\n"
            for i in 0..<rows {
                let bid = i < book.bids.count ? book.bids[i] : nil
                let ask = i < book.asks.count ? book.asks[i] : nil
                out += "  " + pad(bid?.size ?? "", sizeWidth) + "  " + pad(bid?.price ?? "", priceWidth) + "  |  "
                out += (ask.map { "\($0.price)  \($0.size)" } ?? "") + "\n"
            }
        }
        if !malformedSamples.isEmpty {
            out += "\nmalformed frames (first \(malformedSamples.count)):\n"
            for sample in malformedSamples {
                out += "  line \(sample.line): \(sample.error)\n    \(sample.excerpt)\n"
            }
        }
        return out
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
