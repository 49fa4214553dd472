import CStrategyHostSDK
import DequeModule
import Foundation
import Histogram
import HostCore
import HostExecution
import HostRisk
import Logging
import Synchronization


/// Tunables of one engine.
///
/// ## Configuration keys (from `host:` and the command line):
/// - `queue_capacity` (int, default 65536): inbound queue bound; producers wait when full.
public struct EngineConfiguration: Sendable {
    public var queueCapacity: Int
    /// Events taken from the queue per lock acquisition.
    public var batchSize: Int
    public var paperVenue: PaperVenueConfig
    /// Quote-asset cash each paper instance starts with.
    public var startingCash: Decimal
    /// The command line's explicit opt-in to live trading.
    public var allowLive: Bool
    /// Most internal deliveries (signals, order updates) one input may cause; a guard
    /// against plugins that ping-pong signals forever.
    public var maxCascade: Int
    /// Book snapshots to the journal: every this many ns of engine time per symbol (0 = off).
    public var bookSnapshotInterval: Int64 = 0
    /// Levels per side in a book snapshot.
    public var bookSnapshotDepth: Int = 10
    /// Bars become final once the engine clock passes their end plus this (ns; SIGNALS §1).
    public var barSettle: Int64 = 0
    /// Final bars kept per symbol and timeframe for the `tsh.bars/1` history service.
    public var barHistoryDepth: Int = 1_000
    /// Live engines: how long the engine thread gathers inputs after a busy drain before taking
    /// the next batch (see `InboundQueue.drain`); 0 = wake for every input. Simulated engines
    /// never gather.
    public var liveGatherNanos: Int64 = 0

    public init(queueCapacity: Int = 65_536, batchSize: Int = 4_096, paperVenue: PaperVenueConfig = .default,
                startingCash: Decimal = 10_000, allowLive: Bool = false, maxCascade: Int = 10_000) {
        self.queueCapacity = queueCapacity
        self.batchSize = batchSize
        self.paperVenue = paperVenue
        self.startingCash = startingCash
        self.allowLive = allowLive
        self.maxCascade = maxCascade
    }
}

/// A failure of the engine to set up or run an instance.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case liveNotAllowed, liveUnavailable, unknownSymbol, createFailed, startFailed, duplicateInstance }
        private let base: Base
        public static let liveNotAllowed = Code(base: .liveNotAllowed)
        public static let liveUnavailable = Code(base: .liveUnavailable)
        public static let unknownSymbol = Code(base: .unknownSymbol)
        public static let createFailed = Code(base: .createFailed)
        public static let startFailed = Code(base: .startFailed)
        public static let duplicateInstance = Code(base: .duplicateInstance)
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var instanceID: String
    public var message: String

    public var description: String { "instance '\(instanceID)': \(message)" }
}

/// A snapshot of engine counters, safe to read from any thread.
public struct EngineSnapshot: Sendable {
    public var eventsProcessed: Int = 0
    public var queueDepth: Int = 0
    public var queueHighWater: Int = 0
    public var timersFired: Int = 0
    public var signalsDelivered: Int = 0
    public var cascadeOverflows: Int = 0
    public var unknownSymbolEvents: Int = 0
    /// Settlements processed (resolved outcome tokens).
    public var settlements: Int = 0
    /// Bars the engine built from trades and delivered (one per bar, however many instances got it).
    public var barsEmitted: Int = 0
    /// Rows plugins upserted into their record tables (`tsh.records/1`).
    public var recordsUpserted: Int = 0
    public var instances: [InstanceStatistics] = []
    public var lastEventTime: Int64 = 0
    public var tradingHalted: Bool = false
    /// Times a live session halted trading because the persistence writer fell behind.
    public var journalHalts: Int = 0
    /// Live sessions: from a frame's receipt (`ts_recv`) to the engine taking its event off the
    /// queue; nil in simulated sessions (their `ts_recv` is event time, not wall time).
    public var feedLag: FeedLag?
}

/// Frame-to-engine latency of a live session: receipt of the venue frame (its events'
/// `ts_recv`, wall clock) to the engine draining them from its queue — parse, book
/// maintenance and the queue hop. History bars and book snapshot rows are not counted.
public struct FeedLag: Sendable, Hashable, Codable {
    public var events: Int
    public var p50Nanos: Int64
    public var p99Nanos: Int64
    public var p999Nanos: Int64
    public var maxNanos: Int64

    public init(events: Int, p50Nanos: Int64, p99Nanos: Int64, p999Nanos: Int64, maxNanos: Int64) {
        self.events = events
        self.p50Nanos = p50Nanos
        self.p99Nanos = p99Nanos
        self.p999Nanos = p999Nanos
        self.maxNanos = maxNanos
    }
}

/// The deterministic core: one thread takes inputs in order, keeps the books, fires
/// timers, routes events to plugin instances by symbol, runs the signal bus, and sends
/// orders through risk to the venue.
///
/// - Important: All methods except `requestStop`, `snapshot` and the queue are confined to
///   the engine thread: the thread that calls `start()` and then `run()`.
public final class Engine: @unchecked Sendable {
    // @unchecked: mutable state is confined to the engine thread (checked by the host
    // services); cross-thread reads go through `snapshotState` (a Mutex) and `queue`.

    /// One sample of callback time per this many callbacks (timing every call would cost
    /// more than the dispatch itself).
    public static let timingSampleInterval = 1_024

    public let queue: InboundQueue
    /// Receives every input before it is processed (session recording); set before `start()`.
    public var recorder: (any InputRecorder)?
    /// Latency benchmarks: when true, `lastOrderHandoff` takes the monotonic time at which
    /// each order that passed risk is handed to the venue.
    public var probeOrderHandoff = false
    /// Monotonic ns of the last order handed to the venue (with `probeOrderHandoff`).
    public private(set) var lastOrderHandoff: Int64 = 0
    /// Live sessions: frame receipt → engine, 1 µs to 60 s with 3 significant digits.
    private let feedLagReset = Atomic<Bool>(false)
    private var feedLag = Histogram<UInt64>(lowestDiscernibleValue: 1_000, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    public let clock: any EngineClock
    private let isSimulated: Bool
    public let configuration: EngineConfiguration
    public private(set) var symbols: SymbolTable
    let logger: Logger
    let journal: (any EngineJournal)?

    let books: BookStore
    /// `books`' memory: indexing it directly costs no reference counting per event.
    private let bookMemory: UnsafeMutablePointer<OrderBook>
    private var bookFromL2: [Bool]
    /// Per symbol: the current L2 message's rows, delivered with its last row (fixed memory
    /// reused message after message: an array of arrays cost a uniqueness check per row and
    /// a generic `removeAll(keepingCapacity:)` per message, ~3 % of the engine thread).
    private let bookChanges: UnsafeMutablePointer<BookChangeBuffer>
    /// Per symbol, while book events are delivered: how to undo the rows of the message being
    /// received or delivered (the `tsh.book/1` service's "book before the message").
    private let bookUndo: UnsafeMutablePointer<BookUndoLog>
    /// Per symbol: whether any instance takes book events (rows are collected only then).
    private var bookSubscribed: [Bool]
    /// Per symbol: engine time of the next book snapshot (Int64.max when snapshots are off).
    private var nextBookSnapshot: [Int64]
    var instances: [InstanceRuntime] = []
    private var statistics: [InstanceStatistics] = []
    var timers = TimerQueue()
    var router: OrderRouter
    private var pending = Deque<Pending>()
    /// Tags (the fill reason) of orders not yet terminal.
    private var orderTags: [ClientOrderID: String] = [:]
    /// Last persisted trading state per instance.
    private var knownRiskStates: [TradingState] = []
    private var cascade = 0
    private var seq: UInt64 = 0
    private var instrumentRecords: [tsh_instrument] = []
    private let instrumentStrings = CStringPool()

    // Routing: for each symbol, the instances subscribed to it, flattened for speed.
    private var routeStart: [Int] = [0]
    private var routeList: [Route] = []
    private var signalAll: [Int] = []
    private var signalConsumerCache: [String: [Int]] = [:]
    /// Bumped whenever routes (and so signal consumers) are rebuilt; instances' name caches
    /// (`SignalNameCache`) hold consumers of one generation.
    private var routingGeneration = 0
    // Bars: one aggregator over every timeframe some instance asks for; for each
    // (symbol, timeframe) the routes of the instances that asked for it.
    private var bars: BarAggregator?
    private var barTimeframes: [BarTimeframe] = []
    /// The last final bars per (symbol, interval), for `tsh.bars/1`; filled as bars are delivered.
    private var barRings: [BarRing] = []
    private var barRingIndex: [BarHistoryKey: Int] = [:]
    /// The aggregator's (symbol, timeframe) slot → its ring in `barRings` + 1 (0: none yet), so
    /// a bar built here is kept without hashing.
    private var barRingBySlot: [Int] = []
    private var barRouteStart: [Int] = [0]
    private var barRouteList: [Route] = []

    private var engineThread: pthread_t?
    private let stopRequested = Atomic<Bool>(false)
    private var killSwitchEngaged = false
    /// Live sessions: the persistence writer is behind, so orders are denied. Changes only
    /// through the recorded `.journalBehind` input.
    private var journalBehind = false
    /// Per symbol: `TSH_EVENT_FLAG_STALE` while its feed is stale or resyncing, else 0.
    private var staleFlags: [UInt16]
    /// Live venues by name (attached before instances are added).
    private var liveVenues: [String: any LiveVenue] = [:]
    /// Pauses set by live venues: the state before, and the state the venue set.
    private var venuePauses: [Int: (previous: TradingState, previousReason: String, set: TradingState)] = [:]
    /// Venue-reported cash per live instance id, applied after the journal restore.
    private var venueCash: [String: (amount: Decimal, quoteAsset: String)] = [:]
    private var sampleCountdown = Engine.timingSampleInterval
    /// The simulated clock's value, cached: the engine is its only writer.
    private var simulatedNow: Int64 = .min
    /// Live engines: the time decisions are made at — the latest arrival time of the inputs
    /// processed (or the due time of the timer firing), never the wall clock at processing,
    /// so a replay of the recording makes the same decisions at the same times.
    private var liveTime: Int64 = 0
    /// Live engines: the decision time before the first input (the session's recorded start,
    /// which its replay starts its simulated clock at); nil: the wall clock at `start()`.
    public var liveStartTime: Int64?
    /// The clock as its concrete type when it is the standard simulated clock (a direct store per event).
    /// Unmanaged: `clock` keeps it alive; calls through a guaranteed reference cost no
    /// reference counting per event.
    private let simulatedClock: Unmanaged<SimulatedClock>?
    private var counters = EngineSnapshot()
    private let snapshotState = Mutex(EngineSnapshot())
    private var lastPublish: Int64 = 0
    private let metrics: EngineMetrics

    struct Route {
        var onEvent: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<tsh_event_header>, UnsafeMutablePointer<tsh_error>) -> tsh_status
        var instance: UnsafeMutableRawPointer?
        var error: UnsafeMutablePointer<tsh_error>
        var mask: UInt32
        var index: Int
        /// The instance's callback counter (counted here, read into statistics on publish).
        var callbacks: UnsafeMutablePointer<Int>
    }

