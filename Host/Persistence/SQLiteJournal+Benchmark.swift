import Foundation
import HostCore
import Logging

extension SQLiteJournal {
    /// Queues `rows` fill events (order events, the widest row: 19 columns, 7 exact decimals)
    /// for a fresh session of the database at `path` while the writer is held, then releases
    /// it and returns the rows per second it commits (release to the last commit): the
    /// writer's sustained rate, apart from the producers' enqueue cost. For `host bench`;
    /// wall-clock numbers are meaningful only in release builds.
    public static func benchmarkInsertRate(path: String, rows: Int) throws(PersistenceError) -> Double {
        try benchmark(path: path, rows: rows).writerRowsPerSecond
    }

    /// The writer's rate (see `benchmarkInsertRate`) and the enqueue cost on the calling thread.
    /// Row shapes the benchmark can write.
    public enum BenchmarkRow: String, Sendable, CaseIterable {
        /// `order_events`: 19 columns, 7 exact decimals (the widest row).
        case orderEvent = "order_event"
        /// `signals`: 11 columns.
        case signal
        /// `book_snapshots`: 10 levels a side as exact text.
        case bookSnapshot = "book_snapshot"
    }

    public static func benchmark(path: String, rows: Int, row kind: BenchmarkRow = .orderEvent) throws(PersistenceError)
        -> (writerRowsPerSecond: Double, enqueueNanosPerRow: Double) {
        let journal = try SQLiteJournal(path: path, logger: silentLogger(), maxPendingRows: max(rows, 1) + 1)
        defer { journal.close() }
        let sessionID = "bench-" + UUID().uuidString
        try journal.beginSession(SessionInfo(
            id: sessionID, startedAt: WallClock().now(), hostVersion: "bench", configHash: "", configFile: "", seed: 0, plugins: []))
        let price = Decimal(string: "64123.45")!
        let size = Decimal(string: "0.001")!
        let fee = Decimal(string: "0.0641")!
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double { d.inSeconds }
        let enqueueSeconds = journal.writer.holdingWrites { () -> Double in
            let start = clock.now
            let levels = (0..<10).map { (price: Fixed8(raw: 6_412_345_000_000 - Int64($0) * 1_000_000), size: Fixed8(raw: 12_345_678 * Int64($0 + 1))) }
            for i in 0..<rows {
                switch kind {
                case .orderEvent:
                    journal.orderUpdated(
                        OrderUpdate(clientOrderID: ClientOrderID(UInt64(i + 1)), instance: 0, symbol: SymbolID(0), side: i % 2 == 0 ? .buy : .sell,
                                    status: .filled, lastFillPrice: price, lastFillSize: size, filledSize: size, averageFillPrice: price,
                                    fee: fee, lastFee: fee, liquidity: .taker, timestamp: Int64(i)),
                        instanceID: "bench", mode: .paper)
                case .signal:
                    journal.signalEmitted(SignalRecord(time: Int64(i), sourceInstanceID: "bench", sourcePluginID: "dev.bench", symbol: "BTCUSDT",
                                                       name: "trigger.price_move", direction: i % 2 == 0 ? 1 : -1, value: 12.5, confidence: 0.8, payload: ""))
                case .bookSnapshot:
                    journal.bookSnapshot(symbol: SymbolID(0), time: Int64(i), bids: levels, asks: levels)
                }
            }
            return seconds(start.duration(to: clock.now))
        }
        let start = clock.now
        try journal.flush()
        let elapsed = seconds(start.duration(to: clock.now))
        journal.endSession(exitStatus: "ok")
        return (elapsed > 0 ? Double(rows) / elapsed : .infinity, enqueueSeconds * 1e9 / Double(max(rows, 1)))
    }

    /// A logger that discards everything (benchmarks, tests).
    static func silentLogger() -> Logger {
        Logger(label: "tsh.persistence", factory: { _ in SwiftLogNoOpLogHandler() })
    }
}
