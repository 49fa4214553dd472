import Foundation
import HostConfig
import HostCore
import HostDashboard
import HostEngine
import HostPersistence
import Logging
import Synchronization
import VenueKit

/// `host run --dashboard-port`: the live dashboard wired to a run — its board observes the
/// journal tee and the simulated feed's batches, its health comes from the engine's published
/// snapshot and the writer's backlog, and its kill switch is the host's own: persisted like
/// `host kill-switch`, then handed to the engine as the `.killSwitch` input SIGUSR1 sends.
final class RunDashboard: Sendable {
    let board: DashboardBoard
    let server: DashboardServer

    /// Checks the access rules (a clear error before anything starts) and builds the board
    /// from the configuration and the fills and positions already in the database.
    init(configuration: StrategyConfig, port: Int, host: String, assembly: SessionAssembly, journal: SQLiteJournal, engine: EngineBox,
         logger: Logger) throws(HostFailure) {
        let access: DashboardAccess
        do {
            access = try DashboardAccess(host: host, token: DashboardAccess.token(configured: configuration.host.dashboardToken))
        } catch {
            throw HostFailure(exit: .usage, message: "error: dashboard: \(error)")
        }
        let board = DashboardBoard(
            symbols: assembly.symbols,
            instances: assembly.specs.map { DashboardInstance(id: $0.id, pluginID: $0.pluginID, mode: $0.mode, dailyLossLimit: $0.risk.dailyLossLimit) },
            fills: (try? journal.bookedFills(instanceID: nil, mode: nil)) ?? [],
            positions: (try? journal.openPositions(instanceID: nil, mode: nil)) ?? [],
            cohorts: Self.cohortThresholds(configuration, symbols: assembly.symbols.instruments.map(\.symbol)))
        self.board = board
        let feedName = "\(configuration.feed.source) feed"
        let capacity = configuration.host.queueCapacity
        let stateBox = FeedStateBox()
        let health: @Sendable () -> DashboardHealth = {
            var h = DashboardHealth()
            h.queueCapacity = capacity
            h.writerPendingRows = journal.pendingRows
            guard let snapshot = engine.engine?.snapshot() else { return h }
            h.feeds = [(feedName, stateBox.description)]
            h.eventsProcessed = snapshot.eventsProcessed
            h.queueDepth = snapshot.queueDepth
            h.queueCapacity = capacity
            h.queueHighWater = snapshot.queueHighWater
            h.writerPendingRows = journal.pendingRows
            h.feedLagP50Nanos = snapshot.feedLag?.p50Nanos
            h.feedLagP99Nanos = snapshot.feedLag?.p99Nanos
            h.callbacks = snapshot.instances.map {
                .init(instanceID: $0.instanceID, averageNanos: $0.averageCallbackNanos, maxNanos: $0.maxCallbackNanos, errors: $0.callbackErrors)
            }
            return h
        }
        let killSwitch: DashboardServer.KillSwitchAction = { engage, reason in
            let now = WallClock().now()
            try journal.setKillSwitch(engaged: engage, reason: reason, at: now)
            if engage {
                logger.critical("Dashboard: engaging the kill switch", metadata: ["reason": "\(reason)"])
                _ = engine.engine?.queue.push(.killSwitch(reason: reason))
                return "kill switch ENGAGED: orders are denied and working orders canceled"
            }
            logger.notice("Dashboard: kill switch released for the next run", metadata: ["reason": "\(reason)"])
            return "kill switch RELEASED for the next run (this running host stays halted until restarted)"
        }
        server = DashboardServer(board: board, access: access, port: port, health: health, killSwitch: killSwitch)
        self.stateBox = stateBox
    }

    private let stateBox: FeedStateBox

