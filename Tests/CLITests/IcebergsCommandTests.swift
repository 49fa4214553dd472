import ArgumentParser
import Foundation
import HostCore
import HostPersistence
import Logging
import Testing
@testable import HostCLI

/// `host icebergs`: the rows of the `iceberg_levels` record table iceberg.so declares.
struct IcebergsCommandTests {
    /// The table as iceberg.so declares it (Plugins/Iceberg): test targets do not link plugins.
    static let table = RecordTableSpec(name: "iceberg_levels", columns: [
        .init(name: "symbol", type: .text, isKey: true), .init(name: "side", type: .text, isKey: true),
        .init(name: "price", type: .double, isKey: true), .init(name: "first_time", type: .time, isKey: true),
        .init(name: "status", type: .text), .init(name: "cohort", type: .text), .init(name: "last_time", type: .time),
        .init(name: "refills", type: .int), .init(name: "total_executed", type: .double), .init(name: "executed_notional", type: .double),
        .init(name: "hidden_volume", type: .double), .init(name: "peak_display", type: .double), .init(name: "status_time", type: .time),
    ])

    static func row(_ symbol: String, _ side: String, _ price: Double, _ status: String, refills: Int64 = 2) -> RecordRow {
        RecordRow(table: "iceberg_levels", values: [
            .text(symbol), .text(side), .double(price), .int(1_704_067_200_000_000_000), .text(status), .text("whale"),
            .int(1_704_067_201_500_000_000), .int(refills), .double(2.5), .double(250), .double(2), .double(0.5), .int(1_704_067_202_000_000_000),
        ])
    }

    static func dataDirectory(_ rows: [RecordRow]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-icebergs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let journal = try SQLiteJournal(path: dir.appendingPathComponent("host.sqlite").path, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try journal.declareRecordTables([RecordTableDeclaration(table: table, pluginID: "dev.strategyhost.iceberg", kindID: "iceberg")], at: 0)
        for row in rows { journal.recordUpserted(row) }
        try journal.flush()
        journal.close()
        return dir
    }

    @Test("a status change replaces the level's row; levels are listed by symbol, side and price; --symbol filters")
    func latestStatusPerLevel() throws {
        let dir = try Self.dataDirectory([
            Self.row("ETHUSDT", "ask", 3000, "ACTIVE"), Self.row("BTCUSDT", "bid", 100, "ACTIVE"),
            Self.row("BTCUSDT", "bid", 100, "EXHAUSTED", refills: 4), Self.row("BTCUSDT", "bid", 99.5, "ACTIVE"),
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        var command = try IcebergsCommand.parse(["--data-dir", dir.path, "--csv"])
        let lines = try command.execute().split(separator: "\n").map(String.init)
        #expect(lines.first == IcebergsCommand.columns.joined(separator: ","))
        #expect(lines.dropFirst().map { $0.split(separator: ",").prefix(4).joined(separator: " ") } == [
            "BTCUSDT bid 99.5 ACTIVE", "BTCUSDT bid 100 EXHAUSTED", "ETHUSDT ask 3000 ACTIVE",
        ])
        #expect(lines[2].contains("2024-01-01T00:00:00.000Z,2024-01-01T00:00:01.500Z,4,"))
        command = try IcebergsCommand.parse(["--data-dir", dir.path, "--csv", "--symbol", "ETHUSDT"])
        #expect(try command.execute().split(separator: "\n").count == 2)
    }

    @Test("a data directory where no iceberg instance ran is a clear error with exit 68")
    func noTableIsAnError() throws {
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-icebergs-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: other) }
        let journal = try SQLiteJournal(path: other.appendingPathComponent("host.sqlite").path, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        journal.close()
        let command = try IcebergsCommand.parse(["--data-dir", other.path])
        #expect {
            _ = try command.execute()
        } throws: { error in
            guard let failure = error as? HostFailure else { return false }
            return failure.exit == .invalidData && failure.message.contains("no iceberg_levels table")
        }
    }
}
