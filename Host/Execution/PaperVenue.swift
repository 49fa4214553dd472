import Foundation
import HostCore

/// A working order as `open_orders` reports it.
public struct OpenOrderView: Sendable, Hashable {
    public var clientOrderID: ClientOrderID
    public var instance: Int
    public var symbol: SymbolID
    public var side: Side
    public var type: OrderType
    public var status: OrderStatus
    /// Limit price; nil for market orders.
    public var price: Decimal?
    public var size: Decimal
    public var filledSize: Decimal

    public init(clientOrderID: ClientOrderID, instance: Int, symbol: SymbolID, side: Side, type: OrderType,
                status: OrderStatus, price: Decimal?, size: Decimal, filledSize: Decimal) {
        self.clientOrderID = clientOrderID
        self.instance = instance
        self.symbol = symbol
        self.side = side
        self.type = type
        self.status = status
        self.price = price
        self.size = size
        self.filledSize = filledSize
    }
}

/// The simulated venue of paper instances: orders match against the host's current (live or
/// replayed) book, with the configured fee model.
///
/// Takers walk the opposite side level by level at the levels' prices; resting limit orders
/// fill as makers at their own price once the opposite best crosses them. The book itself is
/// not changed: within one `submit` the walked levels are used up, and within one
/// `onBookChanged` the crossing liquidity is shared out in price-then-time priority.
///
/// - Important: Not thread-safe; owned by the engine thread (or kept behind a `Mutex`).
public struct PaperVenue: Sendable {
    public let config: PaperVenueConfig
    private var working: [ClientOrderID: WorkingOrder] = [:]
    private var nextVenueOrderNumber: UInt64 = 1

    public init(config: PaperVenueConfig) {
        self.config = config
    }

    /// Matches `order` against `book` at once.
    ///
    /// Market and marketable limit orders walk the opposite side, one taker fill update per
    /// level. FOK fills completely or is canceled with nothing filled; FAK and market orders
    /// cancel what they could not fill; a GTC/GTD remainder rests. A post-only order that would
    /// cross is rejected, as are malformed orders (no positive size, a limit order without a
    /// positive price, GTD without an expiry, post-only that is not a GTC/GTD limit, a client
    /// order id that is still working).
    ///
    /// - Returns: The updates in order: accepted first (or a lone rejected), then fills, then a
    ///   terminal one if any.
    public mutating func submit(_ order: OrderRequest, book: OrderBook, now: Int64) -> [OrderUpdate] {
        var entry = WorkingOrder(request: order, venueOrderID: "paper-\(nextVenueOrderNumber)")
        nextVenueOrderNumber += 1
        if let reason = rejection(of: order, book: book) {
            entry.transition(.reject)
            return [entry.update(now: now, reason: reason)]
        }
        entry.transition(.accept)
        var updates = [entry.update(now: now)]

        if order.timeInForce == .gtd, let expireAt = order.expireAt, expireAt <= now {
            entry.transition(.expire)
            updates.append(entry.update(now: now, reason: "GTD order expired"))
            return updates
        }

        var liquidity = Liquidity(side: book.side(order.side.opposite), taker: order.side)
        if order.timeInForce == .fok, liquidity.available(crossing: order.price, upTo: order.size) < order.size {
            entry.transition(.cancel)
            updates.append(entry.update(now: now, reason: "FOK could not be filled in full"))
            return updates
        }
        while entry.machine.remainingSize > 0, let level = liquidity.take(crossing: order.price, upTo: entry.machine.remainingSize) {
            updates.append(entry.fill(price: level.price, size: level.size, liquidity: .taker, fees: config.feeModel, now: now))
        }
        guard entry.machine.remainingSize > 0 else { return updates }

        if order.type == .market || order.timeInForce == .fak || order.timeInForce == .fok {
            entry.transition(.cancel)
            let reason = order.type == .market ? "no more liquidity; market order remainder canceled" : "FAK remainder canceled"
            updates.append(entry.update(now: now, reason: reason))
        } else {
            working[order.clientOrderID] = entry
        }
        return updates
    }

