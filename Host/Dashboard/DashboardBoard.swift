import Foundation
import HostCore
import HostPersistence
import Synchronization

/// A trading instance as the dashboard shows it (from the configuration).
public struct DashboardInstance: Sendable, Hashable {
    public var id: String
    public var pluginID: String
    public var mode: TradingMode
    public var dailyLossLimit: Decimal?

    public init(id: String, pluginID: String, mode: TradingMode, dailyLossLimit: Decimal?) {
        self.id = id
        self.pluginID = pluginID
        self.mode = mode
        self.dailyLossLimit = dailyLossLimit
    }
}

/// The host's health at one moment, sampled by the dashboard about once a second from cheap
/// snapshots (the engine's published counters, the writer's backlog).
public struct DashboardHealth: Sendable {
    public struct Callback: Sendable {
        public var instanceID: String
        public var averageNanos: Double
        public var maxNanos: Int64
        public var errors: Int
        public init(instanceID: String, averageNanos: Double, maxNanos: Int64, errors: Int) {
            self.instanceID = instanceID
            self.averageNanos = averageNanos
            self.maxNanos = maxNanos
            self.errors = errors
        }
    }

    /// Each feed with its connection state ("running", "ended", "connected", …).
    public var feeds: [(name: String, state: String)] = []
    public var eventsProcessed: Int = 0
    public var queueDepth: Int = 0
    public var queueCapacity: Int = 0
    public var queueHighWater: Int = 0
    /// Rows the persistence writer has not committed yet.
    public var writerPendingRows: Int = 0
    /// Frame-to-engine latency (live feeds only).
    public var feedLagP50Nanos: Int64?
    public var feedLagP99Nanos: Int64?
    public var callbacks: [Callback] = []

    public init() {}
}

/// What the dashboard shows, built from what the engine journals (through `ObservedJournal`)
/// and from the market events producers hand to the engine's queue (`observe(_:)`).
///
/// Every entry point takes one short lock and copies a few values; encoding and pushing happen
/// on the dashboard's own task (`DashboardServer`), which takes what changed per symbol at a
/// bounded rate — the engine never waits on a page.
///
/// - Important: `JournalObserver` calls come on the engine thread, `observe` on the producing
///   feed's thread; everything else on the dashboard's tasks.
public final class DashboardBoard: JournalObserver {
    /// One day of one-minute candles per symbol.
    public static let candleCapacity = 1_440
    public static let timeframes: [(name: String, minutes: Int)] = [("1m", 1), ("5m", 5), ("15m", 15), ("1h", 60)]

    let symbolNames: [String]
    private let index: [String: Int]
    let instances: [DashboardInstance]
    /// What the engine and the feeds write: each call holds it for O(1) work.
    let state: Mutex<BoardState>
    /// Fills and statistics: only the dashboard's tasks hold it (the engine never waits on it).
    private let history = Mutex(TradeHistory())

    /// - Parameters:
    ///   - fills: fills booked before this run (the report's history), oldest first.
    ///   - positions: the positions carried over from earlier runs.
    ///   - cohorts: cohort thresholds by symbol name, for the per-cohort CVD (the defaults for the others).
    public init(symbols: SymbolTable, instances: [DashboardInstance], fills: [BookedFillRow] = [], positions: [PositionRow] = [],
                cohorts: [String: CohortThresholds] = [:]) {
        symbolNames = symbols.instruments.map(\.symbol)
        var index: [String: Int] = [:]
        for (i, name) in symbolNames.enumerated() where index[name] == nil { index[name] = i }
        self.index = index
        self.instances = instances
        var board = BoardState(symbolCount: symbolNames.count, instances: instances)
        board.symbolIndexes = index
        for (name, thresholds) in cohorts { if let i = index[name] { board.cohorts[i] = thresholds } }
        for p in positions where board.instances[p.instanceID]?.mode.description == p.mode {
            board.instances[p.instanceID]?.positions[p.symbol] = .init(quantity: p.quantity, averagePrice: p.averagePrice,
                                                                       realizedPnL: p.realizedPnL, fees: p.fees)
        }
        state = Mutex(board)
        history.withLock { $0.add(fills) }
    }

    // MARK: - Observing

