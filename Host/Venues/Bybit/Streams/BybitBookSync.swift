public import HostCore

/// The sequencing of one Bybit `orderbook.{depth}.{symbol}` stream (one category, one
/// symbol), as pure logic: which messages may be applied, when the book is stale, when to
/// resubscribe. It keeps its own copy of the book (for the depth limit, the top of book and
/// `host feed replay-frames`) and writes the engine's rows.
///
/// Rules (Bybit v5 docs, websocket/public/orderbook):
/// - A `snapshot` replaces the book, and so does any message with `u == 1` (Bybit restarted
///   the service). Level 1 repeats its snapshot with the same `u` every 3 s; that is not a gap.
/// - A `delta` must have `u == previous u + 1`. Anything else is a gap: the book is stale and
///   the topic must be resubscribed — Bybit has no REST snapshot aligned with the stream, a
///   new subscription starts with a fresh snapshot. Deltas until then are dropped.
/// - Deltas before the first snapshot are dropped (counted).
/// - After a message the book holds at most `depth` levels per side (Bybit deletes levels that
///   fall out of the top N itself; any excess is trimmed here, with delete rows, and counted).
/// - A crossed book after a message (best bid ≥ best ask) is corrupt: stale and resubscribe.
///
/// Rows: one ``BookDelta`` per level in wire order (bids, then asks); rows of a snapshot carry
/// `.snapshot` (an empty side becomes one zero row, so it is cleared); the last row of the
/// message carries `.endOfBatch`. A message that changes nothing writes no row.
///
/// - Complexity: O(levels in the message × log depth) per message, plus the shift of an
///   insert or delete inside ``BookSide``.
public struct BybitBookSync: Sendable {
    /// Where the stream stands.
    public enum State: Sendable, Hashable {
        /// No usable snapshot yet (start, after a gap, after a reconnect): deltas are dropped.
        case awaitingSnapshot
        /// Deltas apply in sequence.
        case live
    }

    /// What the sync has done so far.
    public struct Counts: Sendable, Hashable, Encodable {
        /// Messages applied (snapshots, resets and deltas).
        public var applied = 0
        /// Snapshots applied (including `u == 1` resets).
        public var snapshots = 0
        /// Deltas whose `u` did not follow the previous one.
        public var gaps = 0
        /// Messages with `u == 1` (a service restart): the book was overwritten.
        public var resets = 0
        /// Times the book went back to awaiting a snapshot (gap, crossed book, reconnect).
        public var resyncs = 0
        /// Deltas dropped while awaiting a snapshot.
        public var droppedBeforeSnapshot = 0
        /// Levels removed to keep at most `depth` per side.
        public var trimmedLevels = 0
        /// Messages after which the book was crossed.
        public var crossed = 0
        public init() {}
    }

    /// The book went stale or fresh.
    public struct StatusChange: Sendable, Hashable {
        public var stale: Bool
        public var reason: String
        public init(stale: Bool, reason: String) {
            self.stale = stale
            self.reason = reason
        }
    }

    /// The result of one message.
    public struct Outcome: Sendable, Hashable {
        public enum Action: Sendable, Hashable {
            /// A snapshot replaced the book.
            case snapshot
            /// A message with `u == 1` replaced the book.
            case reset
            /// A delta was applied.
            case delta
            /// A delta arrived while awaiting a snapshot: dropped.
            case dropped
            /// A delta broke the sequence: dropped, the book is stale.
            case gap(expected: Int64, received: Int64)
            /// The message was applied, and left the book crossed: stale.
            case crossed
        }

        public var action: Action
        /// Rows appended to the output.
        public var rows: Int
        /// The stale/fresh transition this message caused, if any.
        public var status: StatusChange?
        /// Resubscribe the topic to get a fresh snapshot.
        public var resubscribe: Bool
        /// The best bid or ask (price or size) changed.
        public var topChanged: Bool
        /// The message's `u`.
        public var updateID: Int64
        /// The message's `seq` (cross sequence), when it has one.
        public var sequence: Int64?
    }