    /// Cancels a working order.
    ///
    /// - Returns: A canceled update, or for an id that is not working a rejected update with
    ///   reason "unknown or already closed order". That rejection answers the cancel request,
    ///   not the order: it carries instance −1, symbol `.none` and no fill data, and must not
    ///   replace the status of an order that already closed.
    public mutating func cancel(_ id: ClientOrderID, now: Int64) -> [OrderUpdate] {
        guard var entry = working.removeValue(forKey: id) else {
            return [OrderUpdate(clientOrderID: id, instance: -1, symbol: .none, side: .buy, status: .rejected,
                                reason: "unknown or already closed order", timestamp: now)]
        }
        entry.transition(.cancel)
        return [entry.update(now: now, reason: "canceled")]
    }

    /// Expires every working GTD order (all symbols) whose `expireAt` is at or before `now`,
    /// in client-order-id order.
    public mutating func expire(now: Int64) -> [OrderUpdate] {
        let due = working.values
            .filter { $0.request.timeInForce == .gtd && ($0.request.expireAt ?? .max) <= now }
            .map(\.request.clientOrderID)
            .sorted()
        return due.compactMap { id in
            guard var entry = working.removeValue(forKey: id) else { return nil }
            entry.transition(.expire)
            return entry.update(now: now, reason: "GTD order expired")
        }
    }

    /// Handles a change of `symbol`'s book: first expires due GTD orders (see `expire(now:)`),
    /// then fills resting orders on `symbol` that the opposite side now crosses, as makers at
    /// their own limit price, up to the size at the crossing levels. Orders take that liquidity
    /// in price-then-time (client order id) priority, so two orders never both take the same
    /// size within one call. Each order gets at most one fill update per call.
    public mutating func onBookChanged(symbol: SymbolID, book: OrderBook, now: Int64) -> [OrderUpdate] {
        var updates = expire(now: now)
        let resting = working.values
            .filter { $0.request.symbol == symbol && $0.request.price != nil }
            .sorted { WorkingOrder.hasPriority($0.request, over: $1.request) }
            .map(\.request.clientOrderID)
        guard !resting.isEmpty else { return updates }

        var asks = Liquidity(side: book.asks, taker: .buy)
        var bids = Liquidity(side: book.bids, taker: .sell)
        for id in resting {
            guard var entry = working[id], let limit = entry.request.price else { continue }
            let size = entry.request.side == .buy
                ? asks.consume(crossing: limit, upTo: entry.machine.remainingSize)
                : bids.consume(crossing: limit, upTo: entry.machine.remainingSize)
            guard size > 0 else { continue }
            updates.append(entry.fill(price: limit, size: size, liquidity: .maker, fees: config.feeModel, now: now))
            working[id] = entry.machine.isWorking ? entry : nil
        }
        return updates
    }

    /// Working orders of `instance` (on `symbol`, or all its symbols when nil), by client order id.
    public func openOrders(instance: Int, symbol: SymbolID?) -> [OpenOrderView] {
        working.values
            .filter { $0.request.instance == instance && (symbol == nil || $0.request.symbol == symbol) }
            .map(\.view)
            .sorted { $0.clientOrderID < $1.clientOrderID }
    }

    public func openOrderCount(instance: Int) -> Int {
        working.values.reduce(0) { $0 + ($1.request.instance == instance ? 1 : 0) }
    }

    /// Why the venue refuses `order` outright, or nil.
    private func rejection(of order: OrderRequest, book: OrderBook) -> String? {
        if working[order.clientOrderID] != nil { return "client order id \(order.clientOrderID) is already working" }
        if order.size.isNaN || order.size <= 0 { return "size must be greater than zero" }
        if order.type == .limit {
            guard let price = order.price, !price.isNaN, price > 0 else { return "limit order without a positive price" }
            if order.postOnly {
                guard order.timeInForce == .gtc || order.timeInForce == .gtd else { return "post-only order must be GTC or GTD" }
                if let best = book.side(order.side.opposite).best?.price.decimal,
                   order.side == .buy ? price >= best : price <= best {
                    return "post-only order would cross the book"
                }
            }
        } else if order.postOnly {
            return "post-only market order"
        }
        if order.timeInForce == .gtd, order.type == .limit, order.expireAt == nil { return "GTD order without an expiry time" }
        return nil
    }
}

/// An order the venue knows, with its lifecycle and cumulative fill data.
private struct WorkingOrder: Sendable {
    var request: OrderRequest
    var machine: OrderStateMachine
    var venueOrderID: String
    /// Σ price × size of the fills, for the exact average price.
    var filledNotional: Decimal = 0
    var fee: Decimal = 0

