import Foundation
import HostDashboard
import HostPersistence

/// Trades and figures for one filter over the host database: what `host report` prints.
struct TradeReport: Sendable {
    struct Filter: Sendable, Hashable {
        var sessionID: String?
        var instanceID: String?
        var mode: String?
    }

    var database: String
    var filter: Filter
    /// Closed trades in close order (time, then closing fill).
    var trades: [RoundTrip]
    var statistics: TradeStatistics
    /// Non-zero rows of the positions table (not narrowed by session: positions carry over).
    var openPositions: [PositionRow]

    /// Reads the fills and positions of the filtered accounts and builds the report.
    ///
    /// Round trips are built from every fill of the accounts, then kept when their closing
    /// fill belongs to the requested session.
    init(journal: SQLiteJournal, filter: Filter) throws(PersistenceError) {
        let fills = try journal.bookedFills(instanceID: filter.instanceID, mode: filter.mode)
        var trades = RoundTripBuilder.build(fills).closed
        if let session = filter.sessionID { trades.removeAll { $0.sessionID != session } }
        self.init(database: journal.path, filter: filter, trades: trades,
                  openPositions: try journal.openPositions(instanceID: filter.instanceID, mode: filter.mode))
    }

    init(database: String, filter: Filter, trades: [RoundTrip], openPositions: [PositionRow]) {
        self.database = database
        self.filter = filter
        self.trades = trades.sorted { ($0.closedAt, $0.closingFillID) < ($1.closedAt, $1.closingFillID) }
        self.statistics = TradeStatistics(self.trades)
        self.openPositions = openPositions
    }
}
