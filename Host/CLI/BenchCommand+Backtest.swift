import ArgumentParser
import Foundation
import HostCore
import HostEngine
import HostFeeds
import HostPlugins
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `host bench --suite backtest`: what the user waits for — `host backtest` as a child
/// process, from spawn to exit, with its peak memory — then, to show where the time goes,
/// parsing alone and the engine alone inside this process.
extension BenchCommand {
    /// One start-to-exit run of the `host` executable.
    struct ProcessRun {
        var seconds: Double
        /// Peak resident memory of the child, MiB: the `peak_memory_mib` it reports (its VmHWM),
        /// else ru_maxrss (which, after posix_spawn, also counts this process's own peak).
        var peakMiB: Double
        var status: Int32
        var stdout: String
    }

    /// The data sets of the suite: the generator's quotes + trades, and its L2 file.
    static let backtestDataSets: [(label: String, types: [TardisDataType])] = [
        ("quotes+trades", [.quotes, .trades]), ("L2", [.incrementalBookL2]),
    ]

    func backtestSuite() throws -> [Result] {
        guard let data else { throw ValidationError("--suite backtest needs --data DIR (python3 ../shared/bench/gen_tardis.py --out DIR)") }
        let host = try Self.executablePath()
        var results: [Result] = []
        for (label, types) in Self.backtestDataSets {
            let dataSet: TardisDataSet
            do { dataSet = try TardisDataSet(directory: data, options: TardisOptions(dataTypes: Set(types))) } catch {
                if error.code == .noMatchingFiles { continue }  // e.g. a directory with the L2 file only
                throw ValidationError("\(error)")
            }
            // Start to exit: the command a user types, default options, a fresh data directory each time.
            var runs: [ProcessRun] = []
            var rows = 0
            for _ in 0..<repeats {
                let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-bench-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: scratch) }
                let run = try Self.spawn(host, ["backtest", "--data", data, "--data-types"] + types.map(\.rawValue)
                                            + ["--strategy", plugin, "--data-dir", scratch.path, "--json", "--quiet"])
                guard run.status == 0 else { throw ValidationError("host backtest exited with \(run.status):\n\(run.stdout)") }
                let summary = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any]
                rows = summary?["rows"] as? Int ?? rows
                var measured = run
                if let peak = summary?["peak_memory_mib"] as? Double { measured.peakMiB = peak }
                runs.append(measured)
            }
            let times = runs.map(\.seconds).sorted()
            let memory = runs.map(\.peakMiB).sorted()
            let best = times[0]
            let median = times[times.count / 2]
            for (path, seconds) in [("best", best), ("median", median)] {
                let result = Result(scenario: "\(label) start-exit", path: path, events: rows, seconds: seconds,
                                    eventsPerSecond: Double(rows) / seconds, nanosPerEvent: seconds * 1e9 / Double(max(rows, 1)),
                                    unit: "rows", peakMemoryMiB: path == "best" ? memory[0] : memory[memory.count / 2])
                report(result)
                results.append(result)
            }
            if !json {
                print("  \(label): \(rows) rows; start to exit best \(String(format: "%.3f", best)) s, median \(String(format: "%.3f", median)) s; "
                    + "peak memory best \(String(format: "%.1f", memory[0])) MiB, median \(String(format: "%.1f", memory[memory.count / 2])) MiB, "
                    + "worst \(String(format: "%.1f", memory[memory.count - 1])) MiB")
            }
            results += try inProcessSplit(label: label, dataSet: dataSet, kindID: types == [.incrementalBookL2] ? "ema_l2" : "ema")
        }
        return results
    }

    /// Parsing alone (the parse thread into memory) and the engine alone (pre-parsed events),
    /// best of the repeats: where a backtest's time goes.
    private func inProcessSplit(label: String, dataSet: TardisDataSet, kindID: String) throws -> [Result] {
        let registry = PluginRegistry()
        let loaded = try SessionAssembly.loadPlugin(plugin, registry: registry)
        guard let kind = loaded.kind(kindID), let descriptor = loaded.kindDescriptor(kindID) else { throw ValidationError("\(plugin) has no kind \(kindID)") }
        let table = dataSet.symbols
        let ids = table.instruments.indices.map { SymbolID(UInt32($0)) }
        var best = (parse: Double.infinity, engine: Double.infinity)
        var rows = 0
        for _ in 0..<repeats {
            var replay = dataSet.threadedReplay()
            var events: [MarketEvent] = []
            var t0 = monotonicNanos()
            while replay.nextBatch({ events.append(contentsOf: $0) }) {}
            best.parse = min(best.parse, Double(monotonicNanos() - t0) / 1e9)
            rows = events.count
            var limits = RiskLimits.defaults
            limits.priceBandBps = 10_000
            limits.maxOrderNotional = 1_000_000_000
            let engine = Engine(symbols: table, configuration: EngineConfiguration(startingCash: 100_000_000), clock: SimulatedClock(),
                                logger: Logger(label: "tsh.bench", factory: { _ in SwiftLogNoOpLogHandler() }))
            try engine.addInstance(InstanceSpec(id: "bench-\(kindID)", pluginID: loaded.pluginID, kind: kind, descriptor: descriptor,
                                                mode: .paper, venue: "bench", symbols: ids,
                                                parameters: ResolvedParameters(specs: kind.parameters, symbolCount: ids.count),
                                                risk: limits, keepAlive: loaded))
            try engine.start()
            t0 = monotonicNanos()
            events.withUnsafeBufferPointer { engine.process($0) }
            best.engine = min(best.engine, Double(monotonicNanos() - t0) / 1e9)
            engine.requestStop()
            engine.run()
        }
        return [("parse alone", best.parse), ("engine alone", best.engine)].map { path, seconds in
            let result = Result(scenario: "\(label) \(path)", path: "best", events: rows, seconds: seconds,
                                eventsPerSecond: Double(rows) / seconds, nanosPerEvent: seconds * 1e9 / Double(max(rows, 1)), unit: "rows")
            report(result)
            return result
        }
    }

    /// This executable (the benchmark runs the same build it measures).
    static func executablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4_096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw ValidationError("cannot find this executable (/proc/self/exe)") }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `path` with `arguments` (stdout captured, stderr discarded), timing it from
    /// `posix_spawn` to the return of `wait4`, which also gives its peak memory.
    static func spawn(_ path: String, _ arguments: [String]) throws -> ProcessRun {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw ValidationError("pipe failed: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], STDOUT_FILENO)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let start = monotonicNanos()
        let status = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(pipe[1])
        guard status == 0 else {
            close(pipe[0])
            throw ValidationError("cannot start \(path): \(String(cString: strerror(status)))")
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(pipe[0], &chunk, chunk.count)
            if n > 0 { output.append(contentsOf: chunk[0..<n]) } else if n == 0 || errno != EINTR { break }
        }
        close(pipe[0])
        var exit: Int32 = 0
        var usage = rusage()
        while wait4(pid, &exit, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Double(monotonicNanos() - start) / 1e9
        let code: Int32 = (exit & 0x7f) == 0 ? (exit >> 8) & 0xff : 128 + (exit & 0x7f)
        return ProcessRun(seconds: seconds, peakMiB: Double(usage.ru_maxrss) / 1024, status: code,
                          stdout: String(decoding: output, as: UTF8.self))
    }
}