    enum Pending {
        case signal(SignalRecord, symbol: SymbolID, source: Int, consumers: [Int])
        case order(OrderUpdate)
    }

    public init(symbols: SymbolTable, configuration: EngineConfiguration = EngineConfiguration(), clock: any EngineClock,
                journal: (any EngineJournal)? = nil, logger: Logger = Logger(label: "tsh.engine")) {
        self.symbols = symbols
        self.configuration = configuration
        self.clock = clock
        self.isSimulated = clock.isSimulated
        self.simulatedClock = (clock as? SimulatedClock).map { Unmanaged.passUnretained($0) }
        self.journal = journal
        self.logger = logger
        // Simulated time never races the wall clock: a slow writer makes the engine wait.
        if clock.isSimulated { journal?.useBackpressure() }
        self.queue = InboundQueue(capacity: configuration.queueCapacity)
        self.books = BookStore(count: symbols.count)
        self.bookMemory = books.base
        self.bookFromL2 = Array(repeating: false, count: symbols.count)
        self.bookChanges = .allocate(capacity: max(symbols.count, 1))
        for i in 0..<symbols.count { (self.bookChanges + i).initialize(to: BookChangeBuffer()) }
        self.bookUndo = .allocate(capacity: max(symbols.count, 1))
        self.bookUndo.initialize(repeating: BookUndoLog(), count: symbols.count)
        self.bookSubscribed = Array(repeating: false, count: symbols.count)
        self.staleFlags = Array(repeating: 0, count: symbols.count)
        self.nextBookSnapshot = Array(repeating: journal != nil && configuration.bookSnapshotInterval > 0 ? .min : .max, count: symbols.count)
        self.router = OrderRouter(venue: configuration.paperVenue, startingCash: configuration.startingCash, symbolCount: symbols.count)
        self.metrics = EngineMetrics()
        for (index, instrument) in symbols.instruments.enumerated() {
            instrumentRecords.append(tsh_instrument(
                struct_size: UInt32(MemoryLayout<tsh_instrument>.size),
                symbol_id: UInt32(index),
                symbol: instrumentStrings.slice(instrument.symbol),
                venue: instrumentStrings.slice(instrument.venue),
                base_asset: instrumentStrings.slice(instrument.baseAsset),
                quote_asset: instrumentStrings.slice(instrument.quoteAsset),
                tick_size: NSDecimalNumber(decimal: instrument.tickSize).doubleValue,
                lot_size: NSDecimalNumber(decimal: instrument.lotSize).doubleValue,
                min_size: NSDecimalNumber(decimal: instrument.minSize).doubleValue,
                min_notional: NSDecimalNumber(decimal: instrument.minNotional).doubleValue))
        }
    }

    deinit {
        for rt in instances where rt.created {
            rt.vtable.destroy(rt.instance)
        }
        bookUndo.deinitialize(count: books.count)
        bookUndo.deallocate()
        for i in 0..<books.count { bookChanges[i].deallocate() }
        bookChanges.deallocate()
    }

    // MARK: - Setup

    /// Adds a configured instance; call before `start()`.
    @discardableResult
    public func addInstance(_ spec: InstanceSpec) throws(EngineError) -> Int {
        if instances.contains(where: { $0.spec.id == spec.id }) {
            throw EngineError(code: .duplicateInstance, instanceID: spec.id, message: "another instance has the same id; ids must be unique")
        }
        var liveVenue: (any LiveVenue)?
        if spec.mode == .live {
            guard configuration.allowLive else {
                throw EngineError(code: .liveNotAllowed, instanceID: spec.id,
                                  message: "is configured with mode: live, but live trading was not enabled; pass --live on the command line to trade for real, or set mode: paper")
            }
            guard let venue = liveVenues[spec.venue] else {
                throw EngineError(code: .liveUnavailable, instanceID: spec.id,
                                  message: "is configured with mode: live on venue '\(spec.venue)', but no live adapter for it is running (live trading needs `feed: source: polymarket` for venue polymarket); use mode: paper")
            }
            liveVenue = venue
        }
        for symbol in spec.symbols where symbol.index >= symbols.count {
            throw EngineError(code: .unknownSymbol, instanceID: spec.id, message: "symbol id \(symbol) is not registered with the engine")
        }
        let rt = InstanceRuntime(index: instances.count, spec: spec, engine: self, symbolCount: symbols.count)
        instances.append(rt)
        statistics.append(rt.statistics)
        router.addInstance(limits: spec.risk, liveVenue: liveVenue)
        return rt.index
    }

    /// Makes a live venue available to instances with `mode: live` and `venue:` its name;
    /// call before adding them.
    public func attachLiveVenue(_ venue: any LiveVenue) {
        liveVenues[venue.name] = venue
    }

    /// The cash a live instance's venue reported at reconciliation; replaces the journal's
    /// figure when the engine starts. Call before `start()`.
    public func setVenueCash(_ amount: Decimal, instanceID: String, quoteAsset: String) {
        venueCash[instanceID] = (amount, quoteAsset)
    }

    /// The index of a configured instance.
    public func instanceIndex(id: String) -> Int? { instances.first { $0.spec.id == id }?.index }

    /// Creates and starts every instance, in the order added. On failure the instances
    /// already created are destroyed and the error names the failing one.
    /// The engine's time for decisions: the simulated clock, or a live engine's input time.
    @inline(__always)
    func engineNow() -> Int64 { isSimulated ? clock.now() : liveTime }

    public func start() throws(EngineError) {
        engineThread = pthread_self()
        if !isSimulated { liveTime = liveStartTime ?? clock.now() }
        rebuildRoutes()
        knownRiskStates = instances.map { router.riskState($0.index).state }
        try restoreFromJournal()
        for rt in instances where rt.spec.mode == .live {
            if let cash = venueCash[rt.spec.id] {
                router.setCash(cash.amount, instance: rt.index, mode: .live, quoteAsset: cash.quoteAsset)
                recorder?.record(.venueCash(instance: rt.index, amount: cash.amount, quoteAsset: cash.quoteAsset))
            }
        }
        for rt in instances {
            if let journal {
                do {
                    rt.state = try journal.loadState(instanceID: rt.spec.id)
                } catch {
                    throw EngineError(code: .createFailed, instanceID: rt.spec.id, message: "could not read its saved state: \(error)")
                }
            }
            rt.clearError()
            var instance: UnsafeMutableRawPointer?
            let status = rt.vtable.create(rt.spec.descriptor, rt.host, rt.info, &instance, rt.error)
            guard status == TSH_OK else {
                let message = rt.lastErrorMessage
                destroyAll()
                throw EngineError(code: .createFailed, instanceID: rt.spec.id,
                                  message: "plugin \(rt.spec.pluginID) failed to create it (status \(status)): \(message.isEmpty ? "no message" : message)")
            }
            rt.instance = instance
            rt.created = true
        }
        rebuildRoutes()
        for rt in instances {
            rt.clearError()
            let status = rt.vtable.start(rt.instance, rt.error)
            guard status == TSH_OK else {
                let message = rt.lastErrorMessage
                destroyAll()
                throw EngineError(code: .startFailed, instanceID: rt.spec.id,
                                  message: "plugin \(rt.spec.pluginID) failed to start it (status \(status)): \(message.isEmpty ? "no message" : message)")
            }
            rt.started = true
            logger.info("Instance started", metadata: [
                "instance.id": "\(rt.spec.id)", "plugin.id": "\(rt.spec.pluginID)", "plugin.kind": "\(rt.spec.kind.id)",
                "mode": "\(rt.spec.mode)", "symbols": "\(rt.spec.symbols.compactMap { symbols.instrument($0)?.symbol }.joined(separator: ","))",
            ])
        }
        drainPending()
        publishSnapshot(force: true)
    }