    public func signalEmitted(_ signal: SignalRecord) {
        guard let symbol = signal.symbol, let i = index[symbol] else { return }
        let name = signal.name
        let isTrigger = name.hasPrefix("trigger.")
        guard isTrigger || name == "qde.recommendation" || name == "prefilter.watch" else { return }
        var qde: BoardState.Recommendation?
        if name == "qde.recommendation" {
            let payload = (try? JSONSerialization.jsonObject(with: Data(signal.payload.utf8))) as? [String: Any] ?? [:]
            qde = .init(label: payload["recommendation"] as? String, score: signal.value, direction: Int(signal.direction),
                        confidence: signal.confidence, tp: Self.finite(payload["tp"]), sl: Self.finite(payload["sl"]), at: signal.time)
        }
        state.withLock { b in
            b.advance(signal.time)
            if isTrigger {
                b.rows[i].triggers[String(name.dropFirst("trigger.".count))] = .init(
                    direction: Int(signal.direction), value: signal.value, confidence: signal.confidence, at: signal.time)
            } else if let qde {
                b.rows[i].qde = qde
            } else {
                b.rows[i].watched = signal.direction > 0
            }
            b.touch(i, at: signal.time)
        }
    }

    public func fillBooked(_ fill: FillRecord) {
        guard fill.symbol.index < symbolNames.count else { return }
        let i = fill.symbol.index
        let row = BookedFillRow(id: 0, sessionID: "", instanceID: fill.instanceID, mode: fill.mode.description, dryRun: false,
                                symbol: symbolNames[i], side: fill.side.description, price: fill.price, size: fill.size, fee: fill.fee,
                                reason: fill.reason, realizedPnL: fill.realizedPnL, positionAfter: fill.position.quantity, time: fill.timestamp)
        state.withLock { b in
            b.advance(fill.timestamp)
            b.pendingFills.append(row)
            b.instances[fill.instanceID]?.positions[row.symbol] = fill.position
            b.touch(i, at: fill.timestamp)
            b.tradingVersion &+= 1
        }
    }

    public func tradingStateChanged(instanceID: String, state newState: TradingState, reason: String, at time: Int64) {
        state.withLock { b in
            b.advance(time)
            if instanceID == "*" {
                b.killSwitch = (newState == .halted, reason)
            } else {
                b.instances[instanceID]?.state = newState.rawValue
                b.instances[instanceID]?.reason = reason
                for symbol in b.instances[instanceID]?.positions.keys.map({ $0 }) ?? [] {
                    if let i = index[symbol] { b.touch(i, at: time) }
                }
            }
            b.tradingVersion &+= 1
        }
    }

    public func orderSubmitted(_ order: OrderRequest, instanceID: String) {
        guard order.symbol.index < symbolNames.count else { return }
        let open = BoardState.OpenOrder(id: order.clientOrderID.rawValue, symbol: symbolNames[order.symbol.index], side: order.side.description,
                                        price: order.price, size: order.size, remaining: order.size, status: "submitted", tag: order.tag,
                                        at: order.createdAt)
        state.withLock { b in
            b.instances[instanceID]?.orders[open.id] = open
            b.tradingVersion &+= 1
        }
    }

    public func orderUpdated(_ update: OrderUpdate, instanceID: String, mode: TradingMode) {
        state.withLock { b in
            let id = update.clientOrderID.rawValue
            if update.status == .denied || update.status == .rejected {
                b.denials[update.denyReason?.description ?? (update.reason.isEmpty ? update.status.description : update.reason), default: 0] += 1
            }
            if update.status.isTerminal {
                b.instances[instanceID]?.orders[id] = nil
            } else if var order = b.instances[instanceID]?.orders[id] {
                order.status = update.status.description
                order.remaining = update.remainingSize
                b.instances[instanceID]?.orders[id] = order
            }
            b.tradingVersion &+= 1
        }
    }

    /// Iceberg levels from iceberg.so's `iceberg_levels` record table.
    public func recordUpserted(_ row: RecordRow) {
        guard row.table == "iceberg_levels", row.values.count >= 6,
              case .text(let symbol) = row.values[0], case .text(let side) = row.values[1], case .double(let price) = row.values[2],
              case .text(let status) = row.values[4], let i = index[symbol] else { return }
        let cohort: String = if case .text(let c) = row.values[5] { c } else { "" }
        state.withLock { b in
            let key = side + "|" + String(price)
            if status == "ACTIVE" {
                b.rows[i].icebergs[key] = .init(side: side, price: price, cohort: cohort)
            } else {
                b.rows[i].icebergs[key] = nil
            }
            b.touch(i, at: b.now)
        }
    }

