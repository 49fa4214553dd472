import StrategySDK

// Iceberg detection (SIGNALS.md §5): a resting order that shows a small size and refills after
// executions. Sizes are compared in whole lots of the instrument (never raw doubles), prices in
// whole ticks. Each status change emits `iceberg.active`, `iceberg.exhausted` or
// `iceberg.canceled`. Choices: docs/SIGNALS.md §5.

/// A side of the book: the bid (support, +1) or the ask (resistance, −1).
enum BookSideID: Int { case bid = 0, ask = 1 }

enum Status: String { case none, active, exhausted, canceled }

/// What the detector knows about one price level that traded.
struct LevelTrack {
    var firstExec: Int64
    var lastExec: Int64
    /// Lots visible just before the first execution.
    var visibleBeforeFirst: Int64
    /// All lots executed since the first execution, and their notional.
    var executed: Int64 = 0
    var notional = 0.0
    var refills = 0
    /// The largest size shown after a refill (lots).
    var peakDisplay: Int64 = 0
    /// The current refill window: lots shown before its first execution and executed in it.
    var windowBaseline: Int64 = 0
    var windowExecuted: Int64 = 0
    var windowDeadline: Int64 = .min
    var status = Status.none
    /// The status last reported (a signal goes out when this changes).
    var reported = Status.none
}

final class IcebergDetector: StrategyPlugin {
    static let kind = PluginKind(
        id: "iceberg", description: "Detects iceberg orders from trades and L2 refills; emits iceberg.active / .exhausted / .canceled (SIGNALS §5).",
        roles: [.detector], events: [.trade, .book],
        parameters: [
            .int("refill_ms", default: 250, range: 1...60_000, unit: "ms", doc: "A level shown again within this long after executions at it counts as a refill."),
            .int("min_refills", default: 2, range: 1...1_000, doc: "Refills that make a level an iceberg (ACTIVE)."),
            .int("exhaust_ms", default: 1_000, range: 1...600_000, unit: "ms", doc: "A level that leaves the book within this long of an execution is EXHAUSTED, later CANCELED."),
            .double("whale_notional", default: 100_000, range: 0...1e15, unit: "quote asset", doc: "W: executed notional of a whale iceberg."),
            .double("dolphin_notional", default: 10_000, range: 0...1e15, unit: "quote asset", doc: "D: executed notional of a dolphin iceberg (below: not reported)."),
            .int("forget_ms", default: 60_000, range: 1_000...86_400_000, unit: "ms", doc: "A traded level that is not an iceberg is forgotten this long after its last execution."),
        ],
        emits: ["iceberg.active", "iceberg.exhausted", "iceberg.canceled"],
        tables: [levelsTable])

    /// SIGNALS.md §7's `iceberg_levels`: one row per iceberg (a level may hold several over
    /// time, told apart by their first execution), replaced on each status change.
    static let levelsTable = RecordTable("iceberg_levels", doc: "Iceberg levels and their latest status (SIGNALS.md §5, §7)", columns: [
        .key("symbol", .text), .key("side", .text, doc: "bid (support) or ask (resistance)"), .key("price", .double),
        .key("first_time", .time, doc: "first execution at the level"),
        .value("status", .text, doc: "ACTIVE, EXHAUSTED or CANCELED"), .value("cohort", .text, doc: "whale or dolphin, by executed notional"),
        .value("last_time", .time, doc: "last execution at the level"), .value("refills", .int),
        .value("total_executed", .double, doc: "base units executed at the level since the first execution"),
        .value("executed_notional", .double, doc: "quote units executed"),
        .value("hidden_volume", .double, doc: "executed minus the size visible before the first execution"),
        .value("peak_display", .double, doc: "the largest size shown after a refill"),
        .value("status_time", .time, doc: "exchange time of the message that changed the status"),
    ])

    struct Key: Hashable { var side: BookSideID; var tick: Int64 }

