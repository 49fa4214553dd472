import Foundation
import CStrategyHostSDK
import HostCore

/// Everything the engine needs to run one configured plugin instance.
public struct InstanceSpec: @unchecked Sendable {
    // @unchecked: `descriptor` points at a plugin's immutable static manifest data, kept
    // alive by `keepAlive` (the loaded library).
    public var id: String
    public var pluginID: String
    public var kind: KindSpec
    public var descriptor: UnsafePointer<tsh_kind_descriptor>
    public var mode: TradingMode
    public var venue: String
    public var symbols: [SymbolID]
    public var parameters: ResolvedParameters
    public var risk: RiskLimits
    /// Whatever owns the code behind `descriptor` (the loaded library).
    public var keepAlive: (any Sendable)?
    /// Timeframes of the bars the engine builds from this instance's symbols' trades and
    /// delivers to it (SIGNALS §1).
    public var bars: [BarTimeframe] = []

    public init(id: String, pluginID: String, kind: KindSpec, descriptor: UnsafePointer<tsh_kind_descriptor>, mode: TradingMode,
                venue: String, symbols: [SymbolID], parameters: ResolvedParameters, risk: RiskLimits, keepAlive: (any Sendable)?) {
        self.id = id
        self.pluginID = pluginID
        self.kind = kind
        self.descriptor = descriptor
        self.mode = mode
        self.venue = venue
        self.symbols = symbols
        self.parameters = parameters
        self.risk = risk
        self.keepAlive = keepAlive
    }
}

/// Counters of one instance, read by metrics and progress output.
public struct InstanceStatistics: Sendable, Hashable {
    public var instanceID: String
    public var pluginID: String
    public var mode: TradingMode
    public var callbacks: Int = 0
    public var callbackErrors: Int = 0
    /// Sampled callback durations (one callback in `Engine.timingSampleInterval`).
    public var sampledCallbacks: Int = 0
    public var sampledNanos: Int64 = 0
    public var maxCallbackNanos: Int64 = 0
    public var ordersSubmitted: Int = 0
    public var ordersDenied: Int = 0
    public var fills: Int = 0
    public var signalsEmitted: Int = 0
    /// Realized PnL net of fees, all symbols (exact, from the portfolio).
    public var realizedPnL: Decimal = 0
    /// Cash in the quote asset.
    public var cash: Decimal = 0
    /// Symbols with a non-zero position.
    public var openPositions: Int = 0
    /// The plugin's own counters and gauges (`tsh.metrics/1`), e.g. a benchmark's final values.
    public var customCounters: [String: UInt64] = [:]
    public var customGauges: [String: Double] = [:]
    public var lastError: String?

    public var averageCallbackNanos: Double {
        sampledCallbacks == 0 ? 0 : Double(sampledNanos) / Double(sampledCallbacks)
    }
}

/// The engine's per-instance state and the C-facing tables handed to the plugin.
///
/// - Important: Confined to the engine thread.
final class InstanceRuntime {
    let index: Int
    let spec: InstanceSpec
    unowned let engine: Engine
    /// Position of each symbol in the instance's list, indexed by symbol id; -1 when not subscribed.
    var symbolPosition: [Int32]
    let host: UnsafeMutablePointer<tsh_host>
    let info: UnsafeMutablePointer<tsh_instance_info>
    let error: UnsafeMutablePointer<tsh_error>
    let strings = CStringPool()
    let vtable: tsh_plugin_vtable
    var instance: UnsafeMutableRawPointer?
    var created = false
    var started = false
    var state: [String: [UInt8]] = [:]
    var statistics: InstanceStatistics
    /// Callbacks delivered; counted through a pointer on the hot path.
    let callbacks: UnsafeMutablePointer<Int>
    var customCounters: [String: UInt64] = [:]
    var customGauges: [String: Double] = [:]
    /// The signal names this instance emits, as Strings with their consumers (`emitSignal`).
    var emittedNames = SignalNameCache()

    init(index: Int, spec: InstanceSpec, engine: Engine, symbolCount: Int) {
        self.index = index
        self.spec = spec
        self.engine = engine
        self.vtable = spec.descriptor.pointee.vtable.pointee
        self.statistics = InstanceStatistics(instanceID: spec.id, pluginID: spec.pluginID, mode: spec.mode)
        var positions = [Int32](repeating: -1, count: symbolCount)
        for (position, symbol) in spec.symbols.enumerated() where symbol.index < symbolCount {
            positions[symbol.index] = Int32(position)
        }
        self.symbolPosition = positions
        self.error = .allocate(capacity: 1)
        error.initialize(to: CInterop.emptyError())
        self.callbacks = .allocate(capacity: 1)
        callbacks.initialize(to: 0)
        self.info = .allocate(capacity: 1)
        self.host = .allocate(capacity: 1)
        let ids = spec.symbols.map(\.rawValue)
        info.initialize(to: tsh_instance_info(
            struct_size: UInt32(MemoryLayout<tsh_instance_info>.size),
            mode: spec.mode.rawValue,
            instance_id: strings.slice(spec.id),
            kind_id: strings.slice(spec.kind.id),
            venue: strings.slice(spec.venue),
            symbol_ids: strings.array(ids),
            symbol_count: UInt32(ids.count),
            reserved: 0))
        host.initialize(to: HostServices.table(context: nil))
        host.pointee.context = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        host.deallocate()
        callbacks.deallocate()
        info.deallocate()
        error.deallocate()
    }

    func isSubscribed(_ symbol: SymbolID) -> Bool {
        symbol.index < symbolPosition.count && symbolPosition[symbol.index] >= 0
    }

    /// Resets the error buffer before a call into the plugin.
    @inline(__always) func clearError() {
        error.pointee.code = 0
        error.pointee.message_len = 0
    }

    var lastErrorMessage: String { CInterop.message(error) }
}
