import Foundation
import HostCore
@testable import HostPersistence

/// A fresh directory per test, removed afterwards; `body` gets the database path inside it.
func withTemporaryDatabase<T>(_ body: (String) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("tsh-persistence-tests-\(UUID().uuidString)", isDirectory: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory.appendingPathComponent("data/host.sqlite").path)
}

func openJournal(_ path: String, maxPendingRows: Int = 100_000, batchSize: Int = 2_048,
                 extraMigrations: [(id: String, sql: String)] = [], slowdownMicros: Int = 0) throws -> SQLiteJournal {
    try SQLiteJournal(path: path, logger: SQLiteJournal.silentLogger(), maxPendingRows: maxPendingRows,
                      batchSize: batchSize, extraMigrations: extraMigrations, slowdownMicros: slowdownMicros)
}

func decimal(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }

func session(_ id: String = "s1", startedAt: Int64 = 1_000) -> SessionInfo {
    SessionInfo(id: id, startedAt: startedAt, hostVersion: "0.1.0", configHash: "abc123", configFile: "strategy.yaml",
                seed: UInt64.max, plugins: [SessionPlugin(pluginID: "price_move_trigger", version: "1.2.0",
                                                          path: "/opt/tsh/libprice_move_trigger.so", fileFingerprint: "sha256:ff00")])
}

func fill(_ id: UInt64, price: String = "100.5", size: String = "0.25", time: Int64 = 0) -> OrderUpdate {
    OrderUpdate(clientOrderID: ClientOrderID(id), instance: 0, symbol: SymbolID(0), side: .buy, status: .filled,
                lastFillPrice: decimal(price), lastFillSize: decimal(size), filledSize: decimal(size),
                averageFillPrice: decimal(price), fee: decimal("0.01"), lastFee: decimal("0.01"), liquidity: .taker,
                venueOrderID: "paper-\(id)", timestamp: time)
}

/// A test migration standing in for a full disk: every insert into order_events fails while
/// `test_gate.closed` is 1 (`UPDATE test_gate SET closed = 0` opens it).
let writeGateMigration = """
    CREATE TABLE test_gate (closed INTEGER NOT NULL);
    INSERT INTO test_gate VALUES (1);
    CREATE TRIGGER test_gate_orders BEFORE INSERT ON order_events WHEN (SELECT closed FROM test_gate) = 1
    BEGIN SELECT RAISE(ABORT, 'gate closed'); END;
    """