    struct State {
        let tick: Double, lot: Double
        let refillNs: Int64, exhaustNs: Int64, forgetNs: Int64
        let minRefills: Int
        let whale: Double, dolphin: Double
        /// Lots shown per level (tick → lots), by side: the book's mirror, kept only when the
        /// host has no book service (ABI < 1.2).
        var book = [TickMap(capacity: 1_024), TickMap(capacity: 1_024)]
        /// A book event for the symbol arrived (the host's book is its L2 book from then on;
        /// before, it may hold levels from quotes, which the mirror never had). Trades before it
        /// are not tracked.
        var hasBook = false
        /// The tracks in a slab (`keys[slot]` says whose; tick `Int64.min`: a free slot), found by
        /// tick through a `LevelSlots` map per side: a trade or a book row at a traded level
        /// costs a few compares, not a `Hasher` over a `Key` (measured: the `Dictionary` was
        /// ~15 % of the engine thread in the smart-candle backtest).
        var tracks: [LevelTrack] = []
        var keys: [Key] = []
        var free: [Int] = []
        /// Per slot: when a sweep may forget the track — its last execution while its status is
        /// none, `Int64.max` otherwise (and for a free slot). A sweep scans this one dense array
        /// (measured: the scan of the slab, ~107 slots a sweep, 60,706 sweeps, took ~45 % of
        /// `onBook`'s own samples).
        var expiry: [Int64] = []
        var stale: [Int] = []
        /// Tick → slot, by side; empty maps answer "tracked?" for most book rows at once.
        var bidSlots = LevelSlots(), askSlots = LevelSlots()
        /// Tracks whose status is ACTIVE (the opposite side crossing them ends them).
        var active: [Key] = []
        var lastSweep: Int64 = 0

        /// The slot of the track at `key`, if any.
        @inline(__always) func find(_ key: Key) -> Int? {
            (key.side == .bid ? bidSlots[key.tick] : askSlots[key.tick]).map { Int($0) }
        }

        /// A new track at `key` (none there yet); returns its slot.
        mutating func insert(_ key: Key, _ track: LevelTrack) -> Int {
            let slot: Int
            let expires = track.status == .none ? track.lastExec : .max
            if let reused = free.popLast() {
                slot = reused
                tracks[slot] = track
                keys[slot] = key
                expiry[slot] = expires
            } else {
                slot = tracks.count
                tracks.append(track)
                keys.append(key)
                expiry.append(expires)
            }
            if key.side == .bid { bidSlots[key.tick] = Int64(slot) } else { askSlots[key.tick] = Int64(slot) }
            return slot
        }

        /// Keeps `active` in step with the status of the track in `slot`.
        mutating func statusChanged(_ slot: Int) {
            let key = keys[slot]
            expiry[slot] = tracks[slot].status == .none ? tracks[slot].lastExec : .max
            if tracks[slot].status == .active {
                if !active.contains(key) { active.append(key) }
            } else if !active.isEmpty, let k = active.firstIndex(of: key) {
                active.remove(at: k)
            }
        }

        mutating func removeTrack(_ slot: Int) {
            let key = keys[slot]
            if key.side == .bid { bidSlots[key.tick] = nil } else { askSlots[key.tick] = nil }
            keys[slot] = Key(side: .bid, tick: .min)
            expiry[slot] = .max
            free.append(slot)
            if !active.isEmpty, let k = active.firstIndex(of: key) { active.remove(at: k) }
        }
    }

    private let context: PluginContext
    /// One state per symbol in memory the instance owns: mutated in place on the hot path
    /// without a class property's dynamic exclusivity check.
    private let states: UnsafeMutablePointer<State>
    private let stateCount: Int
    private let symbolNames: [SymbolID: String]
    /// State index by symbol id (-1: not ours); symbol ids are small dense integers. `let`, as
    /// every property read per event: a `var` costs a dynamic exclusivity check on each read.
    private let slot: [Int32]
    /// The host's book (ABI 1.2): the size shown at a traded level is read there, so no level
    /// map is kept; nil from an older host (then the detector mirrors the book).
    private let hostBook: HostBook?

    init(context: PluginContext) throws {
        self.context = context
        var made: [State] = []
        var symbolNames: [SymbolID: String] = [:], slot: [Int32] = []
        for symbol in context.symbols {
            let instrument = try context.instrument(symbol)
            guard instrument.tickSize > 0, instrument.lotSize > 0 else {
                throw PluginError(status: TSH_ERR_INVALID_ARGUMENT, "\(instrument.symbol): iceberg detection needs a tick size and a lot size")
            }
            let index = Int(symbol.rawValue)
            if slot.count <= index { slot += Array(repeating: -1, count: index + 1 - slot.count) }
            slot[index] = Int32(made.count)
            symbolNames[symbol] = instrument.symbol
            made.append(State(
                tick: instrument.tickSize, lot: instrument.lotSize,
                refillNs: try context.int("refill_ms", symbol: symbol) * 1_000_000, exhaustNs: try context.int("exhaust_ms", symbol: symbol) * 1_000_000,
                forgetNs: try context.int("forget_ms", symbol: symbol) * 1_000_000, minRefills: Int(try context.int("min_refills", symbol: symbol)),
                whale: try context.double("whale_notional", symbol: symbol), dolphin: try context.double("dolphin_notional", symbol: symbol)))
        }
        states = .allocate(capacity: max(1, made.count))
        states.initialize(from: made, count: made.count)
        stateCount = made.count
        self.symbolNames = symbolNames
        self.slot = slot
        hostBook = context.hostBook()
    }