    init(request: OrderRequest, venueOrderID: String) {
        self.request = request
        self.machine = OrderStateMachine(size: request.size)
        self.venueOrderID = venueOrderID
    }

    /// Applies an event the venue has already checked; a refusal is a venue bug, so it stops
    /// the process rather than let order state drift.
    mutating func transition(_ event: OrderStateMachine.Event) {
        do {
            try machine.apply(event)
        } catch {
            preconditionFailure("paper venue order \(request.clientOrderID): \(error)")
        }
    }

    mutating func fill(price: Decimal, size: Decimal, liquidity: OrderUpdate.Liquidity, fees: FeeModel, now: Int64) -> OrderUpdate {
        transition(.fill(size: size))
        let lastFee = fees.fee(price: price, size: size, liquidity: liquidity)
        filledNotional += price * size
        fee += lastFee
        return update(now: now, lastFillPrice: price, lastFillSize: size, lastFee: lastFee, liquidity: liquidity)
    }

    func update(now: Int64, lastFillPrice: Decimal = 0, lastFillSize: Decimal = 0, lastFee: Decimal = 0,
                liquidity: OrderUpdate.Liquidity? = nil, reason: String = "") -> OrderUpdate {
        OrderUpdate(
            clientOrderID: request.clientOrderID, instance: request.instance, symbol: request.symbol, side: request.side,
            status: machine.status, lastFillPrice: lastFillPrice, lastFillSize: lastFillSize,
            filledSize: machine.filledSize, remainingSize: machine.isWorking ? machine.remainingSize : 0,
            averageFillPrice: machine.filledSize > 0 ? filledNotional / machine.filledSize : 0,
            fee: fee, lastFee: lastFee, liquidity: liquidity, reason: reason, venueOrderID: venueOrderID, timestamp: now)
    }

    var view: OpenOrderView {
        OpenOrderView(clientOrderID: request.clientOrderID, instance: request.instance, symbol: request.symbol,
                      side: request.side, type: request.type, status: machine.status, price: request.price,
                      size: request.size, filledSize: machine.filledSize)
    }

    /// Better price first (higher buy, lower sell), then the older order.
    static func hasPriority(_ a: OrderRequest, over b: OrderRequest) -> Bool {
        if a.side != b.side { return a.side == .buy }
        if let pa = a.price, let pb = b.price, pa != pb { return a.side == .buy ? pa > pb : pa < pb }
        return a.clientOrderID < b.clientOrderID
    }
}

/// One side of a book as liquidity that a taker uses up, read lazily best level first.
private struct Liquidity {
    let side: BookSide
    /// The side of the orders that take this liquidity.
    let taker: Side
    private var level = 0
    private var usedAtLevel: Decimal = 0

    init(side: BookSide, taker: Side) {
        self.side = side
        self.taker = taker
    }

    /// Whether a level at `price` is marketable for a taker with `limit` (nil: market order).
    private func crosses(_ price: Decimal, _ limit: Decimal?) -> Bool {
        guard let limit else { return true }
        return taker == .buy ? price <= limit : price >= limit
    }

    /// Takes up to `size` from the best remaining level if it crosses `limit`.
    mutating func take(crossing limit: Decimal?, upTo size: Decimal) -> (price: Decimal, size: Decimal)? {
        while let top = side.level(level) {
            let price = top.price.decimal
            guard crosses(price, limit) else { return nil }
            let left = top.size.decimal - usedAtLevel
            guard left > 0 else {
                level += 1
                usedAtLevel = 0
                continue
            }
            let taken = min(left, size)
            usedAtLevel += taken
            return (price, taken)
        }
        return nil
    }

    /// Takes up to `size` across all levels that cross `limit`; returns the total taken.
    mutating func consume(crossing limit: Decimal?, upTo size: Decimal) -> Decimal {
        var taken: Decimal = 0
        while taken < size, let part = take(crossing: limit, upTo: size - taken) { taken += part.size }
        return taken
    }

    /// The size that crosses `limit`, counting no further than `cap`; uses nothing up.
    func available(crossing limit: Decimal?, upTo cap: Decimal) -> Decimal {
        var copy = self
        return copy.consume(crossing: limit, upTo: cap)
    }
}
