import ArgumentParser
import Foundation
import HostConfig
import HostCore
import HostEngine
import HostPersistence
import HostPlugins
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
          host candles materialize --session last --data-dir ./data     # a recorded live session's inputs
        Live, run orderflow.so in the session's own configuration (settle_ms for the settling delay).
        One pass over the range in local_timestamp order (memory holds only open candles and the books,
        whatever the range's length), with a progress line. Candles of the range's symbols that start in
        [--from, --to) are deleted first and rewritten. A row that arrives more than --settle after its
        candle's end is reported and the command fails: re-run with a larger --settle.
        """)

    @Option(name: .long, help: "Directory of Tardis CSV files.")
    var data: String?
    @Option(name: .long, help: "Instead of --data: a recorded session of the data directory (its id, or 'last'), whose recorded inputs are fed through the configuration.")
    var session: String?
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
        switch (data, session) {
        case (nil, nil): throw ValidationError("pass --data <Tardis directory> or --session <id|last>")
        case (.some, .some): throw ValidationError("pass --data or --session, not both")
        case (nil, .some):
            if from != nil || to != nil || !symbols.isEmpty || skipMalformed {
                throw ValidationError("--from, --to, --symbols and --skip-malformed filter Tardis files; a --session is materialized whole")
            }
        case (.some, nil): _ = try backtest()
        }
    }

    /// The backtest this materialization is, parsed like the command line a user would type.
    func backtest() throws -> BacktestCommand {
        var arguments = ["--data", data ?? "", "--config", config]
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

    /// The batch's settle for every smart-candle instance (orderflow.so's settle_ms).
    func applySettle(_ configuration: inout StrategyConfig) {
        let settleMillis = Int64((settle * 1000).rounded())
        for i in configuration.instances.indices where configuration.instances[i].kind == "orderflow" {
            configuration.instances[i].params["settle_ms"] = ConfigScalar(.int(settleMillis))
        }
    }

    /// The instances' symbols that write smart candles; an error when none does.
    func candleSymbols(_ assembly: SessionAssembly) throws -> [String] {
        let writers = assembly.specs.filter { $0.kind.recordTables.contains { $0.name == CandlesCommand.table } }
        guard !writers.isEmpty else {
            throw HostFailure(exit: .invalidConfig, message: "error: \(config): no instance writes \(CandlesCommand.table)\nfix: add an orderflow.so instance (see strategies/smart_candles.yaml)")
        }
        return Array(Set(writers.flatMap { $0.symbols.compactMap { assembly.symbols.instrument($0)?.symbol } })).sorted()
    }

    /// Fails when nothing was materialized or rows were late.
    func check(_ snapshot: EngineSnapshot, source: String) throws {
        let late = snapshot.instances.reduce(UInt64(0)) { $0 + ($1.customCounters["late_rows"] ?? 0) }
        guard snapshot.recordsUpserted > 0 else {
            throw HostFailure(exit: .invalidData, message: "error: \(source): no candle was completed\(from.map { " from \($0)" } ?? "")\(to.map { " to \($0)" } ?? "")\nfix: check --from/--to against the data's dates and --symbols")
        }
        guard late == 0 else {
            throw HostFailure(exit: .invalidData, message: "error: \(late) rows arrived more than --settle \(settle) s after their candle's end and were left out\nfix: re-run with a larger --settle (the range's rows are replaced)")
        }
    }

    func execute() throws {
        if let session { return try executeSession(session) }
        var hooks = BacktestCommand.Hooks()
        hooks.configure = { applySettle(&$0) }
        hooks.beforeRun = { journal, assembly in
            let names = try candleSymbols(assembly)
            let lower = from.flatMap(BacktestCommand.time) ?? .min, upper = to.flatMap(BacktestCommand.time) ?? .max
            do {
                let removed = try journal.deleteRecords(CandlesCommand.table, column: "candle_time", lower: lower, upper: upper, equalColumn: "symbol", values: names)
                if !quiet && removed > 0 { RunCommand.status("replacing \(removed) smart candles of \(names.joined(separator: ", ")) in the range") }
            } catch {
                throw HostFailure(exit: .storageFailure, message: "error: \(error)")
            }
        }
        hooks.afterRun = { try check($0, source: data ?? "") }
        try backtest().execute(hooks: hooks)
    }

    /// A recorded session's inputs (a live run's recorded blocks) through the configuration, on
    /// the session's symbol ids, into the same database as a new session `m-…`.
    func executeSession(_ wanted: String) throws {
        let processStart = HostMain.startNanos
        HostLogging.configure(level: .warning, json: false)
        let registry = PluginRegistry()
        var configuration = try SessionAssembly.configuration(configPath: config, strategy: nil, registry: registry, checkFeedSymbols: false)
        if let dataDir { configuration.host.dataDirectory = dataDir }
        let path = URL(fileURLWithPath: configuration.host.dataDirectory).appendingPathComponent("host.sqlite").path
        let info: SessionInfo
        do {
            let reader = try SQLiteJournal.openExisting(path: path, logger: Logger(label: "tsh.candles", factory: { _ in SwiftLogNoOpLogHandler() }))
            defer { reader.close() }
            let sessions = try reader.sessions().filter { !$0.info.id.hasPrefix("m-") }
            guard let row = wanted == "last" ? sessions.last : sessions.first(where: { $0.info.id == wanted }) else {
                throw HostFailure(exit: .invalidData, message: "error: \(path) has no session '\(wanted)'\nfix: `host report --data-dir \(configuration.host.dataDirectory)` lists the sessions")
            }
            info = row.info
        } catch let failure as HostFailure { throw failure } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        guard info.dataFiles == nil else {
            throw HostFailure(exit: .invalidData, message: "error: session \(info.id) is a backtest of the files in \(info.dataFiles!.directory)\nfix: materialize from the files: host candles materialize --data \(info.dataFiles!.directory)")
        }
        SessionAssembly.useData(info.instruments, in: &configuration)
        SessionAssembly.useInstruments(info.instruments, in: &configuration)
        applySettle(&configuration)
        for instance in configuration.instances {
            let missing = instance.symbols.filter { !configuration.feed.symbols.contains($0) }
            if !missing.isEmpty {
                throw HostFailure(exit: .invalidConfig, message: "error: instance '\(instance.id)' wants \(missing.joined(separator: ", ")), which session \(info.id) did not record (it has \(configuration.feed.symbols.joined(separator: ", ")))\nfix: change the instance's symbols")
            }
        }
        let assembly = try SessionAssembly(config: configuration, registry: registry)
        let names = try candleSymbols(assembly)
        let (directoryLock, journal) = try SessionAssembly.openWriter(configuration.host, symbols: assembly.symbols, recordTables: assembly.recordTables)
        defer { withExtendedLifetime(directoryLock) {} }
        defer { journal.close() }
        var engineConfiguration = EngineConfiguration(queueCapacity: configuration.host.queueCapacity, paperVenue: assembly.paperVenue)
        engineConfiguration.bookSnapshotInterval = 0
        let engine = Engine(symbols: assembly.symbols, configuration: engineConfiguration, clock: SimulatedClock(start: info.startedAt), journal: journal,
                            logger: Logger(label: "tsh.engine"))
        let sessionID = "m-" + RunCommand.sessionID().dropFirst(2)
        var inputs = 0
        do {
            try journal.deleteRecords(CandlesCommand.table, column: "candle_time", lower: Int64.min, upper: Int64.max, equalColumn: "symbol", values: names)
            for spec in assembly.specs { try engine.addInstance(spec) }
            try journal.beginSession(SessionInfo(
                id: sessionID, startedAt: WallClock().now(), hostVersion: HostCommand.version, configHash: configuration.configHash,
                configFile: configuration.file, seed: 0, plugins: assembly.sessionPlugins, configText: configuration.text,
                instruments: assembly.symbols.instruments, source: "session:\(info.id)"))
            try engine.start()
            try journal.forEachRecordedBlock(sessionID: info.id) { block in
                inputs += block.count
                engine.process(block)
                if !quiet { RunCommand.status("materializing session \(info.id): \(inputs) inputs", sameLine: isatty(STDERR_FILENO) != 0) }
            }
            engine.requestStop()
            engine.run()
            try journal.flush()
            journal.endSession(exitStatus: "ok")
            try journal.flush()
        } catch let failure as HostFailure {
            throw failure
        } catch {
            throw HostFailure(exit: .runtimeFailure, message: "error: materializing session \(info.id) failed: \(error)")
        }
        if !quiet && isatty(STDERR_FILENO) != 0 { RunCommand.status("") }
        guard inputs > 0 else {
            throw HostFailure(exit: .invalidData, message: "error: session \(info.id) has no recorded inputs\nfix: record sessions with host.record: true (the default)")
        }
        let snapshot = engine.snapshot()
        let seconds = Double(monotonicNanos() - processStart) / 1e9
        if json {
            let object: [String: Any] = ["session_id": sessionID, "source_session": info.id, "inputs": inputs, "candles": snapshot.recordsUpserted,
                                         "seconds_start_to_end": seconds, "database": path]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("materialized session \(info.id): \(inputs) inputs, \(snapshot.recordsUpserted) rows upserted in \(String(format: "%.3f", seconds)) s (session \(sessionID), \(path))")
        }
        try check(snapshot, source: "session \(info.id)")
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

    static let timeframes = BarTimeframe.allCases.map(\.rawValue)

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