    deinit {
        states.deinitialize(count: stateCount)
        states.deallocate()
    }

    @inline(__always) private func index(_ symbol: SymbolID) -> Int? {
        let i = Int(symbol.rawValue)
        guard i < slot.count, slot[i] >= 0 else { return nil }
        return Int(slot[i])
    }

    func onTrade(_ trade: Trade) throws {
        guard let i = index(trade.symbol), let aggressor = trade.aggressor else { return }
        try onTrade(trade, aggressor, &states[i])
    }

    private func onTrade(_ trade: Trade, _ aggressor: Side, _ state: inout State) throws {
        // Before the symbol's first book event the size shown before a trade is unknown: such an
        // execution can open no refill window (a first book showing the level is no refill) and
        // would be counted as hidden volume. Nor would its track ever be swept (sweeps run on book
        // events): a symbol with trades and no L2 would keep every traded level.
        guard state.hasBook else { return }
        // A buy trade lifts the ask; a sell trade hits the bid.
        let side: BookSideID = aggressor == .buy ? .ask : .bid
        let tick = Self.ticks(trade.price, state.tick), lots = Self.lots(trade.size, state.lot)
        guard lots > 0 else { return }
        let time = trade.info.eventTime
        let key = Key(side: side, tick: tick)
        let existing = state.find(key)
        // The size shown is read only when used: for a new track or a new refill window.
        let needsShown = existing.map { time > state.tracks[$0].windowDeadline } ?? true
        var shown: Int64 = 0
        if needsShown {
            if let hostBook {
                // The host's book as the last book event left it: what the mirror would hold.
                shown = Self.lots(hostBook.levelSize(trade.symbol, side: side == .bid ? .buy : .sell, price: trade.price), state.lot)
            } else {
                shown = state.book[side.rawValue][tick] ?? 0
            }
        }
        let slot = existing ?? state.insert(key, LevelTrack(firstExec: time, lastExec: time, visibleBeforeFirst: shown))
        state.tracks.withUnsafeMutableBufferPointer { tracks in
            if time > tracks[slot].windowDeadline {
                tracks[slot].windowBaseline = shown
                tracks[slot].windowExecuted = 0
            }
            tracks[slot].windowExecuted += lots
            tracks[slot].executed += lots
            tracks[slot].notional += trade.price * trade.size
            tracks[slot].lastExec = time
            tracks[slot].windowDeadline = time + state.refillNs
        }
        if state.tracks[slot].status == .none {
            state.expiry[slot] = time
            return  // nothing to report, `active` unchanged
        }
        state.statusChanged(slot)
        try report(trade.symbol, &state, slot, at: time)  // the cohort may qualify with this execution
    }

    func onBook(_ book: BookUpdate) throws {
        guard let i = index(book.symbol) else { return }
        try onBook(book, &states[i])
    }

