import ArgumentParser
import Foundation
import HostDashboard
import HostCore
import HostPersistence
import Logging

/// `host icebergs`: the iceberg levels `iceberg.so` persisted in its `iceberg_levels` record
/// table (SIGNALS.md §7) — one row per iceberg with its latest status.
struct IcebergsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "icebergs",
        abstract: "List the iceberg levels iceberg.so detected (latest status per level).",
        discussion: """
        Columns: symbol, side (bid|ask), price, status (ACTIVE, EXHAUSTED, CANCELED), cohort (whale, dolphin),
        first_time, last_time (ISO-8601 UTC), refills, total_executed, hidden_volume, peak_display.
        """)

    @Option(name: .long, help: "Data directory holding host.sqlite.")
    var dataDir = "./data"
    @Option(name: .long, help: "Only this symbol.")
    var symbol: String?
    @Flag(name: .long, help: "Print JSON (an array of levels).")
    var json = false
    @Flag(name: .long, help: "Print CSV with a header row.")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv cannot be used together") }
    }

    struct Level: Encodable, Equatable {
        var symbol: String, side: String, price: Double, status: String, cohort: String
        var firstTime: String, lastTime: String
        var refills: Int, totalExecuted: Double, hiddenVolume: Double, peakDisplay: Double
    }

    static let columns = ["symbol", "side", "price", "status", "cohort", "first_time", "last_time", "refills", "total_executed",
                          "hidden_volume", "peak_display"]

    func run() throws { try reportingFailures { print(try execute()) } }

    func execute() throws(HostFailure) -> String {
        let path = URL(fileURLWithPath: dataDir).appendingPathComponent("host.sqlite").path
        var levels: [Level] = []
        do {
            let journal = try SQLiteJournal.openExisting(path: path, logger: Logger(label: "tsh.icebergs", factory: { _ in SwiftLogNoOpLogHandler() }))
            defer { journal.close() }
            guard let table = try journal.recordTable(named: "iceberg_levels") else {
                throw HostFailure(exit: .invalidData, message: "error: \(path) has no iceberg_levels table: no iceberg instance has run on this data directory\nfix: run a configuration with an iceberg.so instance (e.g. strategies/smart_candles.yaml or strategies/screener_backtest.yaml) with --data-dir \(dataDir)")
            }
            levels = try Self.levels(journal, table, symbol: symbol)
        } catch let failure as HostFailure {
            throw failure
        } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            return (try? encoder.encode(levels)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        }
        let cells = levels.map { l in
            [l.symbol, l.side, Self.plain(l.price), l.status, l.cohort, l.firstTime, l.lastTime, "\(l.refills)",
             Self.plain(l.totalExecuted), Self.plain(l.hiddenVolume), Self.plain(l.peakDisplay)]
        }
        if csv { return ([Self.columns] + cells).map { $0.joined(separator: ",") }.joined(separator: "\n") }
        guard !levels.isEmpty else { return "no iceberg levels in \(path)" + (symbol.map { " for \($0)" } ?? "") }
        return ReportFormat.table(Self.columns, cells, indent: "").joined(separator: "\n")
    }

    /// The table's rows by symbol, side, price and first execution.
    static func levels(_ journal: SQLiteJournal, _ table: RecordTableSpec, symbol: String?) throws -> [Level] {
        let index = Dictionary(uniqueKeysWithValues: table.columns.enumerated().map { ($1.name, $0) })
        for name in ["symbol", "side", "price", "status", "cohort", "first_time", "last_time", "refills", "total_executed", "hidden_volume", "peak_display"]
        where index[name] == nil {
            throw HostFailure(exit: .storageFailure, message: "error: the iceberg_levels table has no column '\(name)'\nfix: it was created by another plugin; use another data directory")
        }
        var levels: [Level] = []
        try journal.forEachRecord(table, equal: symbol.map { [("symbol", .text($0))] } ?? [], orderBy: ["symbol", "side", "price", "first_time"]) { row in
            func text(_ name: String) -> String { if case .text(let v) = row[index[name]!] { v } else { "" } }
            func number(_ name: String) -> Double { if case .double(let v) = row[index[name]!] { v } else if case .int(let v) = row[index[name]!] { Double(v) } else { 0 } }
            func time(_ name: String) -> String { if case .int(let v) = row[index[name]!] { iso(Double(v)) } else { "" } }
            levels.append(Level(symbol: text("symbol"), side: text("side"), price: number("price"), status: text("status"), cohort: text("cohort"),
                                firstTime: time("first_time"), lastTime: time("last_time"), refills: Int(number("refills")),
                                totalExecuted: number("total_executed"), hiddenVolume: number("hidden_volume"), peakDisplay: number("peak_display")))
        }
        return levels
    }

    static func iso(_ nanos: Double?) -> String {
        guard let nanos else { return "" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: nanos / 1e9))
    }

    /// Plain decimal text (no exponent), at most 8 fraction digits, trailing zeros trimmed.
    static func plain(_ value: Double) -> String { ReportFormat.fixed(Decimal(value), minDigits: 0, maxDigits: 8) }
}