    /// The cohort thresholds W and D per symbol for the candle chart's per-cohort CVD, as the
    /// configuration gives them to the order-flow plugins: `whale_notional` and `dolphin_notional`
    /// of the first instance (in file order) that sets either for the symbol, its per-symbol
    /// `overrides` before its `params`; SIGNALS.md §4's defaults (100,000 and 10,000) otherwise.
    static func cohortThresholds(_ configuration: StrategyConfig, symbols: [String]) -> [String: CohortThresholds] {
        func number(_ scalar: ConfigScalar?) -> Double? {
            switch scalar?.value {
            case .double(let v)?: v
            case .int(let v)?: Double(v)
            default: nil
            }
        }
        var out: [String: CohortThresholds] = [:]
        for symbol in symbols {
            for instance in configuration.instances where instance.symbols.contains(symbol) || instance.symbols.contains("*") {
                let override = instance.overrides[symbol] ?? [:]
                let whale = number(override["whale_notional"]) ?? number(instance.params["whale_notional"])
                let dolphin = number(override["dolphin_notional"]) ?? number(instance.params["dolphin_notional"])
                guard whale != nil || dolphin != nil else { continue }
                let defaults = CohortThresholds()
                out[symbol] = CohortThresholds(whale: whale ?? defaults.whale, dolphin: dolphin ?? defaults.dolphin)
                break
            }
        }
        return out
    }

    func feedEnded() { stateBox.state = "ended" }

    /// A live feed's counters: its connection state shows on the health view.
    func attach(_ counters: VenueCounters) { stateBox.counters = counters }

    /// A batch of a feed's events, before it is queued for the engine (on the feed's thread).
    func observe(_ batch: [MarketEvent]) { board.observe(batch) }

    /// A live feed's per-symbol staleness (its stream client's thread).
    func feedStatus(symbol: SymbolID, stale: Bool) { board.feedStatus(symbol: symbol, stale: stale) }

    /// Serves until canceled; `announce` gets the page's URL once bound. A failure to serve is
    /// logged and never stops trading.
    func serve(logger: Logger, announce: @escaping @Sendable (String) -> Void) async {
        let host = server.access.host
        do {
            try await server.run(logger: Logger(label: "tsh.dashboard")) { port in
                let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/"
                logger.notice("Dashboard enabled", metadata: ["dashboard.url": "\(url)"])
                announce(url)
            }
        } catch is CancellationError {
        } catch {
            logger.error("Dashboard stopped", metadata: ["error": "\(error)"])
        }
    }
}

/// The feed's state, shared with the health closure: "running" or "ended", and for a live
/// feed its connection state from the venue's counters.
final class FeedStateBox: Sendable {
    private let value = Mutex("running")
    private let venue = Mutex<VenueCounters?>(nil)
    var state: String {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
    var counters: VenueCounters? {
        get { venue.withLock { $0 } }
        set { venue.withLock { $0 = newValue } }
    }

    /// What the health view shows for the feed.
    var description: String {
        let state = state
        guard state != "ended", let c = counters else { return state }
        return Self.connection(connects: c.connects.load(ordering: .relaxed), disconnects: c.disconnects.load(ordering: .relaxed),
                               gaps: c.gaps.load(ordering: .relaxed), resyncs: c.resyncs.load(ordering: .relaxed),
                               breakerOpenings: c.breakerOpenings.load(ordering: .relaxed))
    }

    /// A live feed's connection state from its counters (over all its connections): connected
    /// while more connections were opened than lost, with the lost ones, sequence gaps, book
    /// resyncs and circuit breaker openings so far.
    static func connection(connects: Int64, disconnects: Int64, gaps: Int64, resyncs: Int64, breakerOpenings: Int64) -> String {
        func count(_ n: Int64, _ what: String) -> String { "\(n) \(what)\(n == 1 ? "" : "s")" }
        let open = connects - disconnects
        var parts = [connects == 0 ? "connecting" : open > 0 ? "connected (\(count(open, "connection")))" : "disconnected, reconnecting"]
        if disconnects > 0 { parts.append(count(disconnects, "connection") + " lost") }
        if gaps > 0 { parts.append(count(gaps, "sequence gap")) }
        if resyncs > 0 { parts.append(count(resyncs, "book resync")) }
        if breakerOpenings > 0 { parts.append(count(breakerOpenings, "circuit breaker opening")) }
        return parts.joined(separator: " · ")
    }
}

/// The run's engine, for the dashboard built before it (the engine takes the dashboard's journal tee).
final class EngineBox: Sendable {
    private let value = Mutex<Engine?>(nil)
    var engine: Engine? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
