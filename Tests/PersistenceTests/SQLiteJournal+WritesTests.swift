import Foundation
import HostCore
import Testing
@testable import HostPersistence

struct SQLiteJournalWritesTests {
    @Test("State sets and deletes survive a reopen")
    func stateRoundTrips() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            journal.stateChanged(instanceID: "a", key: "kept", value: [1, 2, 3], at: 1)
            journal.stateChanged(instanceID: "a", key: "gone", value: [9], at: 2)
            journal.stateChanged(instanceID: "a", key: "kept", value: [4, 5], at: 3)
            journal.stateChanged(instanceID: "a", key: "gone", value: nil, at: 4)
            journal.stateChanged(instanceID: "b", key: "other", value: [7], at: 5)
            journal.close()
            let reopened = try openJournal(path)
            defer { reopened.close() }
            #expect(try reopened.loadState(instanceID: "a") == ["kept": [4, 5]])
            #expect(try reopened.loadState(instanceID: "b") == ["other": [7]])
        }
    }

    @Test("loadState sees state changes still queued, over committed values")
    func loadStateReadsYourWrites() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            defer { journal.close() }
            journal.stateChanged(instanceID: "a", key: "committed", value: [1], at: 1)
            journal.stateChanged(instanceID: "a", key: "deleted", value: [2], at: 2)
            try journal.flush()
            let state = journal.writer.holdingWrites {
                journal.stateChanged(instanceID: "a", key: "committed", value: [3], at: 3)
                journal.stateChanged(instanceID: "a", key: "deleted", value: nil, at: 4)
                journal.stateChanged(instanceID: "a", key: "queued", value: [5], at: 5)
                #expect(journal.pendingRows == 3)
                return try? journal.loadState(instanceID: "a")
            }
            #expect(state == ["committed": [3], "queued": [5]])
        }
    }

    @Test("Orders, order events and signals are stored with exact decimal strings and the session id")
    func ordersKeepExactDecimals() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            defer { journal.close() }
            var symbols = SymbolTable()
            symbols.register(Instrument.generic(symbol: "BTCUSDT", venue: "paper"))
            journal.setSymbols(symbols)
            try journal.beginSession(session("s1"))
            journal.orderSubmitted(OrderRequest(clientOrderID: ClientOrderID(7), instance: 0, mode: .paper, symbol: SymbolID(0),
                                                side: .sell, type: .limit, timeInForce: .gtc, price: decimal("0.1"),
                                                size: decimal("0.3"), tag: "trigger", createdAt: 10),
                                   instanceID: "inst-1")
            journal.orderUpdated(fill(7, price: "0.1", size: "0.3", time: 11), instanceID: "inst-1", mode: .paper)
            journal.signalEmitted(SignalRecord(time: 12, sourceInstanceID: "inst-1", sourcePluginID: "p", symbol: "BTCUSDT",
                                               name: "momentum", direction: -1, value: 0.25, confidence: 0.5, payload: "{\"k\":1}"))
            try journal.flush()

            #expect(try journal.strings("SELECT price || '|' || size || '|' || symbol || '|' || session_id FROM orders") == ["0.1|0.3|BTCUSDT|s1"])
            #expect(try journal.strings("SELECT last_fill_price || '|' || last_fill_size || '|' || fee FROM order_events") == ["0.1|0.3|0.01"])
            #expect(try journal.strings("SELECT typeof(price) FROM orders") == ["text"])
            let fills = try journal.fills(sessionID: "s1")
            #expect(fills.count == 1)
            #expect(fills.first?.price == decimal("0.1"))
            #expect(fills.first?.size == decimal("0.3"))
            #expect(fills.first?.symbol == "BTCUSDT")
            #expect(fills.first?.instanceID == "inst-1")
            #expect(try journal.orderCount(sessionID: "s1", instanceID: "inst-1") == 1)
            let signals = try journal.signals(sessionID: "s1")
            #expect(signals.map(\.signal) == [SignalRecord(time: 12, sourceInstanceID: "inst-1", sourcePluginID: "p", symbol: "BTCUSDT",
                                                           name: "momentum", direction: -1, value: 0.25, confidence: 0.5, payload: "{\"k\":1}")])
        }
    }

    @Test("Order events without a fill are not reported as fills")
    func fillsExcludeNonFillEvents() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path)
            defer { journal.close() }
            journal.orderUpdated(OrderUpdate(clientOrderID: ClientOrderID(1), instance: 0, symbol: SymbolID(0), side: .buy,
                                             status: .denied, denyReason: .maxPosition, reason: "too big", timestamp: 1),
                                 instanceID: "a", mode: .paper)
            journal.orderUpdated(fill(2), instanceID: "a", mode: .paper)
            try journal.flush()
            #expect(try journal.orderEventCount() == 2)
            #expect(try journal.fills().map(\.clientOrderID) == [ClientOrderID(2)])
            #expect(try journal.strings("SELECT deny_reason FROM order_events WHERE client_order_id = 1") == ["max_position"])
        }
    }

    @Test("flush returns only once every queued row is committed")
    func flushCommits() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path, batchSize: 16)
            defer { journal.close() }
            for id in 1...500 { journal.orderUpdated(fill(UInt64(id)), instanceID: "a", mode: .paper) }
            try journal.flush()
            #expect(journal.pendingRows == 0)
            #expect(try journal.orderEventCount() == 500)
        }
    }

    @Test("50,000 rows journaled past the overload bound are all stored after flush")
    func noRowIsDropped() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path, maxPendingRows: 1_000)
            defer { journal.close() }
            for id in 1...50_000 { journal.orderUpdated(fill(UInt64(id), time: Int64(id)), instanceID: "a", mode: .paper) }
            try journal.flush()
            #expect(try journal.orderEventCount() == 50_000)
            #expect(try journal.strings("SELECT COUNT(DISTINCT client_order_id) FROM order_events") == ["50000"])
        }
    }

    @Test("isOverloaded is true while more than maxPendingRows wait, and false after flush")
    func overloadFollowsPendingRows() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path, maxPendingRows: 10)
            defer { journal.close() }
            journal.writer.holdingWrites {
                for id in 1...10 { journal.orderUpdated(fill(UInt64(id)), instanceID: "a", mode: .paper) }
                #expect(!journal.isOverloaded)
                journal.orderUpdated(fill(11), instanceID: "a", mode: .paper)
                #expect(journal.isOverloaded)
            }
            try journal.flush()
            #expect(!journal.isOverloaded)
            #expect(try journal.orderEventCount() == 11)
        }
    }

    @Test("A failing write keeps its rows queued and halts trading, and they are written once the cause is gone")
    func failedWritesAreRetried() throws {
        // A trigger stands in for a full disk: every insert into order_events fails while the gate is closed.
        let gate = writeGateMigration
        try withTemporaryDatabase { path in
            let journal = try openJournal(path, extraMigrations: [(id: "v2_test_gate", sql: gate)])
            defer { journal.close() }
            for id in 1...5 { journal.orderUpdated(fill(UInt64(id)), instanceID: "a", mode: .paper) }
            let error = try #require(throws: PersistenceError.self) { try journal.flush() }
            #expect(error.code == .writeFailed)
            #expect(journal.isOverloaded)
            #expect(journal.failure != nil)
            #expect(journal.pendingRows == 5)

            try journal.execute("UPDATE test_gate SET closed = 0")
            try journal.flush()
            #expect(try journal.orderEventCount() == 5)
            #expect(!journal.isOverloaded)
            #expect(journal.failure == nil)
        }
    }

    @Test("benchmarkInsertRate commits every row it journals")
    func benchmarkWritesEveryRow() throws {
        try withTemporaryDatabase { path in
            let rows = ProcessInfo.processInfo.environment["TSH_PRINT_THROUGHPUT"] == "1" ? 200_000 : 2_000
            let rate = try SQLiteJournal.benchmarkInsertRate(path: path, rows: rows)
            if ProcessInfo.processInfo.environment["TSH_PRINT_THROUGHPUT"] == "1" {
                print("persistence throughput: \(Int(rate)) rows/s (\(rows) fill events)")
            }
            let journal = try openJournal(path)
            defer { journal.close() }
            #expect(try journal.fills().count == rows)
            #expect(try journal.sessions().first?.exitStatus == "ok")
        }
    }
}
