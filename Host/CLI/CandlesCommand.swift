import ArgumentParser
import Foundation
import HostConfig
import HostCore
import HostEngine
import HostPersistence
import Logging

/// `host candles`: smart candles (SIGNALS.md §4, §7) — materialized from Tardis data by
/// orderflow.so and iceberg.so into the `smart_candles` / `iceberg_levels` tables, and exported.
struct CandlesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "candles",
        abstract: "Materialize and export smart candles (candles with order-flow features).",
        subcommands: [MaterializeCandlesCommand.self, ExportCandlesCommand.self])

    /// The table orderflow.so declares (SIGNALS.md §7).
    static let table = "smart_candles"
    static let keyColumns = ["symbol", "timeframe", "candle_time"]
}

/// `host candles materialize`: a backtest of a smart-candle configuration over a range. Rows
/// count in the bucket of their exchange timestamp however late they arrive within `--settle`;
/// the range's earlier rows are deleted first, so a re-run replaces them (idempotent).
struct MaterializeCandlesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "materialize",
        abstract: "Compute smart candles (and iceberg levels) over Tardis data into the data directory's database.",
        discussion: """
        Examples:
          host candles materialize --data ./tardis
          host candles materialize --data ./tardis --config strategies/smart_candles.yaml --from 2024-01-01T00:00:00Z --to 2024-01-02T00:00:00Z
        One pass over the range in local_timestamp order (memory holds only open candles and the books,
        whatever the range's length), with a progress line. Candles of the range's symbols that start in
        [--from, --to) are deleted first and rewritten. A row that arrives more than --settle after its
        candle's end is reported and the command fails: re-run with a larger --settle.
        """)

    @Option(name: .long, help: "Directory of Tardis CSV files.")
    var data: String
    @Option(name: .long, help: "Configuration with an orderflow.so instance (and usually iceberg.so).")
    var config = "strategies/smart_candles.yaml"
    @Option(name: .long, parsing: .upToNextOption, help: "Only these symbols.")
    var symbols: [String] = []
    @Option(name: .long, help: "Start (inclusive): ISO-8601 UTC or unix seconds.")
    var from: String?
    @Option(name: .long, help: "End (exclusive): ISO-8601 UTC or unix seconds.")
    var to: String?
    @Option(name: .long, help: "Seconds a row may arrive after its candle's end and still count (the batch's settling delay).")
    var settle: Double = 60
    @Flag(name: .long, help: "Skip malformed rows and count them, instead of stopping at the first.")
    var skipMalformed = false
    @Option(name: .long, help: "Data directory for the database (default: host.data_dir of the config).")
    var dataDir: String?
    @Flag(name: .long, help: "Print the summary as JSON.")
    var json = false
    @Flag(name: .long, help: "No progress line.")
    var quiet = false

    func validate() throws {
        guard settle >= 0, settle <= 86_400 else { throw ValidationError("--settle \(settle) must be between 0 and 86400 seconds") }
        _ = try backtest()
    }

    /// The backtest this materialization is, parsed like the command line a user would type.
    func backtest() throws -> BacktestCommand {
        var arguments = ["--data", data, "--config", config]
        if !symbols.isEmpty { arguments += ["--symbols"] + symbols }
        if let from { arguments += ["--from", from] }
        if let to { arguments += ["--to", to] }
        if skipMalformed { arguments.append("--skip-malformed") }
        if let dataDir { arguments += ["--data-dir", dataDir] }
        if json { arguments.append("--json") }
        if quiet { arguments.append("--quiet") }
        return try BacktestCommand.parse(arguments)
    }

    func run() throws { try reportingFailures(execute) }

    func execute() throws {
        let settleMillis = Int64((settle * 1000).rounded())
        var hooks = BacktestCommand.Hooks()
        hooks.configure = { configuration in
            // The batch's settle for every smart-candle instance (orderflow.so's settle_ms).
            for i in configuration.instances.indices where configuration.instances[i].kind == "orderflow" {
                configuration.instances[i].params["settle_ms"] = ConfigScalar(.int(settleMillis))
            }
        }
        hooks.beforeRun = { journal, assembly in
            let writers = assembly.specs.filter { $0.kind.recordTables.contains { $0.name == CandlesCommand.table } }
            guard !writers.isEmpty else {
                throw HostFailure(exit: .invalidConfig, message: "error: \(config): no instance writes \(CandlesCommand.table)\nfix: add an orderflow.so instance (see strategies/smart_candles.yaml)")
            }
            let names = Array(Set(writers.flatMap { $0.symbols.compactMap { assembly.symbols.instrument($0)?.symbol } })).sorted()
            let lower = from.flatMap(BacktestCommand.time) ?? .min, upper = to.flatMap(BacktestCommand.time) ?? .max
            do {
                let removed = try journal.deleteRecords(CandlesCommand.table, column: "candle_time", lower: lower, upper: upper, equalColumn: "symbol", values: names)
                if !quiet && removed > 0 { RunCommand.status("replacing \(removed) smart candles of \(names.joined(separator: ", ")) in the range") }
            } catch {
                throw HostFailure(exit: .storageFailure, message: "error: \(error)")
            }
        }
        hooks.afterRun = { snapshot in
            let late = snapshot.instances.reduce(UInt64(0)) { $0 + ($1.customCounters["late_rows"] ?? 0) }
            guard snapshot.recordsUpserted > 0 else {
                throw HostFailure(exit: .invalidData, message: "error: \(data): no candle was completed in the range\(from.map { " from \($0)" } ?? "")\(to.map { " to \($0)" } ?? "")\nfix: check --from/--to against the data's dates and --symbols")
            }
            guard late == 0 else {
                throw HostFailure(exit: .invalidData, message: "error: \(late) rows arrived more than --settle \(settle) s after their candle's end and were left out\nfix: re-run with a larger --settle (the range's rows are replaced)")
            }
        }
        try backtest().execute(hooks: hooks)
    }
}

