import ArgumentParser
import Foundation
import HostCore
import HostPersistence
import Logging

/// `host icebergs`: the iceberg levels `iceberg.so` reported, from the journaled
/// `iceberg.active` / `.exhausted` / `.canceled` signals — one row per level (symbol, side,
/// price) with its latest status, in the columns of SIGNALS.md §7.
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
    @Option(name: .long, help: "Only this session.")
    var session: String?
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
        var rows: [SignalRow] = []
        do {
            let journal = try SQLiteJournal.openExisting(path: path, logger: Logger(label: "tsh.icebergs", factory: { _ in SwiftLogNoOpLogHandler() }))
            defer { journal.close() }
            for name in ["iceberg.active", "iceberg.exhausted", "iceberg.canceled"] {
                rows += try journal.signals(sessionID: session, name: name)
            }
        } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        let levels = Self.levels(from: rows.map(\.signal), symbol: symbol)
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

    /// One level per (symbol, side, price), its latest report winning; by symbol, side, price.
    static func levels(from signals: [SignalRecord], symbol wanted: String?) -> [Level] {
        var latest: [String: (time: Int64, level: Level)] = [:]
        for signal in signals {
            guard let symbol = signal.symbol, wanted == nil || symbol == wanted,
                  let payload = (try? JSONSerialization.jsonObject(with: Data(signal.payload.utf8))) as? [String: Any],
                  let side = payload["side"] as? String, let price = (payload["price"] as? NSNumber)?.doubleValue else { continue }
            let number = { (key: String) in (payload[key] as? NSNumber)?.doubleValue }
            let level = Level(
                symbol: symbol, side: side, price: price, status: payload["status"] as? String ?? "", cohort: payload["cohort"] as? String ?? "",
                firstTime: iso(number("first_time")), lastTime: iso(number("last_time")), refills: Int(number("refills") ?? 0),
                totalExecuted: number("executed") ?? 0, hiddenVolume: number("hidden_volume") ?? 0, peakDisplay: number("peak_display") ?? 0)
            let key = "\(symbol) \(side) \(price)"
            if let existing = latest[key], existing.time > signal.time { continue }
            latest[key] = (signal.time, level)
        }
        return latest.values.map(\.level).sorted { ($0.symbol, $0.side, $0.price) < ($1.symbol, $1.side, $1.price) }
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
