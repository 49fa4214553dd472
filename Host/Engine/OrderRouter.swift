import CStrategyHostSDK
import Foundation
import HostCore
import HostExecution
import HostRisk

/// Risk, the paper venue and the portfolio behind the engine's order services.
///
/// - Important: Confined to the engine thread.
struct OrderRouter {
    private var risks: [PreTradeRisk] = []
    private(set) var venue: PaperVenue
    private(set) var portfolio: Portfolio
    private var nextID: UInt64 = 1
    /// Working orders: id → (owner, symbol).
    private var working: [ClientOrderID: (instance: Int, symbol: SymbolID)] = [:]
    /// Working orders per symbol index (checked on every market event).
    private var workingPerSymbol: [Int]
    /// Orders that passed risk and wait out the configured venue latency, in arrival order.
    private var delayed: [(activateAt: Int64, order: OrderRequest)] = []
    private let latency: Int64
    /// Per instance: its live venue (nil for paper instances).
    private var liveVenues: [(any LiveVenue)?] = []
    /// Working orders of live instances, as last reported.
    private var liveOrders: [ClientOrderID: LiveOrder] = [:]

    struct LiveOrder {
        var request: OrderRequest
        var status: OrderStatus
        var filled: Decimal
    }

    init(venue config: PaperVenueConfig, startingCash: Decimal, symbolCount: Int) {
        self.workingPerSymbol = Array(repeating: 0, count: symbolCount)
        self.venue = PaperVenue(config: config)
        self.portfolio = Portfolio(startingCash: startingCash)
        self.latency = config.latencyNs
    }

    /// The exact mid of the book's best levels, nil when a side is empty.
    static func mark(_ book: OrderBook) -> Decimal? {
        guard let bid = book.bids.best, let ask = book.asks.best else { return nil }
        return DecimalFast.midpoint(bid.price.decimal, ask.price.decimal)
    }

    mutating func addInstance(limits: RiskLimits, liveVenue: (any LiveVenue)? = nil) {
        risks.append(PreTradeRisk(limits: limits))
        liveVenues.append(liveVenue)
    }

    func isLive(_ instance: Int) -> Bool { liveVenues[instance] != nil }

    mutating func nextClientOrderID() -> ClientOrderID {
        defer { nextID += 1 }
        return ClientOrderID(nextID)
    }

    func owner(of id: ClientOrderID) -> Int? { working[id]?.instance }

    @inline(__always) func hasWorkingOrders(_ symbol: SymbolID) -> Bool {
        symbol.index < workingPerSymbol.count && workingPerSymbol[symbol.index] > 0
    }
    var hasDelayedOrders: Bool { !delayed.isEmpty }

    /// Pre-trade risk for one order of its instance; nil when it passes.
    mutating func check(_ order: OrderRequest, instrument: Instrument, book: OrderBook, now: Int64) -> RiskDenial? {
        let day = now / 86_400_000_000_000
        let position = portfolio.position(instance: order.instance, mode: order.mode, symbol: order.symbol)
        let mark = Self.mark(book)
        let inputs = RiskInputs(
            instrument: instrument,
            bestBid: book.bids.best?.price.decimal,
            bestAsk: book.asks.best?.price.decimal,
            position: position.quantity,
            openOrders: venue.openOrderCount(instance: order.instance) + liveOrders.values.count { $0.request.instance == order.instance },
            tradesToday: portfolio.tradesToday(instance: order.instance, mode: order.mode, day: day),
            dailyPnL: portfolio.dailyRealizedPnL(instance: order.instance, mode: order.mode, day: day) + (mark.map { position.unrealizedPnL(mark: $0) } ?? 0),
            now: now)
        return risks[order.instance].check(order, inputs)
    }

    /// Sends an order that passed risk to the venue, now or after the latency.
    mutating func submit(_ order: OrderRequest, instrument: Instrument, book: OrderBook, now: Int64) -> [OrderUpdate] {
        if let live = liveVenues[order.instance] {
            // The venue answers through the inbound queue; until then the order is submitted and working.
            liveOrders[order.clientOrderID] = LiveOrder(request: order, status: .submitted, filled: 0)
            working[order.clientOrderID] = (order.instance, order.symbol)
            workingPerSymbol[order.symbol.index] += 1
            live.submit(order, instrument: instrument)
            return [OrderUpdate(clientOrderID: order.clientOrderID, instance: order.instance, symbol: order.symbol, side: order.side,
                                status: .submitted, remainingSize: order.size, timestamp: now)]
        }
        if latency > 0 {
            delayed.append((now + latency, order))
            return [OrderUpdate(clientOrderID: order.clientOrderID, instance: order.instance, symbol: order.symbol, side: order.side,
                                status: .submitted, remainingSize: order.size, timestamp: now)]
        }
        return venue.submit(order, book: book, now: now)
    }

    mutating func activateDelayed(now: Int64, books: BookStore) -> [OrderUpdate] {
        var updates: [OrderUpdate] = []
        while let first = delayed.first, first.activateAt <= now {
            delayed.removeFirst()
            updates += venue.submit(first.order, book: books[first.order.symbol.index], now: now)
        }
        return updates
    }

    mutating func bookChanged(symbol: SymbolID, book: OrderBook, now: Int64) -> [OrderUpdate] {
        venue.onBookChanged(symbol: symbol, book: book, now: now)
    }

