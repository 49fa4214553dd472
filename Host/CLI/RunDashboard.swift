import Foundation
import HostConfig
import HostCore
import HostDashboard
import HostEngine
import HostPersistence
import Logging
import Synchronization

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
            positions: (try? journal.openPositions(instanceID: nil, mode: nil)) ?? [])
        self.board = board
        let feedName = "\(configuration.feed.source) feed"
        let capacity = configuration.host.queueCapacity
        let stateBox = FeedStateBox()
        let health: @Sendable () -> DashboardHealth = {
            var h = DashboardHealth()
            h.queueCapacity = capacity
            h.writerPendingRows = journal.pendingRows
            guard let snapshot = engine.engine?.snapshot() else { return h }
            h.feeds = [(feedName, stateBox.state)]
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

    func feedEnded() { stateBox.state = "ended" }

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

/// The feed's state, shared with the health closure.
final class FeedStateBox: Sendable {
    private let value = Mutex("running")
    var state: String {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
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