    /// The engine's periodic book snapshot: best bid and ask, mid price, walls.
    public func bookSnapshot(symbol: SymbolID, time: Int64, bids: [(price: Fixed8, size: Fixed8)], asks: [(price: Fixed8, size: Fixed8)]) {
        let i = symbol.index
        guard i < symbolNames.count else { return }
        let bid = bids.first?.price.double
        let ask = asks.first?.price.double
        let walls = Self.walls(bids: bids, asks: asks)
        state.withLock { b in
            b.advance(time)
            b.rows[i].bid = bid
            b.rows[i].ask = ask
            b.rows[i].walls = walls
            if let bid, let ask { b.price(i, (bid + ask) / 2, at: time, volume: 0, delta: 0) }
            b.touch(i, at: time)
        }
    }

    /// Market events on their way to the engine's queue (called by the producer, before it
    /// pushes them): trade, quote and oracle prices and the trades' volume delta.
    public func observe(_ events: UnsafeBufferPointer<MarketEvent>) {
        guard !events.isEmpty else { return }
        state.withLock { b in
            for event in events {
                let i = event.symbol.index
                guard i < b.rows.count else { continue }
                switch event {
                case .trade(let t):
                    let size = t.size.double
                    let signed = t.aggressor == .buy ? size : t.aggressor == .sell ? -size : 0
                    let price = t.price.double
                    b.price(i, price, at: t.tsEvent, volume: size, delta: signed, cohort: b.cohorts[i].cohort(notional: abs(price * size)))
                case .quote(let q):
                    b.rows[i].bid = q.bidPrice.double
                    b.rows[i].ask = q.askPrice.double
                    b.price(i, (q.bidPrice.double + q.askPrice.double) / 2, at: q.tsEvent, volume: 0, delta: 0)
                case .oracle(let o):
                    b.price(i, o.price.double, at: o.tsEvent, volume: 0, delta: 0)
                case .settlement(let s):
                    b.price(i, s.price.double, at: s.tsEvent, volume: 0, delta: 0)
                case .bookDelta, .bar:
                    continue
                }
                b.advance(event.tsRecv)
                b.touch(i, at: event.tsRecv)
            }
        }
    }

    public func observe(_ events: [MarketEvent]) { events.withUnsafeBufferPointer { observe($0) } }

    /// A live feed's per-symbol staleness.
    public func feedStatus(symbol: SymbolID, stale: Bool) {
        state.withLock { b in
            if stale { b.stale.insert(symbol.index) } else { b.stale.remove(symbol.index) }
        }
    }

    // MARK: - Reading (the dashboard's tasks)

    /// The rows that changed since the last call, as a `rows` message; nil when none did.
    func takeChangedRows() -> String? {
        let (views, now) = state.withLock { b -> ([BoardState.RowView], Int64) in
            let views = b.changed.map { i in
                b.isChanged[i] = false
                return b.view(i, name: symbolNames[i])
            }
            b.changed.removeAll(keepingCapacity: true)
            return (views, b.now)
        }
        guard !views.isEmpty else { return nil }
        var json = JSONText(capacity: 200 * views.count)
        json.beginObject()
        json.field("type", "rows")
        json.field("now", now)
        json.key("rows")
        json.beginArray()
        for view in views { BoardState.encode(view, into: &json) }
        json.endArray()
        json.endObject()
        return json.text
    }

    /// Forgets what changed (no page is listening).
    func discardChanges() {
        state.withLock { b in
            for i in b.changed { b.isChanged[i] = false }
            b.changed.removeAll(keepingCapacity: true)
        }
    }

    /// The once-a-second message: trading, statistics, health, and the symbols whose candles moved.
    func tickMessage(health: DashboardHealth, controls: Bool) -> String {
        message(type: "tick", health: health, controls: controls, rows: false)
    }

    /// Everything a page opened now needs: every row, trading, statistics, health.
    func snapshotMessage(health: DashboardHealth, controls: Bool) -> String {
        message(type: "snapshot", health: health, controls: controls, rows: true)
    }