    mutating func cancel(_ id: ClientOrderID, now: Int64) -> [OrderUpdate] {
        if let order = liveOrders[id] {
            liveVenues[order.request.instance]?.cancel(id, symbol: order.request.symbol)
            return []
        }
        return venue.cancel(id, now: now)
    }

    /// Cancels every working and delayed order (of one symbol when given), oldest first.
    mutating func cancelAll(symbol: SymbolID? = nil, now: Int64, reason: String = "shutdown") -> [OrderUpdate] {
        var updates: [OrderUpdate] = []
        delayed.removeAll { entry in
            let order = entry.order
            guard symbol == nil || order.symbol == symbol else { return false }
            updates.append(OrderUpdate(clientOrderID: order.clientOrderID, instance: order.instance, symbol: order.symbol, side: order.side,
                                       status: .canceled, remainingSize: order.size, reason: "canceled before it reached the venue (\(reason))",
                                       timestamp: now))
            return true
        }
        for (id, entry) in working.sorted(by: { $0.key < $1.key }) where symbol == nil || entry.symbol == symbol {
            updates += cancel(id, now: now)
        }
        return updates
    }

    mutating func engageKillSwitch(reason: String) {
        for i in risks.indices { risks[i].engageKillSwitch(reason: reason) }
    }

    /// Keeps the portfolio and the working-order index in step with an update; returns the
    /// PnL a fill realized.
    @discardableResult
    mutating func record(_ update: OrderUpdate, mode: TradingMode, instrument: Instrument) -> Decimal {
        var realized: Decimal = 0
        if update.lastFillSize > 0 { realized = portfolio.apply(update, mode: mode, instrument: instrument) }
        if liveOrders[update.clientOrderID] != nil {
            if update.status.isTerminal { liveOrders[update.clientOrderID] = nil } else {
                liveOrders[update.clientOrderID]?.status = update.status
                liveOrders[update.clientOrderID]?.filled = update.filledSize
            }
        }
        if update.status.isTerminal {
            if working.removeValue(forKey: update.clientOrderID) != nil { workingPerSymbol[update.symbol.index] -= 1 }
        } else if update.status == .accepted || update.status == .partiallyFilled {
            if working[update.clientOrderID] == nil {
                working[update.clientOrderID] = (update.instance, update.symbol)
                workingPerSymbol[update.symbol.index] += 1
            }
        }
        return realized
    }

    mutating func restore(instance: Int, mode: TradingMode, fills: [(symbol: SymbolID, fill: StoredFill)], symbols: SymbolTable) {
        portfolio.restore(instance: instance, mode: mode, fills: fills, instruments: symbols)
    }

    /// The instance's risk state (for persistence and restore).
    func riskState(_ instance: Int) -> (state: TradingState, reason: String, killSwitch: Bool) {
        (risks[instance].state, risks[instance].stateReason, risks[instance].killSwitchEngaged)
    }

    mutating func setRiskState(_ instance: Int, _ state: TradingState, reason: String) {
        risks[instance].setState(state, reason: reason)
    }

    // MARK: C records for host services

    func positionRecord(instance: Int, mode: TradingMode, symbol: SymbolID, books: BookStore) -> tsh_position {
        let p = portfolio.position(instance: instance, mode: mode, symbol: symbol)
        let mark = Self.mark(books[symbol.index])
        return tsh_position(
            struct_size: UInt32(MemoryLayout<tsh_position>.size), symbol_id: symbol.rawValue,
            quantity: p.quantity.doubleValue, average_price: p.averagePrice.doubleValue, realized_pnl: p.realizedPnL.doubleValue,
            unrealized_pnl: mark.map { p.unrealizedPnL(mark: $0).doubleValue } ?? 0, fees: p.fees.doubleValue)
    }

    func balanceRecord(instance: Int, mode: TradingMode, asset: String, symbols: SymbolTable) -> tsh_balance {
        let b = portfolio.balance(instance: instance, mode: mode, asset: asset, instruments: symbols)
        return tsh_balance(struct_size: UInt32(MemoryLayout<tsh_balance>.size), reserved: 0,
                           total: b.total.doubleValue, available: b.available.doubleValue, locked: b.locked.doubleValue)
    }

    func openOrderRecords(instance: Int, symbol: SymbolID?) -> [tsh_open_order] {
        if isLive(instance) {
            return liveOrders.values.filter { $0.request.instance == instance && (symbol == nil || $0.request.symbol == symbol) }
                .sorted { $0.request.clientOrderID < $1.request.clientOrderID }
                .map { o in
                    tsh_open_order(client_order_id: o.request.clientOrderID.rawValue, symbol_id: o.request.symbol.rawValue, side: o.request.side.rawValue,
                                   type: o.request.type.rawValue, status: o.status.rawValue, price: o.request.price?.doubleValue ?? .nan,
                                   size: o.request.size.doubleValue, filled_size: o.filled.doubleValue)
                }
        }
        return venue.openOrders(instance: instance, symbol: symbol).map { o in
            tsh_open_order(client_order_id: o.clientOrderID.rawValue, symbol_id: o.symbol.rawValue, side: o.side.rawValue,
                           type: o.type.rawValue, status: o.status.rawValue, price: o.price?.doubleValue ?? .nan,
                           size: o.size.doubleValue, filled_size: o.filledSize.doubleValue)
        }
    }

    mutating func setCash(_ amount: Decimal, instance: Int, mode: TradingMode, quoteAsset: String) {
        portfolio.setCash(amount, instance: instance, mode: mode, quoteAsset: quoteAsset)
    }
}