    public let symbol: SymbolID
    /// The topic's depth: the most levels a side may hold.
    public let depth: Int
    /// The book as applied so far (stale while ``state`` is awaiting a snapshot).
    public private(set) var book = OrderBook()
    public private(set) var state = State.awaitingSnapshot
    /// Whether the book may not be traded on; true until the first snapshot.
    public private(set) var isStale = true
    /// `u` of the last message applied.
    public private(set) var lastUpdateID: Int64?
    /// `seq` of the last message applied.
    public private(set) var lastSequence: Int64?
    public private(set) var counts = Counts()

    public init(symbol: SymbolID, depth: Int) {
        self.symbol = symbol
        self.depth = max(1, depth)
    }

    /// Applies one message and appends its rows to `rows`.
    public mutating func apply(_ message: BybitStreamMessage.Orderbook, receivedNs: Int64,
                               into rows: inout [BookDelta]) -> Outcome {
        applyGeneric(message, receivedNs: receivedNs, into: &rows)
    }

    /// Applies one message and appends its rows to `events` as `.bookDelta` events.
    public mutating func apply(_ message: BybitStreamMessage.Orderbook, receivedNs: Int64,
                               into events: inout [MarketEvent]) -> Outcome {
        applyGeneric(message, receivedNs: receivedNs, into: &events)
    }

    @inline(__always)
    private mutating func applyGeneric<Row: BookRowElement>(_ message: BybitStreamMessage.Orderbook, receivedNs: Int64,
                                                           into rows: inout [Row]) -> Outcome {
        let replaces = message.kind == .snapshot || message.updateID == 1
        if !replaces {
            guard state == .live, let last = lastUpdateID else {
                counts.droppedBeforeSnapshot += 1
                return Outcome(action: .dropped, rows: 0, status: nil, resubscribe: false, topChanged: false,
                       updateID: message.updateID, sequence: message.sequence)
            }
            if message.updateID != last &+ 1 {
                counts.gaps += 1
                let status = markAwaiting(reason: "gap", resubscribe: true)
                return Outcome(action: .gap(expected: last &+ 1, received: message.updateID), rows: 0, status: status,
                               resubscribe: true, topChanged: false,
                       updateID: message.updateID, sequence: message.sequence)
            }
        }

        let bestBid = book.bids.best
        let bestAsk = book.asks.best
        let firstRow = rows.count
        let flags: BookDelta.Flags = replaces ? [.snapshot] : []
        let ts = message.tsNs
        if replaces {
            book.bids.removeAll()
            book.asks.removeAll()
            if message.bids.isEmpty {
                rows.append(Row(row: BookDelta(symbol: symbol, tsEvent: ts, tsRecv: receivedNs, side: .buy, price: .zero, size: .zero, flags: flags)))
            }
        }
        for level in message.bids {
            book.bids.set(price: level.price, size: level.size)
            rows.append(Row(row: BookDelta(symbol: symbol, tsEvent: ts, tsRecv: receivedNs, side: .buy, price: level.price, size: level.size, flags: flags)))
        }
        if replaces, message.asks.isEmpty {
            rows.append(Row(row: BookDelta(symbol: symbol, tsEvent: ts, tsRecv: receivedNs, side: .sell, price: .zero, size: .zero, flags: flags)))
        }
        for level in message.asks {
            book.asks.set(price: level.price, size: level.size)
            rows.append(Row(row: BookDelta(symbol: symbol, tsEvent: ts, tsRecv: receivedNs, side: .sell, price: level.price, size: level.size, flags: flags)))
        }
        if book.bids.count > depth || book.asks.count > depth { trim(ts: ts, receivedNs: receivedNs, into: &rows) }
        if rows.count > firstRow { rows[rows.count - 1].markEndOfBatch(sequence: UInt64(clamping: message.updateID)) }
        book.lastUpdate = ts

        counts.applied += 1
        lastUpdateID = message.updateID
        if let sequence = message.sequence { lastSequence = sequence }
        let action: Outcome.Action
        if replaces {
            counts.snapshots += 1
            if message.updateID == 1 { counts.resets += 1 }
            action = message.updateID == 1 ? .reset : .snapshot
        } else {
            action = .delta
        }
        let topChanged = !Self.same(bestBid, book.bids.best) || !Self.same(bestAsk, book.asks.best)

        if let bid = book.bids.best, let ask = book.asks.best, bid.price >= ask.price {
            counts.crossed += 1
            let status = markAwaiting(reason: "crossed book", resubscribe: true)
            return Outcome(action: .crossed, rows: rows.count - firstRow, status: status, resubscribe: true, topChanged: topChanged,
                       updateID: message.updateID, sequence: message.sequence)
        }
        var status: StatusChange?
        if replaces {
            state = .live
            if isStale {
                isStale = false
                status = StatusChange(stale: false, reason: message.updateID == 1 ? "reset" : "snapshot")
            }
        }
        return Outcome(action: action, rows: rows.count - firstRow, status: status, resubscribe: false, topChanged: topChanged,
                       updateID: message.updateID, sequence: message.sequence)
    }