    /// Rebuilds every instance's positions, cash and daily figures from its committed fills,
    /// and its trading state (and the host's kill switch) from the journal, before any plugin
    /// is created: trading resumes exactly where the last run left it.
    private func restoreFromJournal() throws(EngineError) {
        guard let journal else { return }
        for rt in instances {
            let stored: [StoredFill]
            let savedState: (state: TradingState, reason: String)?
            do {
                stored = try journal.loadFills(instanceID: rt.spec.id, mode: rt.spec.mode)
                savedState = try journal.loadTradingState(instanceID: rt.spec.id)
            } catch {
                throw EngineError(code: .createFailed, instanceID: rt.spec.id, message: "could not read its saved positions: \(error)")
            }
            var fills: [(symbol: SymbolID, fill: StoredFill)] = []
            var unknown = Set<String>()
            for fill in stored {
                if let id = symbols.id(of: fill.symbol) { fills.append((id, fill)) } else { unknown.insert(fill.symbol) }
            }
            if !unknown.isEmpty {
                logger.warning("Fills in symbols no longer configured were not restored", metadata: [
                    "instance.id": "\(rt.spec.id)", "symbols": "\(unknown.sorted().joined(separator: ","))",
                ])
            }
            if !fills.isEmpty {
                router.restore(instance: rt.index, mode: rt.spec.mode, fills: fills, symbols: symbols)
                let open = router.portfolio.positions(instance: rt.index, mode: rt.spec.mode).filter { $0.value.quantity != 0 }
                logger.notice("Account restored from the journal", metadata: [
                    "instance.id": "\(rt.spec.id)", "mode": "\(rt.spec.mode)", "fills": "\(fills.count)",
                    "cash": "\(router.portfolio.cash(instance: rt.index, mode: rt.spec.mode))",
                    "positions": "\(open.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\(symbols.instrument($0.key)?.symbol ?? "?")=\($0.value.quantity)" }.joined(separator: ","))",
                ])
            }
            if let savedState, savedState.state != .active {
                router.setRiskState(rt.index, savedState.state, reason: savedState.reason)
                knownRiskStates[rt.index] = savedState.state
                logger.warning("Trading state restored", metadata: ["instance.id": "\(rt.spec.id)", "state": "\(savedState.state)", "reason": "\(savedState.reason)"])
            }
        }
        let host: (state: TradingState, reason: String)?
        do { host = try journal.loadTradingState(instanceID: "*") } catch {
            throw EngineError(code: .createFailed, instanceID: "*", message: "could not read the host's saved trading state: \(error)")
        }
        if let host, host.state == .halted {
            logger.critical("The kill switch was engaged in an earlier run and stays engaged", metadata: ["reason": "\(host.reason)"])
            killSwitchEngaged = true
            counters.tradingHalted = true
            router.engageKillSwitch(reason: host.reason)
        }
    }

    private func rebuildRoutes() {
        routeStart = [0]
        routeList = []
        signalAll = []
        for symbol in 0..<symbols.count {
            bookSubscribed[symbol] = false
            for rt in instances where rt.symbolPosition[symbol] >= 0 {
                let mask = rt.spec.descriptor.pointee.event_mask
                routeList.append(Route(onEvent: rt.vtable.on_event, instance: rt.instance, error: rt.error, mask: mask,
                                       index: rt.index, callbacks: rt.callbacks))
                if mask & PluginEventType.book.maskBit != 0 { bookSubscribed[symbol] = true }
            }
            routeStart.append(routeList.count)
        }
        signalAll = instances.filter { $0.spec.descriptor.pointee.event_mask & PluginEventType.signal.maskBit != 0 }.map(\.index)
        signalConsumerCache = [:]
        routingGeneration += 1
        rebuildBarRoutes()
    }

    /// Bar routes per (symbol, timeframe) in configuration order; the aggregator is made once,
    /// for the timeframes some instance asks for (in `BarTimeframe` order).
    private func rebuildBarRoutes() {
        let wanted = BarTimeframe.allCases.filter { tf in instances.contains { $0.spec.bars.contains(tf) } }
        if bars == nil || wanted != barTimeframes {
            barTimeframes = wanted
            bars = wanted.isEmpty ? nil : BarAggregator(timeframes: wanted, settle: configuration.barSettle)
            barRingBySlot = []
        }
        barRouteStart = [0]
        barRouteList = []
        for symbol in 0..<symbols.count {
            for tf in barTimeframes {
                for rt in instances where rt.symbolPosition[symbol] >= 0 && rt.spec.bars.contains(tf) {
                    let mask = rt.spec.descriptor.pointee.event_mask
                    guard mask & PluginEventType.bar.maskBit != 0 else { continue }
                    barRouteList.append(Route(onEvent: rt.vtable.on_event, instance: rt.instance, error: rt.error, mask: mask,
                                              index: rt.index, callbacks: rt.callbacks))
                }
                barRouteStart.append(barRouteList.count)
            }
        }
    }

    /// Delivers every bar that became final by engine time `time` (SIGNALS §1: the clock is
    /// the arrival time of the last input; live, also the wall clock between inputs). A bar's
    /// `ts_event` is its end and its `ts_recv` the moment it became final (end + settle), so
    /// a replay delivers identical bar events in the same order relative to other events.
    private func emitBars(upTo time: Int64) {
        guard bars != nil else { return }
        let due = bars!.advance(to: time)
        guard !due.isEmpty else { return }
        for bar in due {
            guard let tfIndex = barTimeframes.firstIndex(of: bar.timeframe), bar.symbol.index < symbols.count else { continue }
            let slot = bar.symbol.index * barTimeframes.count + tfIndex
            let start = barRouteStart[slot], end = barRouteStart[slot + 1]
            guard start < end, let barEvent = bar.event(tsRecv: bar.end + configuration.barSettle) else { continue }
            seq &+= 1
            counters.barsEmitted &+= 1
            let flags: UInt16 = (isSimulated ? UInt16(TSH_EVENT_FLAG_REPLAY) : 0) | staleFlags[bar.symbol.index]
            // Aggregated from trades: every 1.1 field is known (exact sums, rounded once to double).
            var e = tsh_bar_event(
                header: header(UInt16(TSH_EVENT_BAR), MemoryLayout<tsh_bar_event>.size, bar.symbol, barEvent.tsEvent, barEvent.tsRecv, flags),
                open_time_ns: barEvent.openTime, interval_ns: barEvent.interval, open: barEvent.open.double, high: barEvent.high.double,
                low: barEvent.low.double, close: barEvent.close.double, volume: bar.volume.double,
                quote_volume: bar.quoteVolume.double, buy_volume: bar.buyVolume.double, sell_volume: bar.sellVolume.double,
                vwap: bar.vwap.double, trades: UInt64(max(0, bar.trades)),
                fields: UInt32(TSH_BAR_HAS_QUOTE_VOLUME | TSH_BAR_HAS_BUY_SELL_VOLUME | TSH_BAR_HAS_VWAP | TSH_BAR_HAS_TRADES), reserved_1_1: 0)
            keepBar(e, slot: slot)
            withUnsafeMutablePointer(to: &e) { pointer in
                let header = UnsafeRawPointer(pointer).assumingMemoryBound(to: tsh_event_header.self)
                for i in start..<end { deliver(barRouteList[i], header) }
            }
            if !pending.isEmpty { drainPending() }
        }
    }

    /// Keeps a final bar for the history service (bounded by `barHistoryDepth`); `slot` is the
    /// aggregator's (symbol, timeframe) slot of a bar built here.
    private func keepBar(_ e: tsh_bar_event, slot: Int? = nil) {
        guard configuration.barHistoryDepth > 0 else { return }
        let ring: Int
        if let slot {
            if slot >= barRingBySlot.count { barRingBySlot += repeatElement(0, count: slot + 1 - barRingBySlot.count) }
            if barRingBySlot[slot] == 0 { barRingBySlot[slot] = barRing(for: e) + 1 }
            ring = barRingBySlot[slot] - 1
        } else {
            ring = barRing(for: e)
        }
        barRings[ring].append(e, depth: configuration.barHistoryDepth)
    }

    /// The ring of the bar's (symbol, interval), made on first use.
    private func barRing(for e: tsh_bar_event) -> Int {
        let key = BarHistoryKey(symbol: e.header.symbol_id, interval: e.interval_ns)
        if let index = barRingIndex[key] { return index }
        barRings.append(BarRing())
        barRingIndex[key] = barRings.count - 1
        return barRings.count - 1
    }

    /// `tsh.bars/1` history: the last final bars of one of the instance's symbols, oldest first.
    func barHistory(_ rt: InstanceRuntime, symbol: tsh_symbol_id, interval: Int64, out: UnsafeMutableRawPointer?, elementSize: UInt32,
                    capacity: UInt32, count: UnsafeMutablePointer<UInt32>) -> tsh_status {
        count.pointee = 0
        guard rt.isSubscribed(SymbolID(symbol)) else { return TSH_ERR_NOT_FOUND }
        guard elementSize >= TSH_BAR_EVENT_SIZE_V1_0, capacity == 0 || out != nil else { return TSH_ERR_INVALID_ARGUMENT }
        guard let index = barRingIndex[BarHistoryKey(symbol: symbol, interval: interval)], capacity > 0, let out else { return TSH_OK }
        let ring = barRings[index]
        let bars = ring.ordered.suffix(Int(capacity))
        let written = min(Int(elementSize), MemoryLayout<tsh_bar_event>.size)
        for (i, bar) in bars.enumerated() {
            var copy = bar
            copy.header.size = UInt32(written)
            withUnsafeBytes(of: &copy) { bytes in
                (out + i * Int(elementSize)).copyMemory(from: bytes.baseAddress!, byteCount: written)
            }
        }
        count.pointee = UInt32(bars.count)
        return TSH_OK
    }

    var isOnEngineThread: Bool {
        guard let engineThread else { return false }
        return pthread_equal(engineThread, pthread_self()) != 0
    }

    // MARK: - Running

    /// Processes inputs until the queue is closed and drained, or `requestStop()`; then
    /// cancels working orders, stops and destroys every instance. Blocks the caller,
    /// which becomes the engine thread.
    public func run() {
        engineThread = pthread_self()
        var batch = InboundQueue.Batch()
        batch.events.reserveCapacity(min(configuration.queueCapacity, 1 << 16))
        while !stopRequested.load(ordering: .relaxed) {
            let deadline = isSimulated ? nil : nextWallDeadline()
            guard queue.drain(into: &batch, deadline: deadline, gatherNanos: isSimulated ? 0 : configuration.liveGatherNanos) else { break }
            if !isSimulated { recordFeedLag(batch.events) }
            process(batch)
            if !isSimulated {
                pollJournal()
                fireTimers(upTo: clock.now())
                // Bars due while no input arrives: a recorded clock input, so a replay
                // delivers them at the same place.
                if let due = bars?.nextDue, due != .max {
                    let wall = clock.now()
                    if wall >= due { process(.clock(at: wall)) }
                }
            }
            publishSnapshot(force: false)
        }
        shutdown()
    }

    /// Processes a drained batch: market events in order, each control input at its position.
    private func process(_ batch: InboundQueue.Batch) {
        process(batch.events, controls: batch.controls.lazy.map { ($0.position, $0.input) })
    }

    /// Feeds a recorded block back in order (replays). Recorded timer firings are not inputs:
    /// the engine fires its timers itself from event times.
    public func process(_ block: RecordedBlock) {
        process(block.events, controls: block.controls.lazy.compactMap { control -> (Int, EngineInput)? in
            if case .timerFired = control.input { return nil }
            return (control.position, control.input)
        })
    }

    private func process(_ events: [MarketEvent], controls: some Sequence<(Int, EngineInput)>) {
        events.withUnsafeBufferPointer { events in
            var next = 0
            for (position, input) in controls {
                if next < position {
                    process(UnsafeBufferPointer(rebasing: events[next..<position]))
                    next = position
                }
                process(input)
            }
            if next < events.count { process(UnsafeBufferPointer(rebasing: events[next...])) }
        }
    }

    /// Processes market events synchronously on the calling thread, in order (recording
    /// them first when a recorder is set).
    public func process(_ events: UnsafeBufferPointer<MarketEvent>) {
        if !isSimulated { pollJournal() }
        recorder?.record(events)
        for event in events { processEvent(event) }
    }

    /// Processes one market event synchronously on the calling thread.
    public func process(_ event: MarketEvent) {
        if let recorder {
            withUnsafePointer(to: event) { recorder.record(UnsafeBufferPointer(start: $0, count: 1)) }
        }
        processEvent(event)
    }

    /// Processes one input synchronously on the calling thread (tests, backtests and
    /// benchmarks that feed the engine directly instead of through the queue).
    public func process(_ input: EngineInput) {
        switch input {
        case .market(let event): process(event)
        case .venueUpdate(let update):
            recorder?.record(.venueUpdate(update))
            applyVenueUpdates([update])
            drainPending()
        case .killSwitch(let reason):
            recorder?.record(.killSwitch(reason: reason))
            engageKillSwitch(reason: reason)
        case .feedStatus(let symbol, let stale, let reason):
            recorder?.record(.feedStatus(symbol: symbol, stale: stale, reason: reason))
            setFeedStatus(symbol, stale: stale, reason: reason)
        case .tradingState(let instance, let state, let reason):
            recorder?.record(.tradingState(instance: instance, state: state, reason: reason))
            guard instances.indices.contains(instance) else { return }
            setVenueTradingState(instance, state, reason: reason)
        case .venueCash(let instance, let amount, let asset):
            recorder?.record(.venueCash(instance: instance, amount: amount, quoteAsset: asset))
            guard instances.indices.contains(instance) else { return }
            router.setCash(amount, instance: instance, mode: instances[instance].spec.mode, quoteAsset: asset)
        case .journalBehind(let behind):
            recorder?.record(.journalBehind(behind))
            setJournalBehind(behind)
        case .timerFired:
            break  // recorded for verification; the engine fires its own timers
        case .clock(let time):
            recorder?.record(.clock(at: time))
            if isSimulated {
                if time > simulatedNow {
                    simulatedNow = time
                    if time >= timers.earliestBound { fireTimers(upTo: time) }
                    clock.advance(to: time)
                }
            } else if time > liveTime {
                liveTime = time
            }
            emitBars(upTo: time)
        }
    }

    /// Live sessions: turns the writer's backlog into a recorded input when it changes, so
    /// the halt it causes happens at the same place in a replay.
    private func pollJournal() {
        guard let journal else { return }
        let behind = journal.isOverloaded
        if behind != journalBehind { process(.journalBehind(behind)) }
    }

    private func setJournalBehind(_ behind: Bool) {
        guard behind != journalBehind else { return }
        journalBehind = behind
        let now = engineNow()
        if behind {
            counters.journalHalts += 1
            logger.error("Trading halted: the persistence writer is behind (orders are denied until it catches up)")
            journal?.alertRaised(AlertRecord(time: now, type: "writer_behind", level: .critical, instanceID: nil,
                                             details: "the persistence writer is behind; orders are denied until it catches up"))
        } else {
            logger.notice("Trading resumed: the persistence writer caught up")
            journal?.alertRaised(AlertRecord(time: now, type: "writer_caught_up", level: .info, instanceID: nil,
                                             details: "the persistence writer caught up; orders are accepted again"))
        }
    }

    /// A venue pauses an instance (REDUCING/HALTED) or lifts its own pause. Lifting restores
    /// the state from before the pause, and only if nothing else (a loss limit, an operator)
    /// moved the state meanwhile: a venue can never undo a risk halt.
    private func setVenueTradingState(_ instance: Int, _ state: TradingState, reason: String) {
        let current = router.riskState(instance)
        if state == .active {
            guard let pause = venuePauses.removeValue(forKey: instance), current.state == pause.set else { return }
            router.setRiskState(instance, pause.previous, reason: pause.previousReason.isEmpty ? reason : pause.previousReason)
        } else {
            if venuePauses[instance] == nil {
                venuePauses[instance] = (current.state, current.reason, state)
            } else {
                venuePauses[instance]?.set = state
            }
            router.setRiskState(instance, state, reason: reason)
        }
        // A venue may keep an instance HALTED with a new reason (a reconciliation gave up): record that too.
        noteRiskState(instances[instance], now: engineNow(), reasonChanged: current.reason != router.riskState(instance).reason)
    }

    /// Marks a symbol's feed stale or fresh and tells its subscribers at once with a book
    /// event carrying the flag (the current book; empty while it resyncs).
    private func setFeedStatus(_ symbol: SymbolID, stale: Bool, reason: String) {
        let i = symbol.index
        guard i < staleFlags.count else { return }
        let flag: UInt16 = stale ? UInt16(TSH_EVENT_FLAG_STALE) : 0
        guard staleFlags[i] != flag else { return }
        staleFlags[i] = flag
        logger.notice(stale ? "Feed stale" : "Feed fresh", metadata: [
            "instrument.id": "\(symbols.instrument(symbol)?.symbol ?? "?")", "reason": "\(reason)",
        ])
        let now = engineNow()
        bookChanges[i].removeAll()
        bookUndo[i].removeAll()
        let marker = BookDelta(symbol: symbol, tsEvent: now, tsRecv: now, side: .buy, price: .zero, size: .zero, flags: [.endOfBatch])
        seq &+= 1
        dispatchBook(symbol, marker, (isSimulated ? UInt16(TSH_EVENT_FLAG_REPLAY) : 0) | flag)
        if !pending.isEmpty { drainPending() }
    }

    /// Whether a symbol's feed is stale or resyncing (engine thread).
    public func isStale(_ symbol: SymbolID) -> Bool { symbol.index < staleFlags.count && staleFlags[symbol.index] != 0 }

    /// Asks `run()` to finish after the current batch. Thread-safe.
    public func requestStop() {
        stopRequested.store(true, ordering: .relaxed)
        queue.close()
    }

    /// The host's book of a symbol (engine thread only).
    public func book(_ symbol: SymbolID) -> OrderBook { books[symbol.index] }

    /// The host's book of a symbol before the L2 message being delivered or received: during a
    /// book event's callback, without that event's changes; otherwise as the last book event
    /// left it (`tsh.book/1`). Engine thread only.
    func bookBefore(_ symbol: SymbolID) -> OrderBook {
        let i = symbol.index
        return bookUndo[i].isEmpty ? bookMemory[i] : bookMemory[i].before(undoing: bookUndo[i])
    }

    /// The size of one level of `bookBefore(symbol)`; read in place when there is nothing to
    /// undo (a trade's callback: no copy of the book, no reference counting).
    func levelSizeBefore(_ symbol: SymbolID, side: Side, price: Fixed8) -> Fixed8 {
        let i = symbol.index
        if bookUndo[i].isEmpty {
            return side == .buy ? bookMemory[i].bids.size(at: price) : bookMemory[i].asks.size(at: price)
        }
        let book = bookBefore(symbol)
        return side == .buy ? book.bids.size(at: price) : book.asks.size(at: price)
    }

    /// Engine counters as of the last batch. Thread-safe.
    public func snapshot() -> EngineSnapshot { snapshotState.withLock { $0 } }

    private func nextWallDeadline() -> Date? {
        guard let due = timers.nextDue() else { return Date(timeIntervalSinceNow: 0.25) }
        let next = min(due, clock.now() + 250_000_000)
        return Date(timeIntervalSince1970: Double(next) / 1e9)
    }

    @inline(__always)
    private func processEvent(_ event: MarketEvent) {
        let symbol = event.symbol
        guard symbol.index < books.count else {
            counters.unknownSymbolEvents += 1
            return
        }
        if isSimulated {
            let ts = event.tsRecv
            if ts > simulatedNow {
                simulatedNow = ts
                if ts >= timers.earliestBound { fireTimers(upTo: ts) }
                if let simulatedClock { simulatedClock._withUnsafeGuaranteedRef { $0.set(ts) } } else { clock.advance(to: ts) }
            }
        } else if event.tsRecv > liveTime {
            if event.tsRecv >= timers.earliestBound { fireTimers(upTo: event.tsRecv) }
            liveTime = event.tsRecv
        }
        counters.eventsProcessed &+= 1
        counters.lastEventTime = event.tsRecv
        seq &+= 1
        let flags: UInt16 = (isSimulated ? UInt16(TSH_EVENT_FLAG_REPLAY) : 0) | staleFlags[symbol.index]
        switch event {
        case .quote(let q):
            if !bookFromL2[symbol.index] { bookMemory[symbol.index].apply(q) }
            var e = tsh_quote_event(
                header: header(UInt16(TSH_EVENT_QUOTE), MemoryLayout<tsh_quote_event>.size, symbol, q.tsEvent, q.tsRecv, flags),
                bid_price: q.bidPrice.double, bid_size: q.bidSize.double, ask_price: q.askPrice.double, ask_size: q.askSize.double)
            dispatch(symbol, PluginEventType.quote.maskBit, &e)
        case .trade(let t):
            var e = tsh_trade_event(
                header: header(UInt16(TSH_EVENT_TRADE), MemoryLayout<tsh_trade_event>.size, symbol, t.tsEvent, t.tsRecv, flags),
                price: t.price.double, size: t.size.double, aggressor: t.aggressor?.rawValue ?? 0, reserved: 0, trade_id: t.tradeID)
            dispatch(symbol, PluginEventType.trade.maskBit, &e)
            if bars != nil { bars!.add(t) }
        case .bookDelta(let delta):
            let i = symbol.index
            if !bookFromL2[i] { bookFromL2[i] = true }  // a read, not a uniqueness check, per row
            if bookSubscribed[i] {
                bookMemory[i].apply(delta, recording: &bookUndo[i])
                if delta.price.raw != 0 || delta.size.raw != 0 {
                    bookChanges[i].append(tsh_book_change(price: delta.price.double, size: delta.size.double, side: delta.side.rawValue, reserved: 0))
                }
                if delta.isEndOfBatch { dispatchBook(symbol, delta, flags) }
            } else {
                bookMemory[i].apply(delta)
            }
            guard delta.isEndOfBatch else { return }
        case .bar(let b):
            let barFlags = b.isHistory ? flags | UInt16(TSH_EVENT_FLAG_HISTORY) : flags
            // A bar from the feed (a venue's history, a recording): OHLCV only, `fields` says so.
            var e = tsh_bar_event(
                header: header(UInt16(TSH_EVENT_BAR), MemoryLayout<tsh_bar_event>.size, symbol, b.tsEvent, b.tsRecv, barFlags),
                open_time_ns: b.openTime, interval_ns: b.interval, open: b.open.double, high: b.high.double,
                low: b.low.double, close: b.close.double, volume: b.volume.double,
                quote_volume: 0, buy_volume: 0, sell_volume: 0, vwap: 0, trades: 0, fields: 0, reserved_1_1: 0)
            keepBar(e)
            dispatch(symbol, PluginEventType.bar.maskBit, &e)
        case .oracle(let o):
            o.source.withUTF8 { bytes in
                var e = tsh_oracle_event(
                    header: header(UInt16(TSH_EVENT_ORACLE), MemoryLayout<tsh_oracle_event>.size, symbol, o.tsEvent, o.tsRecv, flags),
                    source: tsh_str(ptr: UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self), len: UInt64(bytes.count)),
                    price: o.price.double)
                dispatch(symbol, PluginEventType.oracle.maskBit, &e)
            }
        case .settlement(let settlement):
            settle(settlement)
        }
        switch event {
        case .quote, .bookDelta:
            if event.tsRecv >= nextBookSnapshot[symbol.index] { snapshotBook(symbol, at: event.tsRecv) }
            fallthrough
        case .trade:
            if router.hasWorkingOrders(symbol) {
                applyVenueUpdates(router.bookChanged(symbol: symbol, book: books[symbol.index], now: engineNow()))
            }
        case .bar, .oracle, .settlement: break
        }
        if router.hasDelayedOrders {
            applyVenueUpdates(router.activateDelayed(now: engineNow(), books: books))
        }
        if !pending.isEmpty { drainPending() }
        if bars != nil { emitBars(upTo: event.tsRecv) }
    }

    /// Sends the symbol's top levels to the journal and schedules the next snapshot.
    private func snapshotBook(_ symbol: SymbolID, at time: Int64) {
        let i = symbol.index
        nextBookSnapshot[i] = time + configuration.bookSnapshotInterval
        let book = books[i]
        journal?.bookSnapshot(symbol: symbol, time: time, bids: book.bids.levels(depth: configuration.bookSnapshotDepth),
                              asks: book.asks.levels(depth: configuration.bookSnapshotDepth))
    }

    /// Delivers one book event for the L2 message that `last` ends.
    private func dispatchBook(_ symbol: SymbolID, _ last: BookDelta, _ flags: UInt16) {
        let i = symbol.index
        let best = (bid: bookMemory[i].bids.best, ask: bookMemory[i].asks.best)
        do {
            let buffer = bookChanges[i]
            var e = tsh_book_event(
                header: header(UInt16(TSH_EVENT_BOOK), MemoryLayout<tsh_book_event>.size, symbol, last.tsEvent, last.tsRecv, flags),
                changes: UnsafePointer(buffer.base), change_count: UInt32(buffer.count), is_snapshot: last.isSnapshot ? 1 : 0,
                best_bid_price: best.bid?.price.double ?? .nan, best_bid_size: best.bid?.size.double ?? 0,
                best_ask_price: best.ask?.price.double ?? .nan, best_ask_size: best.ask?.size.double ?? 0,
                venue_seq: last.venueSequence)
            dispatch(symbol, PluginEventType.book.maskBit, &e)
        }
        bookChanges[i].removeAll()
        bookUndo[i].removeAll()
    }

    /// Closes every position in the settled symbol at the final price (a fee-free fill
    /// journaled with reason `settlement`) after canceling its working orders.
    private func settle(_ settlement: Settlement) {
        counters.settlements += 1
        let now = engineNow()
        applyVenueUpdates(router.cancelAll(symbol: settlement.symbol, now: now, reason: "the market settled"))
        let price = settlement.price.decimal
        for rt in instances where rt.isSubscribed(settlement.symbol) {
            let position = router.portfolio.position(instance: rt.index, mode: rt.spec.mode, symbol: settlement.symbol)
            guard position.quantity != 0 else { continue }
            let side: Side = position.quantity > 0 ? .sell : .buy
            let order = OrderRequest(clientOrderID: router.nextClientOrderID(), instance: rt.index, mode: rt.spec.mode, symbol: settlement.symbol,
                                     side: side, type: .market, timeInForce: .fok, price: price, size: position.quantity.magnitude,
                                     postOnly: false, reduceOnly: true, expireAt: nil, tag: "settlement", createdAt: now)
            journal?.orderSubmitted(order, instanceID: rt.spec.id)
            orderTags[order.clientOrderID] = order.tag
            let fill = OrderUpdate(clientOrderID: order.clientOrderID, instance: rt.index, symbol: settlement.symbol, side: side,
                                   status: .filled, lastFillPrice: price, lastFillSize: order.size, filledSize: order.size, remainingSize: 0,
                                   averageFillPrice: price, reason: "settlement", venueOrderID: "settlement", timestamp: now)
            logger.info("Position settled", metadata: [
                "instance.id": "\(rt.spec.id)", "instrument.id": "\(symbols.instrument(settlement.symbol)?.symbol ?? "?")",
                "settle.price": "\(price)", "position.quantity": "\(position.quantity)",
            ])
            applyVenueUpdates([fill])
        }
    }

    @inline(__always)
    private func header(_ type: UInt16, _ size: Int, _ symbol: SymbolID, _ tsEvent: Int64, _ tsRecv: Int64, _ flags: UInt16) -> tsh_event_header {
        tsh_event_header(size: UInt32(size), type: type, flags: flags, symbol_id: symbol.rawValue, reserved: 0,
                         ts_event_ns: tsEvent, ts_recv_ns: tsRecv, seq: seq)
    }

    /// Calls every instance subscribed to `symbol` whose mask has `bit`, in the order
    /// the instances were configured.
    @inline(__always)
    private func dispatch<E>(_ symbol: SymbolID, _ bit: UInt32, _ event: inout E) {
        let start = routeStart[symbol.index]
        let end = routeStart[symbol.index + 1]
        guard start < end else { return }
        withUnsafeMutablePointer(to: &event) { pointer in
            let header = UnsafeRawPointer(pointer).assumingMemoryBound(to: tsh_event_header.self)
            for i in start..<end {
                let route = routeList[i]
                if route.mask & bit != 0 { deliver(route, header) }
            }
        }
    }

    @inline(__always)
    private func deliver(_ route: Route, _ header: UnsafePointer<tsh_event_header>) {
        route.callbacks.pointee &+= 1
        let status: tsh_status
        sampleCountdown &-= 1
        if sampleCountdown <= 0 {
            sampleCountdown = Engine.timingSampleInterval
            let t0 = monotonicNanos()
            status = route.onEvent(route.instance, header, route.error)
            let elapsed = monotonicNanos() - t0
            statistics[route.index].sampledCallbacks += 1
            statistics[route.index].sampledNanos += elapsed
            if elapsed > statistics[route.index].maxCallbackNanos { statistics[route.index].maxCallbackNanos = elapsed }
        } else {
            status = route.onEvent(route.instance, header, route.error)
        }
        if status != TSH_OK { callbackFailed(route.index, status: status, eventType: header.pointee.type) }
    }

    private func callbackFailed(_ index: Int, status: tsh_status, eventType: UInt16) {
        let rt = instances[index]
        let message = rt.lastErrorMessage
        rt.clearError()
        statistics[index].callbackErrors += 1
        statistics[index].lastError = message
        // Log the first failures, then one in a thousand, so a failing plugin cannot flood the log.
        let errors = statistics[index].callbackErrors
        if errors <= 10 || errors % 1_000 == 0 {
            logger.error("Plugin callback failed", metadata: [
                "instance.id": "\(rt.spec.id)", "plugin.id": "\(rt.spec.pluginID)", "event.type": "\(PluginEventType(rawValue: eventType).map(String.init(describing:)) ?? String(eventType))",
                "status": "\(status)", "error.message": "\(message)", "errors.total": "\(errors)",
            ])
        }
    }

    // MARK: - Timers

    func fireTimers(upTo time: Int64) {
        while let timer = timers.popDue(atOrBefore: time) {
            if clock.isSimulated { clock.advance(to: timer.fireAt) } else if timer.fireAt > liveTime { liveTime = timer.fireAt }
            counters.timersFired += 1
            seq &+= 1
            let now = engineNow()
            if router.hasDelayedOrders { applyVenueUpdates(router.activateDelayed(now: now, books: books)) }
            guard timer.owner < instances.count else { continue }
            recorder?.record(.timerFired(instance: timer.owner, timerID: timer.id, at: timer.fireAt))
            let rt = instances[timer.owner]
            var e = tsh_timer_event(
                header: header(UInt16(TSH_EVENT_TIMER), MemoryLayout<tsh_timer_event>.size, .none, timer.fireAt, now, 0),
                timer_id: timer.id, user_tag: timer.userTag, scheduled_ns: timer.fireAt)
            withUnsafeMutablePointer(to: &e) { pointer in
                deliver(route(for: rt), UnsafeRawPointer(pointer).assumingMemoryBound(to: tsh_event_header.self))
            }
            drainPending()
        }
    }

    private func route(for rt: InstanceRuntime) -> Route {
        Route(onEvent: rt.vtable.on_event, instance: rt.instance, error: rt.error, mask: rt.spec.descriptor.pointee.event_mask,
              index: rt.index, callbacks: rt.callbacks)
    }

    // MARK: - Signal bus and order updates

    /// Delivers signals and order updates caused by the last callback, in the order they
    /// were produced, including those they cause in turn (bounded by `maxCascade`).
    private func drainPending() {
        while let next = pending.popFirst() {
            cascade += 1
            if cascade > configuration.maxCascade {
                counters.cascadeOverflows += pending.count + 1
                logger.error("Signal cascade overflow: deliveries dropped", metadata: ["dropped": "\(pending.count + 1)", "limit": "\(configuration.maxCascade)"])
                pending.removeAll()
                break
            }
            switch next {
            case .signal(let record, let symbol, let source, let consumers): deliverSignal(record, symbol: symbol, source: source, consumers: consumers)
            case .order(let update): deliverOrderUpdate(update)
            }
        }
        cascade = 0
    }

    private func deliverSignal(_ record: SignalRecord, symbol: SymbolID, source: Int, consumers: [Int]) {
        func isTarget(_ index: Int) -> Bool { index != source && (symbol == .none || instances[index].isSubscribed(symbol)) }
        guard consumers.contains(where: isTarget) else { return }
        seq &+= 1
        let sourceRT = instances[source]
        let now = engineNow()
        record.name.withTSHStr { name in
            sourceRT.spec.id.withTSHStr { sourceInstance in
                sourceRT.spec.pluginID.withTSHStr { sourcePlugin in
                    record.payload.withTSHStr { payload in
                        Self.withSignalFields(record.fields) { fields in
                            var e = tsh_signal_event(
                                header: header(UInt16(TSH_EVENT_SIGNAL), MemoryLayout<tsh_signal_event>.size, symbol, record.time, now, 0),
                                name: name, source_instance: sourceInstance, source_plugin: sourcePlugin, payload: payload,
                                direction: record.direction, reserved: 0, value: record.value, confidence: record.confidence,
                                fields: fields.baseAddress, field_count: UInt32(fields.count), reserved_1_1: 0)
                            withUnsafeMutablePointer(to: &e) { pointer in
                                let h = UnsafeRawPointer(pointer).assumingMemoryBound(to: tsh_event_header.self)
                                for index in consumers where isTarget(index) {
                                    counters.signalsDelivered += 1
                                    deliver(route(for: instances[index]), h)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The instances that take signals of this name, in instance order: their kind has signal
    /// events and, when it declares what it consumes (ABI 1.1), consumes the name. Cached per
    /// name (matching a kind's patterns per signal was a tenth of the screener's time); names
    /// beyond `maximumCachedSignalNames` are matched each time, so a plugin inventing names
    /// cannot grow the cache without bound.
    private func signalConsumers(of name: String) -> [Int] {
        if let cached = signalConsumerCache[name] { return cached }
        let consumers = signalAll.filter { instances[$0].spec.kind.consumes(name) }
        if signalConsumerCache.count < Self.maximumCachedSignalNames { signalConsumerCache[name] = consumers }
        return consumers
    }

    static let maximumCachedSignalNames = 4_096
    static let maximumSignalFields: UInt32 = 64

    /// The fields as `tsh_signal_field`s whose names point into one buffer, valid during `body`.
    private static func withSignalFields<R>(_ fields: [SignalField], _ body: (UnsafeBufferPointer<tsh_signal_field>) -> R) -> R {
        guard !fields.isEmpty else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        var bytes: [UInt8] = []
        for field in fields { bytes += field.name.utf8 }
        return bytes.withUnsafeBufferPointer { text in
            var offset = 0
            let raw = UnsafeRawPointer(text.baseAddress!).assumingMemoryBound(to: CChar.self)
            let items = fields.map { field -> tsh_signal_field in
                let length = field.name.utf8.count
                defer { offset += length }
                return tsh_signal_field(name: tsh_str(ptr: raw + offset, len: UInt64(length)), value: field.value)
            }
            return items.withUnsafeBufferPointer(body)
        }
    }

    /// `tsh.records/1` upsert: checks the row against the table the instance's kind declared,
    /// then hands it to the journal (persisted in order with the host's other writes).
    func upsertRecord(_ rt: InstanceRuntime, table: tsh_str, values: UnsafePointer<tsh_value>, count: UInt32,
                      _ error: UnsafeMutablePointer<tsh_error>?) -> tsh_status {
        func fail(_ message: String) -> tsh_status {
            CInterop.write(error, code: TSH_ERR_INVALID_ARGUMENT, message: message)
            return TSH_ERR_INVALID_ARGUMENT
        }
        guard let name = CInterop.string(table) else { return fail("record table name is not valid UTF-8") }
        guard let spec = rt.spec.kind.recordTables.first(where: { $0.name == name }) else {
            let declared = rt.spec.kind.recordTables.map(\.name)
            CInterop.write(error, code: TSH_ERR_NOT_FOUND, message: "table '\(name)' is not declared by kind '\(rt.spec.kind.id)'"
                           + (declared.isEmpty ? " (it declares no tables: add the tsh.records/1 extension)" : " (it declares \(declared.joined(separator: ", ")))"))
            return TSH_ERR_NOT_FOUND
        }
        guard Int(count) == spec.columns.count else {
            return fail("table '\(name)' has \(spec.columns.count) columns, the row has \(count) values")
        }
        var row: [RecordValue] = []
        row.reserveCapacity(spec.columns.count)
        for (i, column) in spec.columns.enumerated() {
            let v = values[i]
            if v.type == TSH_VALUE_NULL {
                guard column.isNullable else { return fail("table '\(name)': column '\(column.name)' is \(column.isKey ? "part of the key" : "not nullable") and got null") }
                row.append(.null)
                continue
            }
            guard v.type == column.type.rawValue else {
                return fail("table '\(name)': column '\(column.name)' is \(column.type), the value has type \(v.type)")
            }
            switch column.type {
            case .int, .time: row.append(.int(v.int_value))
            case .double:
                guard v.double_value.isFinite else { return fail("table '\(name)': column '\(column.name)' got \(v.double_value); use null for no value") }
                row.append(.double(v.double_value))
            case .text:
                guard let text = CInterop.string(v.text_value) else { return fail("table '\(name)': column '\(column.name)' is not valid UTF-8 (or longer than 1 MiB)") }
                row.append(.text(text))
            }
        }
        counters.recordsUpserted += 1
        journal?.recordUpserted(RecordRow(table: name, values: row))
        return TSH_OK
    }

    private func deliverOrderUpdate(_ update: OrderUpdate) {
        guard instances.indices.contains(update.instance) else { return }
        let rt = instances[update.instance]
        guard rt.spec.descriptor.pointee.event_mask & PluginEventType.order.maskBit != 0 else { return }
        seq &+= 1
        update.reason.withTSHStr { reason in
            update.venueOrderID.withTSHStr { venueID in
                var e = tsh_order_event(
                    header: header(UInt16(TSH_EVENT_ORDER), MemoryLayout<tsh_order_event>.size, update.symbol, update.timestamp, engineNow(), 0),
                    client_order_id: update.clientOrderID.rawValue, status: update.status.rawValue,
                    deny_reason: update.denyReason?.rawValue ?? 0, side: update.side.rawValue, reserved: 0,
                    last_fill_price: update.lastFillPrice.doubleValue, last_fill_size: update.lastFillSize.doubleValue,
                    filled_size: update.filledSize.doubleValue, remaining_size: update.remainingSize.doubleValue,
                    average_fill_price: update.averageFillPrice.doubleValue, fee: update.fee.doubleValue,
                    reason: reason, venue_order_id: venueID)
                withUnsafeMutablePointer(to: &e) { pointer in
                    deliver(route(for: rt), UnsafeRawPointer(pointer).assumingMemoryBound(to: tsh_event_header.self))
                }
            }
        }
    }

    /// Books, journals and queues venue updates for delivery.
    func applyVenueUpdates(_ updates: [OrderUpdate]) {
        for update in updates {
            guard instances.indices.contains(update.instance) else { continue }
            let rt = instances[update.instance]
            var realized: Decimal = 0
            if let instrument = symbols.instrument(update.symbol) {
                realized = router.record(update, mode: rt.spec.mode, instrument: instrument)
            }
            let tag = orderTags[update.clientOrderID] ?? ""
            if update.status.isTerminal { orderTags[update.clientOrderID] = nil }
            if update.lastFillSize > 0, let journal {
                let p = router.portfolio.position(instance: rt.index, mode: rt.spec.mode, symbol: update.symbol)
                journal.fillBooked(FillRecord(
                    clientOrderID: update.clientOrderID, instanceID: rt.spec.id, mode: rt.spec.mode, symbol: update.symbol, side: update.side,
                    price: update.lastFillPrice, size: update.lastFillSize, fee: update.lastFee, liquidity: update.liquidity, reason: tag,
                    realizedPnL: realized, position: PositionSnapshot(quantity: p.quantity, averagePrice: p.averagePrice, realizedPnL: p.realizedPnL, fees: p.fees),
                    timestamp: update.timestamp))
            }
            if update.lastFillSize > 0 { statistics[update.instance].fills += 1 }
            journal?.orderUpdated(update, instanceID: rt.spec.id, mode: rt.spec.mode)
            if update.lastFillSize > 0 {
                logger.info("Order filled", metadata: [
                    "instance.id": "\(rt.spec.id)", "plugin.id": "\(rt.spec.pluginID)", "order.id": "\(update.clientOrderID)",
                    "order.side": "\(update.side)", "fill.price": "\(update.lastFillPrice)", "fill.size": "\(update.lastFillSize)",
                    "order.status": "\(update.status)",
                ])
            }
            pending.append(.order(update))
        }
    }

    // MARK: - Services called by plugins (engine thread)

    func pluginLog(_ rt: InstanceRuntime, level: tsh_log_level, message: String) {
        let swiftLevel: Logger.Level = switch level {
        case TSH_LOG_TRACE: .trace
        case TSH_LOG_DEBUG: .debug
        case TSH_LOG_INFO: .info
        case TSH_LOG_NOTICE: .notice
        case TSH_LOG_WARNING: .warning
        case TSH_LOG_ERROR: .error
        default: .critical
        }
        logger.log(level: swiftLevel, "\(message)", metadata: ["instance.id": "\(rt.spec.id)", "plugin.id": "\(rt.spec.pluginID)"])
    }

    func instrumentRecord(_ symbol: SymbolID) -> tsh_instrument? {
        symbol.index < instrumentRecords.count ? instrumentRecords[symbol.index] : nil
    }

    func setState(_ rt: InstanceRuntime, key: String, value: [UInt8]?) {
        rt.state[key] = value
        journal?.stateChanged(instanceID: rt.spec.id, key: key, value: value, at: engineNow())
    }

    func emitSignal(_ rt: InstanceRuntime, _ signal: UnsafePointer<tsh_signal>, _ error: UnsafeMutablePointer<tsh_error>?) -> tsh_status {
        let s = CInterop.readPluginStruct(signal)
        guard s.struct_size >= TSH_SIGNAL_SIZE_V1_0 else {
            CInterop.write(error, code: TSH_ERR_INVALID_ARGUMENT, message: "tsh_signal.struct_size is \(s.struct_size), smaller than the ABI 1.0 layout (TSH_SIGNAL_SIZE_V1_0 = \(TSH_SIGNAL_SIZE_V1_0) bytes) — set it to sizeof(tsh_signal)")
            return TSH_ERR_INVALID_ARGUMENT
        }
        let name: String, consumers: [Int]
        if let ptr = s.name.ptr, s.name.len > 0, s.name.len <= 256,
           let cached = rt.emittedNames.lookup(UnsafeRawBufferPointer(start: ptr, count: Int(s.name.len)), generation: routingGeneration) {
            (name, consumers) = cached
        } else {
            guard let text = CInterop.string(s.name), !text.isEmpty, text.utf8.count <= 256 else {
                CInterop.write(error, code: TSH_ERR_INVALID_ARGUMENT, message: "signal name must be 1 to 256 bytes of UTF-8")
                return TSH_ERR_INVALID_ARGUMENT
            }
            name = text
            consumers = signalConsumers(of: text)
            rt.emittedNames.insert(text, consumers: consumers, generation: routingGeneration)
        }
        guard let payload = CInterop.string(s.payload) else {
            CInterop.write(error, code: TSH_ERR_INVALID_ARGUMENT, message: "signal payload is not valid UTF-8 or is longer than 1 MiB")
            return TSH_ERR_INVALID_ARGUMENT
        }
        guard s.value.isFinite, s.confidence.isFinite else {
            CInterop.write(error, code: TSH_ERR_INVALID_ARGUMENT, message: "signal '\(name)' has a non-finite value or confidence")
            return TSH_ERR_INVALID_ARGUMENT
        }
        let symbol = SymbolID(s.symbol_id)
        guard symbol == .none || rt.isSubscribed(symbol) else {
            CInterop.write(error, code: TSH_ERR_INVALID_ARGUMENT, message: "signal '\(name)' names symbol id \(s.symbol_id), which is not one of this instance's symbols")
            return TSH_ERR_INVALID_ARGUMENT
        }
        var fields: [SignalField] = []
        if s.field_count > 0 {  // zero for a 1.0 plugin: readPluginStruct leaves what it did not declare at zero
            guard s.field_count <= Self.maximumSignalFields, let base = s.fields else {
                CInterop.write(error, code: TSH_ERR_INVALID_ARGUMENT, message: "signal '\(name)': field_count is \(s.field_count) (at most \(Self.maximumSignalFields), with a non-NULL fields array)")
                return TSH_ERR_INVALID_ARGUMENT
            }
            fields.reserveCapacity(Int(s.field_count))
            for i in 0..<Int(s.field_count) {
                let f = base[i]
                guard let fieldName = CInterop.string(f.name), !fieldName.isEmpty, fieldName.utf8.count <= 64,
                      !fieldName.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                    CInterop.write(error, code: TSH_ERR_INVALID_ARGUMENT, message: "signal '\(name)': field #\(i) has no valid name (1 to 64 bytes of UTF-8, no control characters)")
                    return TSH_ERR_INVALID_ARGUMENT
                }
                guard f.value.isFinite else {
                    CInterop.write(error, code: TSH_ERR_INVALID_ARGUMENT, message: "signal '\(name)': field '\(fieldName)' is not a finite number")
                    return TSH_ERR_INVALID_ARGUMENT
                }
                guard !fields.contains(where: { $0.name == fieldName }) else {
                    CInterop.write(error, code: TSH_ERR_INVALID_ARGUMENT, message: "signal '\(name)': field '\(fieldName)' is given twice")
                    return TSH_ERR_INVALID_ARGUMENT
                }
                fields.append(SignalField(name: fieldName, value: f.value))
            }
        }
        let record = SignalRecord(time: engineNow(), sourceInstanceID: rt.spec.id, sourcePluginID: rt.spec.pluginID,
                                  symbol: symbols.name(symbol), name: name, direction: s.direction,
                                  value: s.value, confidence: s.confidence, payload: payload, fields: fields)
        statistics[rt.index].signalsEmitted += 1
        journal?.signalEmitted(record)
        pending.append(.signal(record, symbol: symbol, source: rt.index, consumers: consumers))
        return TSH_OK
    }

    func submitOrder(_ rt: InstanceRuntime, _ request: UnsafePointer<tsh_order_request>, _ outID: UnsafeMutablePointer<UInt64>,
                     _ error: UnsafeMutablePointer<tsh_error>?) -> tsh_status {
        let id = router.nextClientOrderID()
        outID.pointee = id.rawValue
        statistics[rt.index].ordersSubmitted += 1
        let r = CInterop.readPluginStruct(request)
        let now = engineNow()
        let symbol = SymbolID(r.symbol_id)
        let side = Side(rawValue: r.side)

        func deny(_ denial: RiskDenial) -> tsh_status {
            statistics[rt.index].ordersDenied += 1
            metrics.denied(reason: denial.reason)
            CInterop.write(error, code: denial.reason.rawValue, message: denial.message)
            logger.warning("Order denied", metadata: [
                "instance.id": "\(rt.spec.id)", "plugin.id": "\(rt.spec.pluginID)", "order.id": "\(id)",
                "deny.reason": "\(denial.reason)", "deny.message": "\(denial.message)",
            ])
            let update = OrderUpdate(clientOrderID: id, instance: rt.index, symbol: symbol, side: side ?? .buy, status: .denied,
                                     denyReason: denial.reason, reason: denial.message, timestamp: now)
            journal?.orderUpdated(update, instanceID: rt.spec.id, mode: rt.spec.mode)
            pending.append(.order(update))
            return TSH_ERR_DENIED
        }

        guard r.struct_size >= TSH_ORDER_REQUEST_SIZE_V1_0 else {
            return deny(RiskDenial(.invalidOrder, "tsh_order_request.struct_size is \(r.struct_size), smaller than the ABI 1.0 layout (TSH_ORDER_REQUEST_SIZE_V1_0 = \(TSH_ORDER_REQUEST_SIZE_V1_0) bytes) — set it to sizeof(tsh_order_request)"))
        }
        guard let side else { return deny(RiskDenial(.invalidOrder, "side \(r.side) is neither TSH_SIDE_BUY (1) nor TSH_SIDE_SELL (-1)")) }
        guard let type = OrderType(rawValue: r.type) else { return deny(RiskDenial(.invalidOrder, "order type \(r.type) is neither TSH_ORDER_MARKET nor TSH_ORDER_LIMIT")) }
        guard let tif = TimeInForce(rawValue: r.time_in_force) else { return deny(RiskDenial(.invalidOrder, "time in force \(r.time_in_force) is not one of GTC, GTD, FOK, FAK")) }
        guard r.flags & ~(TSH_ORDER_FLAG_POST_ONLY | TSH_ORDER_FLAG_REDUCE_ONLY) == 0 else { return deny(RiskDenial(.invalidOrder, "unknown order flags \(r.flags)")) }
        if tif == .gtd && r.expire_at_ns <= now { return deny(RiskDenial(.invalidOrder, "GTD order expires at \(r.expire_at_ns), which is not in the future")) }
        guard rt.isSubscribed(symbol), let instrument = symbols.instrument(symbol) else {
            return deny(RiskDenial(.unknownSymbol, "symbol id \(r.symbol_id) is not one of this instance's symbols"))
        }
        guard let tag = CInterop.string(r.tag), tag.utf8.count <= 64 else { return deny(RiskDenial(.invalidOrder, "order tag must be at most 64 bytes of UTF-8")) }
        if killSwitchEngaged { return deny(RiskDenial(.killSwitch, "the kill switch is engaged; no orders until restart")) }
        if journalBehind {
            return deny(RiskDenial(.tradingHalted, "the persistence writer is behind; trading is halted until it catches up"))
        }
        let amounts: (price: Decimal?, size: Decimal)
        switch OrderBoundary.decimals(type: type, price: r.price, size: r.size) {
        case .success(let value): amounts = value
        case .failure(let denial): return deny(denial)
        }
        let order = OrderRequest(clientOrderID: id, instance: rt.index, mode: rt.spec.mode, symbol: symbol, side: side, type: type,
                                 timeInForce: tif, price: amounts.price, size: amounts.size,
                                 postOnly: r.flags & TSH_ORDER_FLAG_POST_ONLY != 0, reduceOnly: r.flags & TSH_ORDER_FLAG_REDUCE_ONLY != 0,
                                 expireAt: tif == .gtd ? r.expire_at_ns : nil, tag: tag, createdAt: now)
        let denial = router.check(order, instrument: instrument, book: books[symbol.index], now: now)
        noteRiskState(rt, now: now)
        if let denial { return deny(denial) }
        metrics.orderSubmitted()
        orderTags[id] = tag
        journal?.orderSubmitted(order, instanceID: rt.spec.id)
        logger.info("Order submitted", metadata: [
            "instance.id": "\(rt.spec.id)", "plugin.id": "\(rt.spec.pluginID)", "order.id": "\(id)", "instrument.id": "\(instrument.symbol)",
            "order.side": "\(side)", "order.type": "\(type)", "order.tif": "\(tif)", "order.size": "\(amounts.size)",
            "order.price": "\(amounts.price.map { "\($0)" } ?? "market")", "order.tag": "\(tag)",
        ])
        if probeOrderHandoff { lastOrderHandoff = monotonicNanos() }
        applyVenueUpdates(router.submit(order, instrument: instrument, book: books[symbol.index], now: now))
        return TSH_OK
    }

    func cancelOrder(_ rt: InstanceRuntime, _ id: ClientOrderID, _ error: UnsafeMutablePointer<tsh_error>?) -> tsh_status {
        guard router.owner(of: id) == rt.index else {
            CInterop.write(error, code: TSH_ERR_NOT_FOUND, message: "order \(id) is not a working order of this instance")
            return TSH_ERR_NOT_FOUND
        }
        applyVenueUpdates(router.cancel(id, now: engineNow()))
        return TSH_OK
    }

    /// Persists and raises an alert when risk moved an instance's trading state (a daily
    /// loss limit halts it, for example).
    private func noteRiskState(_ rt: InstanceRuntime, now: Int64, reasonChanged: Bool = false) {
        let current = router.riskState(rt.index)
        guard current.state != knownRiskStates[rt.index] || reasonChanged else { return }
        knownRiskStates[rt.index] = current.state
        logger.error("Trading state changed", metadata: ["instance.id": "\(rt.spec.id)", "state": "\(current.state)", "reason": "\(current.reason)"])
        journal?.tradingStateChanged(instanceID: rt.spec.id, state: current.state, reason: current.reason, at: now)
        journal?.alertRaised(AlertRecord(time: now, type: "trading_state", level: current.state == .active ? .info : .critical,
                                         instanceID: rt.spec.id, details: "\(current.state): \(current.reason)"))
    }

    /// Halts all trading: every later order is denied with `kill_switch`, and working
    /// orders are canceled. The halt is persisted and holds across restarts until released
    /// (`host kill-switch release`).
    public func engageKillSwitch(reason: String) {
        guard !killSwitchEngaged else { return }
        killSwitchEngaged = true
        counters.tradingHalted = true
        logger.critical("Kill switch engaged", metadata: ["reason": "\(reason)"])
        let now = engineNow()
        journal?.tradingStateChanged(instanceID: "*", state: .halted, reason: reason, at: now)
        journal?.alertRaised(AlertRecord(time: now, type: "kill_switch", level: .critical, instanceID: nil, details: reason))
        router.engageKillSwitch(reason: reason)
        applyVenueUpdates(router.cancelAll(now: engineNow()))
        drainPending()
    }

    // MARK: - Shutdown

    private func shutdown() {
        applyVenueUpdates(router.cancelAll(now: engineNow()))
        drainPending()
        for rt in instances where rt.started {
            rt.clearError()
            let status = rt.vtable.stop(rt.instance, rt.error)
            if status != TSH_OK {
                logger.error("Plugin failed to stop cleanly", metadata: ["instance.id": "\(rt.spec.id)", "plugin.id": "\(rt.spec.pluginID)", "error.message": "\(rt.lastErrorMessage)"])
            }
            rt.started = false
            timers.cancelAll(owner: rt.index)
        }
        drainPending()
        destroyAll()
        publishSnapshot(force: true)
    }

    private func destroyAll() {
        for rt in instances where rt.created {
            rt.vtable.destroy(rt.instance)
            rt.created = false
            rt.started = false
            rt.instance = nil
        }
    }

    // MARK: - Observability

    /// Starts the frame-to-engine statistics afresh with the next batch (benchmarks measuring
    /// a steady state after a warm-up). Any thread.
    public func resetFeedLag() { feedLagReset.store(true, ordering: .relaxed) }

    /// Live only: one wall-clock read per drained batch, one histogram sample per event.
    private func recordFeedLag(_ events: [MarketEvent]) {
        if feedLagReset.exchange(false, ordering: .relaxed) { feedLag.reset() }
        guard !events.isEmpty else { return }
        let now = clock.now()
        for event in events {
            // History bars and a REST snapshot's rows (not stream frames) are not counted.
            switch event {
            case .bar(let bar) where bar.isHistory: continue
            case .bookDelta(let delta) where delta.isSnapshot: continue
            default: break
            }
            let received = event.tsRecv
            guard received > 0 else { continue }
            _ = feedLag.record(UInt64(clamping: max(0, now - received)))
        }
    }

    private func publishSnapshot(force: Bool) {
        let now = monotonicNanos()
        guard force || now - lastPublish >= 100_000_000 else { return }
        lastPublish = now
        counters.queueDepth = queue.depth
        counters.queueHighWater = queue.highWaterMark
        for rt in instances {
            statistics[rt.index].callbacks = rt.callbacks.pointee
            let positions = router.portfolio.positions(instance: rt.index, mode: rt.spec.mode)
            // In symbol order: Decimal sums round at 38 digits, and a dictionary's order changes
            // from one process to the next.
            statistics[rt.index].realizedPnL = positions.sorted { $0.key.rawValue < $1.key.rawValue }
                .reduce(Decimal(0)) { $0 + $1.value.realizedPnL - $1.value.fees }
            statistics[rt.index].openPositions = positions.values.filter { $0.quantity != 0 }.count
            statistics[rt.index].cash = router.portfolio.cash(instance: rt.index, mode: rt.spec.mode)
            statistics[rt.index].customCounters = rt.customCounters
            statistics[rt.index].customGauges = rt.customGauges
        }
        counters.instances = statistics
        if feedLag.totalCount > 0 {
            counters.feedLag = FeedLag(events: Int(clamping: feedLag.totalCount), p50Nanos: Int64(clamping: feedLag.valueAtPercentile(50)),
                                       p99Nanos: Int64(clamping: feedLag.valueAtPercentile(99)),
                                       p999Nanos: Int64(clamping: feedLag.valueAtPercentile(99.9)), maxNanos: Int64(clamping: feedLag.max))
        }
        let snapshot = counters
        snapshotState.withLock { $0 = snapshot }
        metrics.publish(snapshot, custom: instances.map { ($0.spec.id, $0.customCounters, $0.customGauges) })
    }
}

extension Decimal {
    var doubleValue: Double { NSDecimalNumber(decimal: self).doubleValue }
}

struct BarHistoryKey: Hashable {
    var symbol: tsh_symbol_id
    var interval: Int64
}

/// The last `depth` bars, as a ring once full.
struct BarRing {
    private var bars: [tsh_bar_event] = []
    private var oldest = 0

    mutating func append(_ bar: tsh_bar_event, depth: Int) {
        if bars.count < depth {
            bars.append(bar)
        } else {
            bars[oldest] = bar
            oldest = oldest + 1 == bars.count ? 0 : oldest + 1
        }
    }

    /// Oldest first.
    var ordered: [tsh_bar_event] { Array(bars[oldest...] + bars[..<oldest]) }
}