/// `host candles export`: the §7 CSV (or JSON) of one timeframe.
struct ExportCandlesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write materialized smart candles of one timeframe as CSV (SIGNALS.md §7) or JSON.",
        discussion: """
        Examples:
          host candles export --timeframe 1m --format csv > candles_1m.csv
          host candles export --timeframe 1h --symbol BTCUSDT --format json --output btc_1h.json
        CSV: a header row, one row per candle ordered by symbol and candle_time, candle_time as
        ISO-8601 UTC, numbers in plain decimal notation, empty fields for nulls.
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json }

    @Option(name: .long, help: "Timeframe: 1s, 1m, 5m, 15m, 1h, 4h or 1d.")
    var timeframe: String
    @Option(name: .long, help: "Only this symbol.")
    var symbol: String?
    @Option(name: .long, help: "Candles starting at or after (ISO-8601 UTC or unix seconds).")
    var from: String?
    @Option(name: .long, help: "Candles starting before (ISO-8601 UTC or unix seconds).")
    var to: String?
    @Option(name: .long, help: "csv or json.")
    var format: Format = .csv
    @Option(name: .long, help: "Write to this file (written whole, then renamed into place) instead of stdout.")
    var output: String?
    @Option(name: .long, help: "Data directory holding host.sqlite.")
    var dataDir = "./data"

    static let timeframes = ["1s", "1m", "5m", "15m", "1h", "4h", "1d"]

    func validate() throws {
        guard Self.timeframes.contains(timeframe) else { throw ValidationError("--timeframe '\(timeframe)' is not one of \(Self.timeframes.joined(separator: ", "))") }
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, BacktestCommand.time(value) == nil { throw ValidationError("\(name) '\(value)' is neither ISO-8601 UTC nor unix seconds") }
        }
    }

    func run() throws { try reportingFailures { try execute() } }

    func execute() throws {
        let path = URL(fileURLWithPath: dataDir).appendingPathComponent("host.sqlite").path
        let journal: SQLiteJournal
        do {
            journal = try SQLiteJournal.openExisting(path: path, logger: Logger(label: "tsh.candles", factory: { _ in SwiftLogNoOpLogHandler() }))
        } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        defer { journal.close() }
        let table: RecordTableSpec
        do {
            guard let found = try journal.recordTable(named: CandlesCommand.table) else {
                throw HostFailure(exit: .invalidData, message: "error: \(path) has no smart candles\nfix: run `host candles materialize --data <tardis dir> --data-dir \(dataDir)` first")
            }
            table = found
        } catch let failure as HostFailure { throw failure } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        var equal: [(column: String, value: RecordValue)] = [("timeframe", .text(timeframe))]
        if let symbol { equal.append(("symbol", .text(symbol))) }
        let range = (column: "candle_time", lower: from.flatMap(BacktestCommand.time), upper: to.flatMap(BacktestCommand.time))

        // Written to a temporary file first: a failed export leaves nothing half-written.
        let target = output.map { URL(fileURLWithPath: $0) }
        let temporary = target.map { $0.deletingLastPathComponent().appendingPathComponent(".\($0.lastPathComponent).partial-\(getpid())") }
        var sink = ExportSink(path: temporary?.path)
        var count = 0
        do {
            try sink.open()
            let names = table.columns.map(\.name)
            try journal.forEachRecord(table, equal: equal, range: range, orderBy: ["symbol", "candle_time"]) { row in
                // The header with the first row: an empty export writes nothing at all.
                if count == 0 { try sink.write(format == .csv ? names.joined(separator: ",") + "\n" : "[") }
                if format == .csv {
                    try sink.write(zip(table.columns, row).map { Self.csvField($1, $0.type) }.joined(separator: ",") + "\n")
                } else {
                    try sink.write((count == 0 ? "\n" : ",\n") + "{" + zip(table.columns, row).map { "\"\($0.name)\":" + Self.jsonField($1, $0.type) }.joined(separator: ",") + "}")
                }
                count += 1
            }
            if format == .json && count > 0 { try sink.write("\n]\n") }
            try sink.close()
        } catch {
            sink.abandon()
            throw HostFailure(exit: .storageFailure, message: "error: export failed: \(error)")
        }
        guard count > 0 else {
            sink.abandon()
            throw HostFailure(exit: .invalidData, message: "error: \(path) has no \(timeframe) smart candles\(symbol.map { " of \($0)" } ?? "")\(from != nil || to != nil ? " in the range" : "")\nfix: materialize that timeframe first (orderflow.so's timeframes parameter, e.g. \"1m,\(timeframe)\")")
        }
        if let target, let temporary {
            do {
                if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
                try FileManager.default.moveItem(at: temporary, to: target)
            } catch {
                throw HostFailure(exit: .storageFailure, message: "error: cannot write \(target.path): \(error)")
            }
            FileHandle.standardError.write(Data("wrote \(count) \(timeframe) candles to \(target.path)\n".utf8))
        }
    }

    static func csvField(_ value: RecordValue, _ type: RecordColumnType) -> String {
        switch value {
        case .null: ""
        case .text(let s): s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        case .int(let v): type == .time ? isoSeconds(v) : String(v)
        case .double(let v): PlainNumber.text(v)
        }
    }

    static func jsonField(_ value: RecordValue, _ type: RecordColumnType) -> String {
        switch value {
        case .null: "null"
        case .text(let s): "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .int(let v): type == .time ? "\"" + isoSeconds(v) + "\"" : String(v)
        case .double(let v): PlainNumber.text(v)
        }
    }

    /// `2024-01-01T00:01:00Z`; fractional seconds only when the time has them.
    static func isoSeconds(_ nanos: Int64) -> String {
        let seconds = nanos.quotientAndRemainder(dividingBy: 1_000_000_000)
        var (whole, fraction) = seconds
        if fraction < 0 { whole -= 1; fraction += 1_000_000_000 }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let text = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(whole)))
        guard fraction != 0 else { return text }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return String(text.dropLast()) + "." + digits + "Z"
    }
}

/// Numbers in plain decimal notation (never an exponent): the shortest text that reads back
/// as the same double, with its exponent spelled out as digits.
enum PlainNumber {
    static func text(_ value: Double) -> String {
        guard value.isFinite else { return "" }
        let shortest = "\(value)"
        guard let e = shortest.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
            return shortest.hasSuffix(".0") ? String(shortest.dropLast(2)) : shortest
        }
        let exponent = Int(shortest[shortest.index(after: e)...]) ?? 0
        var mantissa = String(shortest[..<e])
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = integer + fraction
        var point = integer.count + exponent
        if point <= 0 {
            digits = String(repeating: "0", count: -point + 1) + digits
            point = 1
        } else if point > digits.count {
            digits += String(repeating: "0", count: point - digits.count)
        }
        var whole = String(digits.prefix(point)), rest = String(digits.dropFirst(point))
        while rest.hasSuffix("0") { rest.removeLast() }
        while whole.count > 1 && whole.hasPrefix("0") { whole.removeFirst() }
        return (negative ? "-" : "") + whole + (rest.isEmpty ? "" : "." + rest)
    }
}

/// Buffered text output to stdout or a file.
struct ExportSink {
    let path: String?
    private var handle: FileHandle?
    private var buffer: [UInt8] = []

    init(path: String?) { self.path = path }

    mutating func open() throws {
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        } else {
            handle = FileHandle.standardOutput
        }
        buffer.reserveCapacity(1 << 16)
    }

    mutating func write(_ text: String) throws {
        buffer += text.utf8
        if buffer.count >= 1 << 16 { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle?.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func close() throws {
        try flush()
        if path != nil { try handle?.close() }
    }

    /// Drops the partial file, if any.
    mutating func abandon() {
        if let path {
            try? handle?.close()
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
