import Foundation
import GRDB
import HostCore
import Logging

/// A fill as the portfolio booked it (a `fills` row): what the trading report is built from.
public struct BookedFillRow: Sendable, Hashable {
    /// Insertion order; fills of one account are applied in this order.
    public var id: Int64
    public var sessionID: String
    public var instanceID: String
    /// `paper` or `live`.
    public var mode: String
    public var dryRun: Bool
    public var symbol: String
    public var side: String
    public var price: Decimal
    public var size: Decimal
    /// Fee of this fill, in the quote asset.
    public var fee: Decimal
    /// The order's tag: `entry`, `stop_loss`, `trailing_stop`, `take_profit`, `settlement`, …
    public var reason: String
    /// PnL this fill realized, before fees (non-zero on closing fills).
    public var realizedPnL: Decimal
    /// The signed position quantity after this fill.
    public var positionAfter: Decimal
    /// ns since the Unix epoch.
    public var time: Int64

    public init(id: Int64, sessionID: String, instanceID: String, mode: String, dryRun: Bool, symbol: String, side: String, price: Decimal,
                size: Decimal, fee: Decimal, reason: String, realizedPnL: Decimal, positionAfter: Decimal, time: Int64) {
        self.id = id
        self.sessionID = sessionID
        self.instanceID = instanceID
        self.mode = mode
        self.dryRun = dryRun
        self.symbol = symbol
        self.side = side
        self.price = price
        self.size = size
        self.fee = fee
        self.reason = reason
        self.realizedPnL = realizedPnL
        self.positionAfter = positionAfter
        self.time = time
    }
}

/// A row of the `positions` table: an account's position in one symbol, as last booked.
public struct PositionRow: Sendable, Hashable {
    public var instanceID: String
    public var mode: String
    public var symbol: String
    /// Signed: negative is short.
    public var quantity: Decimal
    public var averagePrice: Decimal
    /// Realized over the position's life, before fees.
    public var realizedPnL: Decimal
    public var fees: Decimal
    /// ns since the Unix epoch.
    public var updatedAt: Int64
}

/// Read queries of the trading report (`host report`). Like the other read helpers they
/// see committed rows only.
extension SQLiteJournal {
    /// Opens the host database at `path` for a report, never creating one: a missing file is
    /// an error that says which path was looked at and how to point at the right one.
    ///
    /// Read-only: it never migrates nor writes (the file may be read-only, or a running host's).
    ///
    /// - Throws: `PersistenceError` with code `cannotOpen` (missing, or a directory),
    ///   `notADatabase`, `foreignDatabase`, `olderSchema` or `newerSchema`.
    public static func openExisting(path: String, logger: Logger) throws(PersistenceError) -> SQLiteJournal {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PersistenceError(
                code: .cannotOpen, path: path, message: "no database here",
                fix: "pass --data-dir with the directory a run used (the database is <data-dir>/host.sqlite)")
        }
        if isDirectory.boolValue {
            throw PersistenceError(code: .cannotOpen, path: path, message: "is a directory, not a database file",
                                   fix: "pass --data-dir with this directory")
        }
        return try SQLiteJournal(path: path, logger: logger, maxPendingRows: 100_000, batchSize: 8_192, extraMigrations: [], readOnly: true)
    }

    /// Booked fills (the `fills` table) in insertion order, optionally of one instance and mode.
    ///
    /// - Throws: `PersistenceError` (`readFailed`) when a decimal column holds malformed text.
    public func bookedFills(instanceID: String? = nil, mode: String? = nil) throws(PersistenceError) -> [BookedFillRow] {
        let (filter, arguments) = Self.accountFilter(instanceID: instanceID, mode: mode)
        let path = self.path
        return try read { db in
            let sql = """
                SELECT id, session_id, instance_id, mode, dry_run, symbol, side, price, size, fee, reason, realized_pnl,
                    position_after, ts
                FROM fills\(filter) ORDER BY id
                """
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                BookedFillRow(
                    id: row["id"], sessionID: row["session_id"], instanceID: row["instance_id"], mode: row["mode"],
                    dryRun: row["dry_run"], symbol: row["symbol"], side: row["side"],
                    price: try Self.exactDecimal(row, "price", table: "fills", path: path),
                    size: try Self.exactDecimal(row, "size", table: "fills", path: path),
                    fee: try Self.exactDecimal(row, "fee", table: "fills", path: path),
                    reason: row["reason"],
                    realizedPnL: try Self.exactDecimal(row, "realized_pnl", table: "fills", path: path),
                    positionAfter: try Self.exactDecimal(row, "position_after", table: "fills", path: path),
                    time: row["ts"])
            }
        }
    }

    /// Rows of the `positions` table whose quantity is not zero, by instance, mode and symbol.
    public func openPositions(instanceID: String? = nil, mode: String? = nil) throws(PersistenceError) -> [PositionRow] {
        let (filter, arguments) = Self.accountFilter(instanceID: instanceID, mode: mode)
        let path = self.path
        return try read { db in
            let sql = """
                SELECT instance_id, mode, symbol, quantity, average_price, realized_pnl, fees, updated_at
                FROM positions\(filter) ORDER BY instance_id, mode, symbol
                """
            return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row -> PositionRow? in
                let quantity = try Self.exactDecimal(row, "quantity", table: "positions", path: path)
                guard quantity != 0 else { return nil }
                return PositionRow(
                    instanceID: row["instance_id"], mode: row["mode"], symbol: row["symbol"], quantity: quantity,
                    averagePrice: try Self.exactDecimal(row, "average_price", table: "positions", path: path),
                    realizedPnL: try Self.exactDecimal(row, "realized_pnl", table: "positions", path: path),
                    fees: try Self.exactDecimal(row, "fees", table: "positions", path: path),
                    updatedAt: row["updated_at"])
            }
        }
    }

    private static func accountFilter(instanceID: String?, mode: String?) -> (String, StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let instanceID {
            conditions.append("instance_id = ?")
            arguments += [instanceID]
        }
        if let mode {
            conditions.append("mode = ?")
            arguments += [mode]
        }
        return (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "), arguments)
    }

    /// Money is stored as exact text; anything else is a damaged row, never read as zero.
    private static func exactDecimal(_ row: Row, _ column: String, table: String, path: String) throws -> Decimal {
        let text: String = row[column]
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), !value.isNaN else {
            throw PersistenceError(code: .readFailed, path: path, message: "\(table).\(column) holds '\(text)', which is not a decimal",
                                   fix: "restore the database from a backup")
        }
        return value
    }
}
