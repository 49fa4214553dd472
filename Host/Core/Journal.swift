import Foundation
/// Where the engine sends what must be kept, without waiting for it to be written.
///
/// Implementations enqueue to a writer thread; every method is called on the engine
/// thread and must not block on I/O.
public protocol EngineJournal: AnyObject, Sendable {
    /// The persisted key-value state of a plugin instance, read once before it starts.
    func loadState(instanceID: String) throws -> [String: [UInt8]]
    /// A key set (value non-nil) or deleted (nil).
    func stateChanged(instanceID: String, key: String, value: [UInt8]?, at time: Int64)
    /// An order as submitted (after risk), or denied.
    func orderSubmitted(_ order: OrderRequest, instanceID: String)
    /// Every order state change, fills included.
    func orderUpdated(_ update: OrderUpdate, instanceID: String, mode: TradingMode)
    /// A signal published on the bus.
    func signalEmitted(_ signal: SignalRecord)
    /// True when the writer has fallen behind its bound (or fails): a live engine halts
    /// trading, as a recorded input. Simulated engines never read it (see `useBackpressure`).
    var isOverloaded: Bool { get }
    /// Called by an engine on a simulated clock: from now on a writer that falls behind makes
    /// the engine thread wait (backpressure) instead of turning `isOverloaded` on, so results
    /// never depend on the writer's speed.
    func useBackpressure()

    /// A fill booked in the portfolio, with what it realized and the position after it.
    func fillBooked(_ fill: FillRecord)
    /// Something an operator should see (denials, halts, kill switch, writer trouble).
    func alertRaised(_ alert: AlertRecord)
    /// An instance's trading state changed (or the host's, with instance id "*").
    func tradingStateChanged(instanceID: String, state: TradingState, reason: String, at time: Int64)
    /// Every committed fill of an instance in a mode, oldest first: the engine rebuilds
    /// positions, cash and daily figures from them before trading resumes.
    func loadFills(instanceID: String, mode: TradingMode) throws -> [StoredFill]
    /// The last persisted trading state of an instance ("*" = the host), if any.
    func loadTradingState(instanceID: String) throws -> (state: TradingState, reason: String)?
    /// A row a plugin upserted into one of its kind's record tables (validated by the engine).
    func recordUpserted(_ row: RecordRow)
    /// A periodic snapshot of a book's top levels, best first.
    func bookSnapshot(symbol: SymbolID, time: Int64, bids: [(price: Fixed8, size: Fixed8)], asks: [(price: Fixed8, size: Fixed8)])
}

extension EngineJournal {
    public func useBackpressure() {}
    public func fillBooked(_ fill: FillRecord) {}
    public func alertRaised(_ alert: AlertRecord) {}
    public func tradingStateChanged(instanceID: String, state: TradingState, reason: String, at time: Int64) {}
    public func loadFills(instanceID: String, mode: TradingMode) throws -> [StoredFill] { [] }
    public func loadTradingState(instanceID: String) throws -> (state: TradingState, reason: String)? { nil }
    public func bookSnapshot(symbol: SymbolID, time: Int64, bids: [(price: Fixed8, size: Fixed8)], asks: [(price: Fixed8, size: Fixed8)]) {}
    public func recordUpserted(_ row: RecordRow) {}
}

/// A fill as the portfolio booked it.
public struct FillRecord: Sendable, Hashable {
    public var clientOrderID: ClientOrderID
    public var instanceID: String
    public var mode: TradingMode
    public var symbol: SymbolID
    public var side: Side
    public var price: Decimal
    public var size: Decimal
    public var fee: Decimal
    public var liquidity: OrderUpdate.Liquidity?
    /// Why the order was placed: its tag ("entry", "stop_loss", "settlement", …).
    public var reason: String
    /// PnL this fill realized, before fees.
    public var realizedPnL: Decimal
    /// The position after the fill.
    public var position: PositionSnapshot
    public var timestamp: Int64