    private func onBook(_ book: BookUpdate, _ state: inout State) throws {
        let time = book.info.eventTime
        let mirror = hostBook == nil
        state.hasBook = true
        if book.isSnapshot && mirror {
            state.book[0].removeAll()
            state.book[1].removeAll()
        }
        let tickSize = state.tick, lotSize = state.lot
        for change in book.changes {
            let side: BookSideID = change.side == .buy ? .bid : .ask
            if mirror {
                let tick = Self.ticks(change.price, tickSize), lots = Self.lots(change.size, lotSize)
                state.book[side.rawValue][tick] = lots == 0 ? nil : lots
            }
            // Most rows are at levels nobody traded.
            guard side == .bid ? !state.bidSlots.isEmpty : !state.askSlots.isEmpty else { continue }
            let tick = Self.ticks(change.price, tickSize)
            guard let slot = state.find(Key(side: side, tick: tick)) else { continue }
            let lots = Self.lots(change.size, lotSize)
            let minRefills = state.minRefills, exhaustNs = state.exhaustNs
            state.tracks.withUnsafeMutableBufferPointer { tracks in
                if lots == 0 {
                    Self.leave(&tracks[slot], at: time, exhaustNs: exhaustNs)
                } else if time <= tracks[slot].windowDeadline && lots > max(0, tracks[slot].windowBaseline - tracks[slot].windowExecuted) {
                    // Shown again within refill_ms, larger than what the executions left: a refill.
                    tracks[slot].refills += 1
                    tracks[slot].peakDisplay = max(tracks[slot].peakDisplay, lots)
                    tracks[slot].windowDeadline = .min  // the next execution opens a new window
                    if tracks[slot].refills >= minRefills && tracks[slot].status == .none { tracks[slot].status = .active }
                }
            }
            if state.tracks[slot].status == .none { continue }  // nothing to report, `active` unchanged
            state.statusChanged(slot)
            try report(book.symbol, &state, slot, at: time)
        }
        // The opposite side crossing an active level takes it out of the book too.
        if !state.active.isEmpty {
            let bestBid = book.bestBid.map { Self.ticks($0.price, tickSize) }
            let bestAsk = book.bestAsk.map { Self.ticks($0.price, tickSize) }
            for key in state.active {
                let crossed = key.side == .bid ? bestAsk.map { $0 <= key.tick } ?? false : bestBid.map { $0 >= key.tick } ?? false
                guard crossed, let slot = state.find(key) else { continue }
                Self.leave(&state.tracks[slot], at: time, exhaustNs: state.exhaustNs)
                state.statusChanged(slot)
                try report(book.symbol, &state, slot, at: time)
            }
        }
        sweep(&state, now: time)
    }

    /// The level left the book: an iceberg is EXHAUSTED if it traded within exhaust_ms, else
    /// CANCELED; a level that was no iceberg is forgotten.
    private static func leave(_ track: inout LevelTrack, at time: Int64, exhaustNs: Int64) {
        switch track.status {
        case .active: track.status = time - track.lastExec <= exhaustNs ? .exhausted : .canceled
        case .none: track.windowDeadline = .min  // consumed without refill: nothing to wait for
        case .exhausted, .canceled: break
        }
    }

    static func cohort(_ notional: Double, whale: Double, dolphin: Double) -> String? {
        notional >= whale ? "whale" : (notional >= dolphin ? "dolphin" : nil)
    }

    /// Emits a signal when the track's status differs from the one last reported — once its
    /// cohort qualifies. Finished icebergs are dropped after reporting.
    private func report(_ symbol: SymbolID, _ state: inout State, _ slot: Int, at time: Int64) throws {
        let track = state.tracks[slot], key = state.keys[slot]
        if track.status == .none { return }
        guard track.status != track.reported else { return }
        guard let cohort = Self.cohort(track.notional, whale: state.whale, dolphin: state.dolphin) else {
            if track.status != .active { state.removeTrack(slot) }  // ended below D: never worth reporting
            return
        }
        let lot = state.lot
        let hidden = Double(max(0, track.executed - track.visibleBeforeFirst)) * lot
        var json = JSONWriter(capacity: 256)
        json.number("price", Double(key.tick) * state.tick)
        json.string("side", key.side == .bid ? "bid" : "ask")
        json.string("status", track.status.rawValue.uppercased())
        json.string("cohort", cohort)
        json.integer("refills", track.refills)
        json.number("executed", Double(track.executed) * lot)
        json.number("executed_notional", track.notional)
        json.number("hidden_volume", hidden)
        json.number("peak_display", Double(track.peakDisplay) * lot)
        json.integer("first_time", Int(track.firstExec))
        json.integer("last_time", Int(track.lastExec))
        json.integer("status_time", Int(time))
        let price = Double(key.tick) * state.tick, executed = Double(track.executed) * lot
        try context.emitSignal("iceberg.\(track.status.rawValue)", symbol: symbol, direction: key.side == .bid ? 1 : -1,
                               value: hidden, confidence: 1, payload: json.finish(),
                               fields: ["price": price, "hidden_volume": hidden, "executed": executed, "executed_notional": track.notional,
                                        "whale": cohort == "whale" ? 1 : 0, "refills": Double(track.refills), "status_time": Double(time)])
        try context.upsert(Self.levelsTable.name, [
            .text(symbolNames[symbol] ?? ""), .text(key.side == .bid ? "bid" : "ask"), .double(price), .time(track.firstExec),
            .text(track.status.rawValue.uppercased()), .text(cohort), .time(track.lastExec), .int(Int64(track.refills)),
            .double(executed), .double(track.notional), .double(hidden), .double(Double(track.peakDisplay) * lot), .time(time),
        ])
        if track.status == .active {
            state.tracks[slot].reported = .active
        } else {
            state.removeTrack(slot)
        }
    }

