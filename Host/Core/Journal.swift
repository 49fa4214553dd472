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
    /// True when the writer has fallen behind its bound: the engine halts trading.
    var isOverloaded: Bool { get }
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

    public init(time: Int64, sourceInstanceID: String, sourcePluginID: String, symbol: String?, name: String,
                direction: Int32, value: Double, confidence: Double, payload: String) {
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