    public init(clientOrderID: ClientOrderID, instanceID: String, mode: TradingMode, symbol: SymbolID, side: Side, price: Decimal,
                size: Decimal, fee: Decimal, liquidity: OrderUpdate.Liquidity?, reason: String, realizedPnL: Decimal,
                position: PositionSnapshot, timestamp: Int64) {
        self.clientOrderID = clientOrderID
        self.instanceID = instanceID
        self.mode = mode
        self.symbol = symbol
        self.side = side
        self.price = price
        self.size = size
        self.fee = fee
        self.liquidity = liquidity
        self.reason = reason
        self.realizedPnL = realizedPnL
        self.position = position
        self.timestamp = timestamp
    }
}

/// A position's exact figures at one moment.
public struct PositionSnapshot: Sendable, Hashable {
    public var quantity: Decimal
    public var averagePrice: Decimal
    public var realizedPnL: Decimal
    public var fees: Decimal
    public init(quantity: Decimal, averagePrice: Decimal, realizedPnL: Decimal, fees: Decimal) {
        self.quantity = quantity
        self.averagePrice = averagePrice
        self.realizedPnL = realizedPnL
        self.fees = fees
    }
}

/// A committed fill read back from the journal (symbols by name: ids are per run).
public struct StoredFill: Sendable, Hashable {
    public var symbol: String
    public var side: Side
    public var price: Decimal
    public var size: Decimal
    public var fee: Decimal
    public var timestamp: Int64
    public init(symbol: String, side: Side, price: Decimal, size: Decimal, fee: Decimal, timestamp: Int64) {
        self.symbol = symbol
        self.side = side
        self.price = price
        self.size = size
        self.fee = fee
        self.timestamp = timestamp
    }
}

/// An operator-facing event.
public struct AlertRecord: Sendable, Hashable {
    public enum Level: String, Sendable, Hashable { case info, warning, critical }
    public var time: Int64
    /// A stable code: "order_denied", "trading_halted", "kill_switch", "restored", …
    public var type: String
    public var level: Level
    public var instanceID: String?
    public var details: String
    public init(time: Int64, type: String, level: Level, instanceID: String?, details: String) {
        self.time = time
        self.type = type
        self.level = level
        self.instanceID = instanceID
        self.details = details
    }
}

/// A signal as recorded and persisted.
public struct SignalRecord: Sendable, Hashable {
    public var time: Int64
    public var sourceInstanceID: String
    public var sourcePluginID: String
    public var symbol: String?
    public var name: String
    public var direction: Int32
    public var value: Double
    public var confidence: Double
    public var payload: String
    /// Named numbers beside the payload (ABI 1.1), in the order the plugin gave them.
    public var fields: [SignalField]

    public init(time: Int64, sourceInstanceID: String, sourcePluginID: String, symbol: String?, name: String,
                direction: Int32, value: Double, confidence: Double, payload: String, fields: [SignalField] = []) {
        self.fields = fields
        self.time = time
        self.sourceInstanceID = sourceInstanceID
        self.sourcePluginID = sourcePluginID
        self.symbol = symbol
        self.name = name
        self.direction = direction
        self.value = value
        self.confidence = confidence
        self.payload = payload
    }
}

/// A named number a signal carries (`tsh_signal_field`).
public struct SignalField: Sendable, Hashable {
    public var name: String
    public var value: Double
    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }

    /// `{"score":0.42,…}` — the stored form (names are validated UTF-8 without control characters).
    public static func json(_ fields: [SignalField]) -> String? {
        guard !fields.isEmpty else { return nil }
        var out = "{"
        for (i, field) in fields.enumerated() {
            if i > 0 { out += "," }
            out += "\"" + field.name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\":"
            out += field.value == field.value.rounded() && abs(field.value) < 1e15 ? String(Int64(field.value)) : "\(field.value)"
        }
        return out + "}"
    }
}