    private func message(type: String, health: DashboardHealth, controls: Bool, rows: Bool) -> String {
        takeFills()
        let symbolNames = self.symbolNames
        let (views, trading, stale, denials, moved, now) = state.withLock { b in
            defer { b.candlesMoved.removeAll(keepingCapacity: true) }
            return (rows ? symbolNames.indices.map { b.view($0, name: symbolNames[$0]) } : [], b.tradingView,
                    b.stale.sorted().map { symbolNames[$0] }, b.denials, b.candlesMoved.sorted().map { symbolNames[$0] }, b.now)
        }
        return history.withLock { h in
            var json = JSONText(capacity: rows ? 300 * symbolNames.count + 4_096 : 4_096)
            json.beginObject()
            json.field("type", type)
            json.field("now", now)
            if rows {
                json.key("symbols")
                json.beginArray()
                for view in views { BoardState.encode(view, into: &json) }
                json.endArray()
                json.key("timeframes")
                json.beginArray()
                for tf in Self.timeframes { json.value(tf.name) }
                json.endArray()
            }
            json.key("trading")
            BoardState.encode(trading, history: h, instances: instances, controls: controls, into: &json)
            json.key("stats")
            BoardState.encode(h.statistics, into: &json)
            json.key("health")
            BoardState.encode(health, stale: stale, denials: denials, into: &json)
            json.key("candles")
            json.beginArray()
            for name in moved { json.value(name) }
            json.endArray()
            json.endObject()
            return json.text
        }
    }

    /// Moves the fills booked since the last call into the history (statistics rebuilt there,
    /// outside the engine's lock).
    private func takeFills() {
        let new = state.withLock { b in
            defer { b.pendingFills = [] }
            return b.pendingFills
        }
        guard !new.isEmpty else { return }
        history.withLock { $0.add(new) }
    }

    /// The candle chart of `symbol` (nil when unknown); `timeframe` one of `timeframes`.
    public func candleChart(symbol: String, timeframe: String) -> String? {
        guard let i = index[symbol], let minutes = Self.timeframes.first(where: { $0.name == timeframe })?.minutes else { return nil }
        let (candles, icebergs, walls) = state.withLock { b in
            (b.candles[i].aggregated(minutes: minutes), Array(b.rows[i].icebergs.values), b.rows[i].walls)
        }
        let levels = icebergs.map { CandleChart.Level(price: $0.price, kind: .iceberg, label: "iceberg \($0.side) \($0.cohort)") }
            + walls.map { CandleChart.Level(price: $0.price, kind: .wall, label: "wall \($0.side) \(JSONText.number($0.size))") }
        return CandleChart(symbol: symbol, timeframe: timeframe, candles: candles, levels: levels).svg()
    }

    /// The equity curve of every closed trade (this run's and earlier ones').
    public func equityChart() -> String {
        takeFills()
        let (points, trades) = history.withLock { ($0.statistics.equityCurve, $0.closedTrades) }
        return EquityChart(points: points, trades: trades).svg()
    }

    /// The screener row of `symbol`, as pushed (tests and tools).
    public func rowJSON(_ symbol: String) -> String? {
        guard let i = index[symbol] else { return nil }
        let view = state.withLock { $0.view(i, name: symbol) }
        var json = JSONText()
        BoardState.encode(view, into: &json)
        return json.text
    }

    /// Trading figures, as pushed (tests and tools).
    public func tradingJSON(controls: Bool = false) -> String {
        takeFills()
        let trading = state.withLock { $0.tradingView }
        return history.withLock { h in
            var json = JSONText()
            BoardState.encode(trading, history: h, instances: instances, controls: controls, into: &json)
            return json.text
        }
    }

    /// Closed-trade statistics over every fill seen (the report's figures, live).
    public func statistics() -> TradeStatistics {
        takeFills()
        return history.withLock { $0.statistics }
    }

    // MARK: - Helpers

    /// The largest levels of a snapshot at least 3× the median size (at most 3 per side).
    static func walls(bids: [(price: Fixed8, size: Fixed8)], asks: [(price: Fixed8, size: Fixed8)]) -> [BoardState.Wall] {
        let sizes = (bids + asks).map(\.size.double).sorted()
        guard sizes.count >= 4 else { return [] }
        let threshold = 3 * sizes[sizes.count / 2]
        func pick(_ levels: [(price: Fixed8, size: Fixed8)], _ side: String) -> [BoardState.Wall] {
            levels.filter { $0.size.double >= threshold && threshold > 0 }.sorted { $0.size.double > $1.size.double }.prefix(3)
                .map { .init(side: side, price: $0.price.double, size: $0.size.double) }
        }
        return pick(bids, "bid") + pick(asks, "ask")
    }

    private static func finite(_ value: Any?) -> Double? {
        guard let d = (value as? NSNumber)?.doubleValue, d.isFinite else { return nil }
        return d
    }
}
