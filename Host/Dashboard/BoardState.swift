import Foundation
import HostCore
import HostPersistence

/// The dashboard's state behind `DashboardBoard`'s lock: screener rows and candles by symbol
/// index, trading books by instance, every fill for the statistics, and what changed since the
/// last push.
struct BoardState {
    struct Trigger {
        var direction: Int
        var value: Double
        var confidence: Double
        var at: Int64
    }

    struct Recommendation {
        var label: String?
        var score: Double
        var direction: Int
        var confidence: Double
        var tp: Double?
        var sl: Double?
        var at: Int64
    }

    struct Iceberg {
        var side: String
        var price: Double
        var cohort: String
    }

    struct Wall {
        var side: String
        var price: Double
        var size: Double
    }

    struct Row {
        var price: Double?
        var bid: Double?
        var ask: Double?
        var triggers: [String: Trigger] = [:]
        var watched: Bool?
        var qde: Recommendation?
        /// Active icebergs by "side|price".
        var icebergs: [String: Iceberg] = [:]
        var walls: [Wall] = []
        var updatedAt: Int64 = 0
    }

    struct OpenOrder {
        var id: UInt64
        var symbol: String
        var side: String
        var price: Decimal?
        var size: Decimal
        var remaining: Decimal
        var status: String
        var tag: String
        var at: Int64
    }

    struct InstanceBook {
        var mode: TradingMode
        var state = TradingState.active.rawValue
        var reason = ""
        var positions: [String: PositionSnapshot] = [:]
        var orders: [UInt64: OpenOrder] = [:]
    }

    var rows: [Row]
    var candles: [CandleSeries]
    /// Each symbol's cohort thresholds, for the per-cohort CVD.
    var cohorts: [CohortThresholds]
    var isChanged: [Bool]
    /// Symbol indexes changed since the last push, in order of first change.
    var changed: [Int] = []
    var candlesMoved = Set<Int>()
    var stale = Set<Int>()
    var instances: [String: InstanceBook] = [:]
    /// Fills booked since the dashboard last took them into its `TradeHistory`.
    var pendingFills: [BookedFillRow] = []
    var denials: [String: Int] = [:]
    var killSwitch: (engaged: Bool, reason: String) = (false, "")
    var tradingVersion = 0
    var symbolIndexes: [String: Int] = [:]
    /// The latest engine time seen (ns): ages and "today" are relative to it.
    var now: Int64 = 0

    init(symbolCount: Int, instances: [DashboardInstance]) {
        rows = Array(repeating: Row(), count: symbolCount)
        candles = Array(repeating: CandleSeries(capacity: DashboardBoard.candleCapacity), count: symbolCount)
        cohorts = Array(repeating: CohortThresholds(), count: symbolCount)
        isChanged = Array(repeating: false, count: symbolCount)
        for instance in instances { self.instances[instance.id] = InstanceBook(mode: instance.mode) }
    }

    mutating func advance(_ time: Int64) { if time > now { now = time } }

    mutating func touch(_ i: Int, at time: Int64) {
        rows[i].updatedAt = max(rows[i].updatedAt, time)
        if !isChanged[i] {
            isChanged[i] = true
            changed.append(i)
        }
    }

    mutating func price(_ i: Int, _ price: Double, at time: Int64, volume: Double, delta: Double, cohort: CandleSeries.Cohort? = nil) {
        guard price.isFinite else { return }
        rows[i].price = price
        candles[i].add(price: price, at: time, volume: volume, delta: delta, cohort: cohort)
        candlesMoved.insert(i)
    }

    /// What a row shows, copied out under the lock (a few retains) to be encoded outside it.
    struct RowView {
        var name: String
        var row: Row
        var change: Double?
        var stale: Bool
        var trades: [(instanceID: String, position: PositionSnapshot, state: String)]
    }

    func view(_ i: Int, name: String) -> RowView {
        var trades: [(instanceID: String, position: PositionSnapshot, state: String)] = []
        for (id, book) in instances {
            if let p = book.positions[name] { trades.append((id, p, book.state)) }
        }
        trades.sort { $0.instanceID < $1.instanceID }
        return RowView(name: name, row: rows[i], change: rows[i].price.flatMap { candles[i].change(to: $0, now: now) },
                       stale: stale.contains(i), trades: trades)
    }

    /// The trading books, copied out under the lock, with the last price of each position's symbol.
    struct TradingView {
        var killSwitch: (engaged: Bool, reason: String)
        var books: [String: InstanceBook]
        var prices: [String: Double]
        var now: Int64
    }