    /// Applies one message; returns its rows and the outcome.
    public mutating func apply(_ message: BybitStreamMessage.Orderbook, receivedNs: Int64) -> (rows: [BookDelta], outcome: Outcome) {
        var rows: [BookDelta] = []
        let outcome = apply(message, receivedNs: receivedNs, into: &rows)
        return (rows, outcome)
    }

    /// Marks the book stale until the next snapshot (the connection was lost: the reconnect
    /// resubscribes). Returns the transition, or nil when it was already stale.
    public mutating func invalidate(reason: String) -> StatusChange? {
        markAwaiting(reason: reason)
    }

    /// Back to awaiting a snapshot; a resync is counted when the book was live or a resubscribe follows.
    private mutating func markAwaiting(reason: String, resubscribe: Bool = false) -> StatusChange? {
        if state == .live || resubscribe { counts.resyncs += 1 }
        state = .awaitingSnapshot
        guard !isStale else { return nil }
        isStale = true
        return StatusChange(stale: true, reason: reason)
    }

    /// Removes the worst levels beyond `depth` on each side, writing delete rows.
    private mutating func trim<Row: BookRowElement>(ts: Int64, receivedNs: Int64, into rows: inout [Row]) {
        while book.bids.count > depth, let worst = book.bids.level(book.bids.count - 1) {
            book.bids.set(price: worst.price, size: .zero)
            rows.append(Row(row: BookDelta(symbol: symbol, tsEvent: ts, tsRecv: receivedNs, side: .buy, price: worst.price, size: .zero, flags: [])))
            counts.trimmedLevels += 1
        }
        while book.asks.count > depth, let worst = book.asks.level(book.asks.count - 1) {
            book.asks.set(price: worst.price, size: .zero)
            rows.append(Row(row: BookDelta(symbol: symbol, tsEvent: ts, tsRecv: receivedNs, side: .sell, price: worst.price, size: .zero, flags: [])))
            counts.trimmedLevels += 1
        }
    }

    @inline(__always)
    private static func same(_ a: (price: Fixed8, size: Fixed8)?, _ b: (price: Fixed8, size: Fixed8)?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case let (x?, y?): x.price == y.price && x.size == y.size
        default: false
        }
    }

    /// The top of the book as a quote (nil unless both sides have a level).
    public func quote(tsEvent: Int64, tsRecv: Int64) -> QuoteTick? {
        guard let bid = book.bids.best, let ask = book.asks.best else { return nil }
        return QuoteTick(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv, bidPrice: bid.price, bidSize: bid.size,
                         askPrice: ask.price, askSize: ask.size)
    }
}

/// What ``BybitBookSync`` writes a row as: the row itself, or an engine event.
protocol BookRowElement {
    init(row: BookDelta)
    /// Flags the row `.endOfBatch` and gives it the message's update id.
    mutating func markEndOfBatch(sequence: UInt64)
}

extension BookDelta: BookRowElement {
    @inline(__always) init(row: BookDelta) { self = row }
    @inline(__always) mutating func markEndOfBatch(sequence: UInt64) {
        flags.insert(.endOfBatch)
        venueSequence = sequence
    }
}

extension MarketEvent: BookRowElement {
    @inline(__always) init(row: BookDelta) { self = .bookDelta(row) }
    @inline(__always) mutating func markEndOfBatch(sequence: UInt64) {
        guard case .bookDelta(var row) = self else { return }
        row.markEndOfBatch(sequence: sequence)
        self = .bookDelta(row)
    }
}