    /// Forgets traded levels that never became icebergs once `forget_ms` passed (memory stays
    /// bounded on a long run). At most once a second.
    private func sweep(_ state: inout State, now: Int64) {
        guard now &- state.lastSweep >= 1_000_000_000 else { return }
        state.lastSweep = now
        let horizon = now - state.forgetNs
        var stale = state.stale
        stale.removeAll(keepingCapacity: true)
        state.expiry.withUnsafeBufferPointer { expiry in
            for slot in expiry.indices where expiry[slot] < horizon { stale.append(slot) }
        }
        for slot in stale { state.removeTrack(slot) }
        state.stale = stale
    }

    @inline(__always) static func ticks(_ price: Double, _ tick: Double) -> Int64 { (price / tick).roundedToInt64 }
    /// Whole lots, to the nearest (a size within half a lot of a whole number of lots is that number).
    @inline(__always) static func lots(_ size: Double, _ lot: Double) -> Int64 { (size / lot).roundedToInt64 }
}

let manifest = PluginManifest(
    id: "dev.strategyhost.iceberg", name: "Iceberg detector", version: "1.0.0",
    description: "Iceberg and absorption detection from trades and L2 refills (SIGNALS.md §5).",
    kinds: [IcebergDetector.self])

@_cdecl("tsh_plugin_entry")
public func tshPluginEntry() -> UnsafeRawPointer { manifest.pointer }

/// Tick → slot of the tracks slab, for one side of one symbol: open addressing, linear probing,
/// backward-shift deletion, entries (tick and slot side by side) homed by the tick's low bits
/// (`tick ^ tick >> 8`): the levels around the price, where trades and book rows are, sit in
/// nearby cache lines. Traded levels are forgotten only on book events (`forget_ms`), so a
/// symbol trading without an L2 feed keeps thousands: with `TickMap`'s multiplicative hash every
/// probe was a cache miss (measured: ~70 ns, ~5 % of the engine thread). `Int64.min` is not a
/// valid tick.
struct LevelSlots {
    struct Entry {
        var tick: Int64
        var slot: Int64
    }

    private var entries: [Entry]
    private var mask: Int
    private(set) var count = 0
    private static let empty = Int64.min

    init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        entries = Array(repeating: Entry(tick: Self.empty, slot: 0), count: size)
        mask = size - 1
    }

    var isEmpty: Bool { count == 0 }

    @inline(__always) private func home(_ tick: Int64) -> Int { Int(truncatingIfNeeded: tick ^ (tick >> 8)) & mask }

    subscript(tick: Int64) -> Int64? {
        @inline(__always) get {
            entries.withUnsafeBufferPointer { entries in
                var i = home(tick)
                while true {
                    let e = entries[i]
                    if e.tick == tick { return e.slot }
                    if e.tick == Self.empty { return nil }
                    i = (i &+ 1) & mask
                }
            }
        }
        set {
            if let newValue { insert(tick, newValue) } else { remove(tick) }
        }
    }

    private mutating func insert(_ tick: Int64, _ slot: Int64) {
        precondition(tick != Self.empty, "LevelSlots: Int64.min is not a valid tick")
        var i = home(tick)
        while true {
            if entries[i].tick == tick { entries[i].slot = slot; return }
            if entries[i].tick == Self.empty { break }
            i = (i + 1) & mask
        }
        entries[i] = Entry(tick: tick, slot: slot)
        count += 1
        if count * 2 > entries.count { grow() }
    }

    private mutating func remove(_ tick: Int64) {
        var i = home(tick)
        while true {
            if entries[i].tick == Self.empty { return }
            if entries[i].tick == tick { break }
            i = (i + 1) & mask
        }
        // Backward shift: move later entries of the run into the hole when their home allows.
        var hole = i
        var j = (i + 1) & mask
        while entries[j].tick != Self.empty {
            let h = home(entries[j].tick)
            // j's entry may move to the hole when its home is not cyclically in (hole, j].
            let between = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
            if !between {
                entries[hole] = entries[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        entries[hole].tick = Self.empty
        count -= 1
    }

    private mutating func grow() {
        let old = entries
        entries = Array(repeating: Entry(tick: Self.empty, slot: 0), count: old.count * 2)
        mask = entries.count - 1
        count = 0
        for e in old where e.tick != Self.empty { insert(e.tick, e.slot) }
    }
}