    var tradingView: TradingView {
        var prices: [String: Double] = [:]
        for book in instances.values {
            for (symbol, p) in book.positions where p.quantity != 0 {
                if let i = symbolIndexes[symbol], let price = rows[i].price { prices[symbol] = price }
            }
        }
        return TradingView(killSwitch: killSwitch, books: instances, prices: prices, now: now)
    }
}

// MARK: - Encoding (outside the lock)

extension BoardState {
    /// `{"s":symbol,"p":price,"ch":24h change,"tr":{kind:{…}},"q":{…},"t":[…],"ice":[…],"u":updated}`.
    static func encode(_ view: RowView, into json: inout JSONText) {
        let row = view.row
        json.beginObject()
        json.field("s", view.name)
        json.field("p", row.price)
        json.field("b", row.bid)
        json.field("a", row.ask)
        json.field("ch", view.change)
        json.field("u", row.updatedAt)
        json.field("stale", view.stale)
        if let watched = row.watched { json.field("w", watched) }
        if !row.triggers.isEmpty {
            json.key("tr")
            json.beginObject()
            for (kind, t) in row.triggers.sorted(by: { $0.key < $1.key }) {
                json.key(kind)
                json.beginObject()
                json.field("d", t.direction)
                json.field("v", t.value)
                json.field("c", t.confidence)
                json.field("at", t.at)
                json.endObject()
            }
            json.endObject()
        }
        if let q = row.qde {
            json.key("q")
            json.beginObject()
            json.field("r", q.label)
            json.field("sc", q.score)
            json.field("d", q.direction)
            json.field("c", q.confidence)
            json.field("tp", q.tp)
            json.field("sl", q.sl)
            json.field("at", q.at)
            json.endObject()
        }
        json.key("t")
        json.beginArray()
        for (id, p, state) in view.trades {
            json.beginObject()
            json.field("i", id)
            json.field("st", p.quantity > 0 ? "long" : p.quantity < 0 ? "short" : "flat")
            json.field("q", p.quantity)
            json.field("ap", p.averagePrice)
            json.field("ts", state)
            json.endObject()
        }
        json.endArray()
        if !row.icebergs.isEmpty {
            // The three nearest the price.
            let near = row.icebergs.values.sorted { abs($0.price - (row.price ?? 0)) < abs($1.price - (row.price ?? 0)) }.prefix(3)
            json.key("ice")
            json.beginArray()
            for ice in near {
                json.beginObject()
                json.field("side", ice.side)
                json.field("p", ice.price)
                json.field("co", ice.cohort)
                json.endObject()
            }
            json.endArray()
        }
        json.endObject()
    }

