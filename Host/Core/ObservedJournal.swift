import Foundation

/// Something that watches what the engine journals (signals, fills, trading states, orders,
/// book snapshots, plugin records) to show or publish it elsewhere — a Redis publication, a
/// dashboard. Called on the engine thread: must not block, and cannot influence the engine (so
/// simulated results never depend on it).
public protocol JournalObserver: AnyObject, Sendable {
    func signalEmitted(_ signal: SignalRecord)
    func fillBooked(_ fill: FillRecord)
    func tradingStateChanged(instanceID: String, state: TradingState, reason: String, at time: Int64)
    func orderSubmitted(_ order: OrderRequest, instanceID: String)
    func orderUpdated(_ update: OrderUpdate, instanceID: String, mode: TradingMode)
    func recordUpserted(_ row: RecordRow)
    func bookSnapshot(symbol: SymbolID, time: Int64, bids: [(price: Fixed8, size: Fixed8)], asks: [(price: Fixed8, size: Fixed8)])
}

extension JournalObserver {
    public func signalEmitted(_ signal: SignalRecord) {}
    public func fillBooked(_ fill: FillRecord) {}
    public func tradingStateChanged(instanceID: String, state: TradingState, reason: String, at time: Int64) {}
    public func orderSubmitted(_ order: OrderRequest, instanceID: String) {}
    public func orderUpdated(_ update: OrderUpdate, instanceID: String, mode: TradingMode) {}
    public func recordUpserted(_ row: RecordRow) {}
    public func bookSnapshot(symbol: SymbolID, time: Int64, bids: [(price: Fixed8, size: Fixed8)], asks: [(price: Fixed8, size: Fixed8)]) {}
}

/// A journal that forwards everything to `primary` (which alone decides what is persisted and
/// when the writer is behind) and shows what it journaled to observers after it.
public final class ObservedJournal: EngineJournal {
    public let primary: any EngineJournal
    public let observers: [any JournalObserver]

    public init(primary: any EngineJournal, observers: [any JournalObserver]) {
        self.primary = primary
        self.observers = observers
    }

    public func loadState(instanceID: String) throws -> [String: [UInt8]] { try primary.loadState(instanceID: instanceID) }
    public func stateChanged(instanceID: String, key: String, value: [UInt8]?, at time: Int64) {
        primary.stateChanged(instanceID: instanceID, key: key, value: value, at: time)
    }
    public func orderSubmitted(_ order: OrderRequest, instanceID: String) {
        primary.orderSubmitted(order, instanceID: instanceID)
        for o in observers { o.orderSubmitted(order, instanceID: instanceID) }
    }
    public func orderUpdated(_ update: OrderUpdate, instanceID: String, mode: TradingMode) {
        primary.orderUpdated(update, instanceID: instanceID, mode: mode)
        for o in observers { o.orderUpdated(update, instanceID: instanceID, mode: mode) }
    }
    public func signalEmitted(_ signal: SignalRecord) {
        primary.signalEmitted(signal)
        for o in observers { o.signalEmitted(signal) }
    }
    public var isOverloaded: Bool { primary.isOverloaded }
    public func useBackpressure() { primary.useBackpressure() }
    public func fillBooked(_ fill: FillRecord) {
        primary.fillBooked(fill)
        for o in observers { o.fillBooked(fill) }
    }
    public func alertRaised(_ alert: AlertRecord) { primary.alertRaised(alert) }
    public func tradingStateChanged(instanceID: String, state: TradingState, reason: String, at time: Int64) {
        primary.tradingStateChanged(instanceID: instanceID, state: state, reason: reason, at: time)
        for o in observers { o.tradingStateChanged(instanceID: instanceID, state: state, reason: reason, at: time) }
    }
    public func loadFills(instanceID: String, mode: TradingMode) throws -> [StoredFill] { try primary.loadFills(instanceID: instanceID, mode: mode) }
    public func loadTradingState(instanceID: String) throws -> (state: TradingState, reason: String)? {
        try primary.loadTradingState(instanceID: instanceID)
    }
    public func recordUpserted(_ row: RecordRow) {
        primary.recordUpserted(row)
        for o in observers { o.recordUpserted(row) }
    }
    public func bookSnapshot(symbol: SymbolID, time: Int64, bids: [(price: Fixed8, size: Fixed8)], asks: [(price: Fixed8, size: Fixed8)]) {
        primary.bookSnapshot(symbol: symbol, time: time, bids: bids, asks: asks)
        for o in observers { o.bookSnapshot(symbol: symbol, time: time, bids: bids, asks: asks) }
    }
}
