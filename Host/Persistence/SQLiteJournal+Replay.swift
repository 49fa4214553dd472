import Foundation
import GRDB
import HostCore

/// What `host replay` compares: a session's decisions as stored, one canonical line each.
public struct DecisionStream: Sendable, Equatable {
    /// Orders that passed risk, in id order.
    public var orders: [String] = []
    /// Every order state change (denials included), in the order it was journaled.
    public var updates: [String] = []
    /// Signals on the bus, in the order they were emitted.
    public var signals: [String] = []

    public var count: Int { orders.count + updates.count + signals.count }
}

extension SQLiteJournal {
    /// The decision stream of a session.
    public func decisionStream(sessionID: String) throws(PersistenceError) -> DecisionStream {
        try read { db in
            var stream = DecisionStream()
            stream.orders = try Row.fetchAll(db, sql: """
                SELECT client_order_id, instance_id, symbol, side, type, tif, price, size, tag, created_at
                FROM orders WHERE session_id = ? ORDER BY client_order_id
                """, arguments: [sessionID]).map { r in
                let price: String? = r[6]
                let id: Int64 = r[0], instance: String = r[1], symbol: String = r[2], side: String = r[3], type: String = r[4]
                let tif: String = r[5], size: String = r[7], tag: String = r[8], created: Int64 = r[9]
                return "order \(id) \(instance) \(symbol) \(side) \(type) \(tif) \(price ?? "market") \(size) tag=\(tag) at \(created)"
            }
            stream.updates = try Row.fetchAll(db, sql: """
                SELECT client_order_id, instance_id, status, deny_reason, last_fill_price, last_fill_size, filled_size, fee, ts
                FROM order_events WHERE session_id = ? ORDER BY id
                """, arguments: [sessionID]).map { r in
                let deny: String? = r[3]
                let id: Int64 = r[0], instance: String = r[1], status: String = r[2], price: String = r[4], size: String = r[5]
                let filled: String = r[6], fee: String = r[7], ts: Int64 = r[8]
                return "update \(id) \(instance) \(status)\(deny.map { " deny=\($0)" } ?? "") fill=\(size)@\(price) filled=\(filled) fee=\(fee) at \(ts)"
            }
            stream.signals = try Row.fetchAll(db, sql: """
                SELECT source_instance, name, symbol, direction, value, confidence, payload, ts
                FROM signals WHERE session_id = ? ORDER BY id
                """, arguments: [sessionID]).map { r in
                let symbol: String? = r[2]
                let instance: String = r[0], name: String = r[1], direction: Int64 = r[3], value: Double = r[4], confidence: Double = r[5]
                let payload: String = r[6], ts: Int64 = r[7]
                return "signal \(instance) \(name) \(symbol ?? "-") dir=\(direction) value=\(value) conf=\(confidence) payload=\(payload) at \(ts)"
            }
            return stream
        }
    }

    /// Copies the fills of sessions that started before `time` from the database at `path`
    /// into this one, so an engine replaying a session starts from the accounts it restored.
    public func copyFills(from path: String, startedBefore time: Int64) throws(PersistenceError) {
        do {
            try writer.pool.writeWithoutTransaction { db in
                try db.execute(sql: "ATTACH DATABASE ? AS source", arguments: [path])
                defer { try? db.execute(sql: "DETACH DATABASE source") }
                try db.inTransaction {
                    try db.execute(sql: """
                        INSERT INTO fills (session_id, client_order_id, instance_id, mode, dry_run, symbol, side, price, size, fee,
                            liquidity, reason, realized_pnl, position_after, ts)
                        SELECT session_id, client_order_id, instance_id, mode, dry_run, symbol, side, price, size, fee,
                            liquidity, reason, realized_pnl, position_after, ts
                        FROM source.fills WHERE session_id IN (SELECT id FROM source.sessions WHERE started_at < ?) ORDER BY id
                        """, arguments: [time])
                    return .commit
                }
            }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .readFailed)
        }
    }
}
