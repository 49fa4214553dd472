import Foundation
import HostCore
import Logging

extension SQLiteJournal {
    /// Journals `rows` fill events into a fresh session of the database at `path`, flushes,
    /// and returns committed rows per second (enqueue to durable commit). For `host bench`;
    /// wall-clock numbers are meaningful only in release builds.
    public static func benchmarkInsertRate(path: String, rows: Int) throws(PersistenceError) -> Double {
        let journal = try SQLiteJournal(path: path, logger: silentLogger(), maxPendingRows: max(rows, 1) + 1)
        defer { journal.close() }
        let sessionID = "bench-" + UUID().uuidString
        try journal.beginSession(SessionInfo(
            id: sessionID, startedAt: WallClock().now(), hostVersion: "bench", configHash: "", configFile: "", seed: 0, plugins: []))
        let price = Decimal(string: "64123.45")!
        let size = Decimal(string: "0.001")!
        let fee = Decimal(string: "0.0641")!
        let clock = ContinuousClock()
        let start = clock.now
        for i in 0..<rows {
            journal.orderUpdated(
                OrderUpdate(clientOrderID: ClientOrderID(UInt64(i + 1)), instance: 0, symbol: SymbolID(0), side: i % 2 == 0 ? .buy : .sell,
                            status: .filled, lastFillPrice: price, lastFillSize: size, filledSize: size, averageFillPrice: price,
                            fee: fee, lastFee: fee, liquidity: .taker, timestamp: Int64(i)),
                instanceID: "bench", mode: .paper)
        }
        try journal.flush()
        let elapsed = start.duration(to: clock.now)
        journal.endSession(exitStatus: "ok")
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(rows) / seconds : .infinity
    }

    /// A logger that discards everything (benchmarks, tests).
    static func silentLogger() -> Logger {
        Logger(label: "tsh.persistence", factory: { _ in SwiftLogNoOpLogHandler() })
    }
}
