import HostCore
import Synchronization

/// An in-memory `EngineJournal` that keeps everything the engine reports, for tests and
/// plugin authors' own test suites.
public final class RecordingJournal: EngineJournal {
    public struct Contents: Sendable {
        public var state: [String: [String: [UInt8]]] = [:]
        public var orders: [OrderRequest] = []
        public var updates: [OrderUpdate] = []
        public var signals: [SignalRecord] = []
        public var fills: [FillRecord] = []
        public var alerts: [AlertRecord] = []
        public var tradingStates: [String: (state: TradingState, reason: String)] = [:]
        /// Record rows in the order plugins upserted them (`tsh.records/1`).
        public var records: [RecordRow] = []
    }

    private let contents = Mutex(Contents())
    private let overloaded = Atomic<Bool>(false)
    private let backpressure = Atomic<Bool>(false)

    private let restoredFills: [String: [StoredFill]]

    /// `state` and `fills` (by instance id) are what an earlier run left: the engine restores
    /// plugin state and positions from them, as from a database after a restart.
    public init(state: [String: [String: [UInt8]]] = [:], fills: [String: [StoredFill]] = [:]) {
        restoredFills = fills
        contents.withLock { $0.state = state }
    }

    public func loadFills(instanceID: String, mode: TradingMode) throws -> [StoredFill] { restoredFills[instanceID] ?? [] }

    public var recorded: Contents { contents.withLock { $0 } }

    /// Simulates a writer that fell behind.
    public func setOverloaded(_ value: Bool) { overloaded.store(value, ordering: .relaxed) }

    /// Whether an engine asked for backpressure (engines on a simulated clock do). Nothing is
    /// written to disk here, so nothing ever waits.
    public var usedBackpressure: Bool { backpressure.load(ordering: .relaxed) }
    public func useBackpressure() { backpressure.store(true, ordering: .relaxed) }

    public func loadState(instanceID: String) throws -> [String: [UInt8]] { contents.withLock { $0.state[instanceID] ?? [:] } }
    public func stateChanged(instanceID: String, key: String, value: [UInt8]?, at time: Int64) {
        contents.withLock { $0.state[instanceID, default: [:]][key] = value }
    }
    public func orderSubmitted(_ order: OrderRequest, instanceID: String) { contents.withLock { $0.orders.append(order) } }
    public func orderUpdated(_ update: OrderUpdate, instanceID: String, mode: TradingMode) { contents.withLock { $0.updates.append(update) } }
    public func signalEmitted(_ signal: SignalRecord) { contents.withLock { $0.signals.append(signal) } }
    public func recordUpserted(_ row: RecordRow) { contents.withLock { $0.records.append(row) } }
    public var isOverloaded: Bool { overloaded.load(ordering: .relaxed) }
    public func fillBooked(_ fill: FillRecord) { contents.withLock { $0.fills.append(fill) } }
    public func alertRaised(_ alert: AlertRecord) { contents.withLock { $0.alerts.append(alert) } }
    public func tradingStateChanged(instanceID: String, state: TradingState, reason: String, at time: Int64) {
        contents.withLock { $0.tradingStates[instanceID] = (state, reason) }
    }
    public func loadTradingState(instanceID: String) throws -> (state: TradingState, reason: String)? {
        contents.withLock { $0.tradingStates[instanceID] }
    }
}