    /// Instances with positions, open orders, PnL, state, the day's figures; the kill switch.
    static func encode(_ view: TradingView, history: TradeHistory, instances configured: [DashboardInstance], controls: Bool,
                       into json: inout JSONText) {
        let killSwitch = view.killSwitch
        let now = view.now
        let closedTrades = history.closedTrades
        let today = now >= 0 ? now / 86_400_000_000_000 : (now + 1) / 86_400_000_000_000 - 1
        json.beginObject()
        json.key("kill")
        json.beginObject()
        json.field("engaged", killSwitch.engaged)
        json.field("reason", killSwitch.reason)
        json.field("controls", controls)
        json.endObject()
        json.key("instances")
        json.beginArray()
        for instance in configured {
            guard let book = view.books[instance.id] else { continue }
            var realized: Decimal = 0
            var fees: Decimal = 0
            var unrealized = 0.0
            json.beginObject()
            json.field("id", instance.id)
            json.field("plugin", instance.pluginID)
            json.field("mode", instance.mode.description)
            json.field("state", book.state)
            json.field("reason", book.reason)
            json.key("positions")
            json.beginArray()
            for (symbol, p) in book.positions.sorted(by: { $0.key < $1.key }) {
                realized += p.realizedPnL
                fees += p.fees
                guard p.quantity != 0 else { continue }
                let last = view.prices[symbol]
                let upnl = last.map { (p.quantity.doubleValue) * ($0 - p.averagePrice.doubleValue) }
                unrealized += upnl ?? 0
                json.beginObject()
                json.field("s", symbol)
                json.field("q", p.quantity)
                json.field("ap", p.averagePrice)
                json.field("last", last)
                json.field("upnl", upnl)
                json.endObject()
            }
            json.endArray()
            json.key("orders")
            json.beginArray()
            for order in book.orders.values.sorted(by: { $0.id < $1.id }) {
                json.beginObject()
                json.field("id", Int64(truncatingIfNeeded: order.id))
                json.field("s", order.symbol)
                json.field("side", order.side)
                json.field("px", order.price)
                json.field("size", order.size)
                json.field("rem", order.remaining)
                json.field("st", order.status)
                json.field("tag", order.tag)
                json.endObject()
            }
            json.endArray()
            json.field("realized", realized - fees)
            json.field("fees", fees)
            json.field("unrealized", unrealized)
            // The day's closed trades (UTC day of engine time).
            var trades = 0, wins = 0
            var pnl: Decimal = 0
            for trade in closedTrades where trade.instanceID == instance.id && trade.mode == instance.mode.description
                && (trade.closedAt >= 0 ? trade.closedAt / 86_400_000_000_000 : -1) == today {
                trades += 1
                if trade.isWin { wins += 1 }
                pnl += trade.pnl
            }
            json.key("day")
            json.beginObject()
            json.field("trades", trades)
            json.field("wins", wins)
            json.field("pnl", pnl)
            json.field("lossLimit", instance.dailyLossLimit)
            json.field("limitUsed", instance.dailyLossLimit.flatMap { $0 > 0 ? max(0, (-pnl).doubleValue / $0.doubleValue) : nil })
            json.endObject()
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }

    static func encode(_ s: TradeStatistics, into json: inout JSONText) {
        json.beginObject()
        json.field("trades", s.trades)
        json.field("wins", s.wins)
        json.field("winRate", s.winRate.map(\.doubleValue))
        json.field("total", s.totalPnL)
        json.field("fees", s.fees)
        json.field("maxDrawdown", s.maxDrawdown)
        for (key, groups) in [("byMarket", s.byMarket), ("byHour", s.byHour), ("byWeekday", s.byWeekday), ("byExit", s.byExitReason)] {
            json.key(key)
            json.beginArray()
            for g in groups {
                json.beginObject()
                json.field("k", g.key)
                json.field("n", g.trades)
                json.field("w", g.wins)
                json.field("rate", g.winRate.map(\.doubleValue))
                json.field("pnl", g.pnl)
                json.endObject()
            }
            json.endArray()
        }
        json.endObject()
    }

    static func encode(_ h: DashboardHealth, stale: [String], denials: [String: Int], into json: inout JSONText) {
        json.beginObject()
        json.key("feeds")
        json.beginArray()
        for feed in h.feeds {
            json.beginObject()
            json.field("name", feed.name)
            json.field("state", feed.state)
            json.endObject()
        }
        json.endArray()
        json.field("events", h.eventsProcessed)
        json.field("queueDepth", h.queueDepth)
        json.field("queueCapacity", h.queueCapacity)
        json.field("queueHighWater", h.queueHighWater)
        json.field("writerPending", h.writerPendingRows)
        json.field("lagP50", h.feedLagP50Nanos.map { Double($0) / 1e6 })
        json.field("lagP99", h.feedLagP99Nanos.map { Double($0) / 1e6 })
        json.key("stale")
        json.beginArray()
        for name in stale { json.value(name) }
        json.endArray()
        json.key("callbacks")
        json.beginArray()
        for c in h.callbacks {
            json.beginObject()
            json.field("i", c.instanceID)
            json.field("avgUs", c.averageNanos / 1e3)
            json.field("maxUs", Double(c.maxNanos) / 1e3)
            json.field("errors", c.errors)
            json.endObject()
        }
        json.endArray()
        json.key("denials")
        json.beginObject()
        for (reason, n) in denials.sorted(by: { $0.key < $1.key }) {
            json.key(reason)
            json.value(n)
        }
        json.endObject()
        json.endObject()
    }

}

/// Every fill the dashboard has seen (earlier runs' from the database, then this run's) and the
/// round trips and statistics over them: the report's figures, rebuilt off the engine's path
/// when fills came in.
struct TradeHistory {
    private(set) var fills: [BookedFillRow] = []
    private var nextFillID: Int64 = 1
    private(set) var closedTrades: [RoundTrip] = []
    private(set) var statistics = TradeStatistics([])

    mutating func add(_ new: [BookedFillRow]) {
        guard !new.isEmpty else { return }
        for var fill in new {
            // Ids order an account's fills; this run's continue after the database's.
            fill.id = max(fill.id, nextFillID)
            nextFillID = fill.id + 1
            fills.append(fill)
        }
        closedTrades = RoundTripBuilder.build(fills).closed.sorted { ($0.closedAt, $0.closingFillID) < ($1.closedAt, $1.closingFillID) }
        statistics = TradeStatistics(closedTrades)
    }
}

extension Decimal {
    fileprivate var doubleValue: Double { NSDecimalNumber(decimal: self).doubleValue }
}
