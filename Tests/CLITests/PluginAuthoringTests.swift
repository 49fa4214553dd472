import Foundation
import GRDB
import Synchronization
import Testing

/// A plugin author's path from an empty directory, with only the commands docs/PLUGINS.md gives:
/// `host plugins new`, `make` / `swift build`, `host plugins inspect`, `host plugins check`, a
/// drop-in `./plugins` or `TSH_PLUGIN_PATH`, and a backtest over the shared generator's data
/// (Tests/CLITests/Data/tardis) whose session holds the plugin's signals.
struct PluginAuthoringTests {
    static let data = BacktestTests.data

    /// Runs any program (make, swift) with a deadline, off the Swift concurrency pool.
    static func shell(_ executable: String, _ arguments: [String], in directory: URL, environment: [String: String]? = nil,
                      timeout: TimeInterval = 900) throws -> HostCommandLineTests.Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = Mutex(Data())
        let reader = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let killer = Thread {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            if process.isRunning { process.terminate() }
        }
        killer.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        return HostCommandLineTests.Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                                            stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self))
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// Signals per name in the backtest's session.
    static func sessionSignals(dataDirectory: URL, session: String) throws -> [String: Int] {
        let queue = try DatabaseQueue(path: dataDirectory.appendingPathComponent("host.sqlite").path)
        return try queue.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, COUNT(*) AS n FROM signals WHERE session_id = ? GROUP BY name", arguments: [session]) {
                counts[row["name"]] = row["n"]
            }
            return counts
        }
    }

    /// A configuration for the committed data set: all three symbols, a threshold its prices cross.
    static func backtestConfig(plugin: String) -> String {
        """
        version: 1
        host: {log_level: error}
        instances:
          - id: \(plugin)
            plugin: \(plugin)
            kind: \(plugin)
            symbols: [BTCUSDT, ETHUSDT, SOLUSDT]
            params: {threshold_bps: 0.5, cooldown_ms: 0}
            overrides:
              SOLUSDT: {threshold_bps: 2}

        """
    }

    @Test("a C trigger from the template builds with make, passes make test, inspect and check, and drops into ./plugins for a backtest whose session holds its signals")
    func cTriggerEndToEnd() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let new = try HostCommandLineTests.run(["plugins", "new", "trigger", "my_c_trigger", "--lang", "c"], in: dir)
        #expect(new.status == 0, "\(new.stderr)")
        let project = dir.appendingPathComponent("my_c_trigger")
        for file in ["my_c_trigger.c", "Makefile", "README.md", "my_c_trigger.yaml", "test/script.csv"] {
            #expect(FileManager.default.fileExists(atPath: project.appendingPathComponent(file).path), "\(file) missing")
        }

        let make = try Self.shell("/usr/bin/make", [], in: project)
        #expect(make.status == 0, "\(make.stdout)\(make.stderr)")
        #expect(make.stdout.contains("-I\(HostCommandLineTests.root.path)/SDK/C/include"), "make compiled against sdk-path: \(make.stdout)")
        let test = try Self.shell("/usr/bin/make", ["test"], in: project)
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        #expect(test.stdout.contains("PASS"))

        let inspect = try HostCommandLineTests.run(["plugins", "inspect", "./my_c_trigger/libmy_c_trigger.so", "--json"], in: dir)
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(Self.json(inspect.stdout)["pluginID"] as? String == "dev.example.my_c_trigger")
        #expect(inspect.stdout.contains("threshold_bps"))

        let install = try Self.shell("/usr/bin/make", ["install"], in: project)
        #expect(install.status == 0, "\(install.stderr)")
        let list = try HostCommandLineTests.run(["plugins", "list"], in: dir)
        #expect(list.stdout.contains("dev.example.my_c_trigger") && list.stdout.contains("\(dir.path)/plugins/libmy_c_trigger.so"), "\(list.stdout)")

        let config = dir.appendingPathComponent("bt.yaml")
        try Self.backtestConfig(plugin: "my_c_trigger").write(to: config, atomically: true, encoding: .utf8)
        let check = try HostCommandLineTests.run(["plugins", "check", "my_c_trigger", "--data", Self.data.path, "--config", config.path,
                                                  "--expect-signal", "trigger.my_c_trigger", "--json"], in: dir)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let report = Self.json(check.stdout)
        #expect(report["ok"] as? Bool == true)
        #expect(report["events"] as? Int == 1_140)

        let backtest = try HostCommandLineTests.run(["backtest", "--data", Self.data.path, "--config", config.path, "--data-dir", "data",
                                                     "--json", "--quiet"], in: dir)
        #expect(backtest.status == 0, "\(backtest.stderr)")
        let session = try #require(Self.json(backtest.stdout)["session_id"] as? String)
        let signals = try Self.sessionSignals(dataDirectory: dir.appendingPathComponent("data"), session: session)
        #expect((signals["trigger.my_c_trigger"] ?? 0) > 0, "\(signals)")
    }

    @Test("a Swift trigger from the template builds out of tree against StrategySDK, is inspected and checked, and runs from TSH_PLUGIN_PATH in a backtest")
    func swiftTriggerEndToEnd() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let new = try HostCommandLineTests.run(["plugins", "new", "trigger", "my_swift_trigger", "--lang", "swift"], in: dir)
        #expect(new.status == 0, "\(new.stderr)")
        let project = dir.appendingPathComponent("my_swift_trigger")
        let manifest = try String(contentsOf: project.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(manifest.contains(".package(path: \"\(HostCommandLineTests.root.path)\")"))

        // Only the plugin product, debug, in a scratch path of its own.
        let scratch = dir.appendingPathComponent("scratch")
        // The toolchain that built the host (first `swift` on PATH, as `swift test` was run).
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/opt/swift/usr/bin"]
        let swiftPath = try #require(dirs.map { "\($0)/swift" }.first { FileManager.default.isExecutableFile(atPath: $0) })
        let build = try Self.shell(swiftPath, ["build", "--product", "my_swift_trigger", "--scratch-path", scratch.path], in: project, timeout: 1_500)
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        let library = scratch.appendingPathComponent("debug/libmy_swift_trigger.so").path
        try #require(FileManager.default.fileExists(atPath: library))

        let inspect = try HostCommandLineTests.run(["plugins", "inspect", library], in: dir)
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("Built with") && inspect.stdout.contains("Swift "), "\(inspect.stdout)")

        let check = try HostCommandLineTests.run(["plugins", "check", library, "--script", project.appendingPathComponent("test/script.csv").path,
                                                  "--expect-signal", "trigger.my_swift_trigger"], in: dir)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("trigger.my_swift_trigger"))

        let config = dir.appendingPathComponent("bt.yaml")
        try Self.backtestConfig(plugin: "my_swift_trigger").write(to: config, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["TSH_PLUGIN_PATH"] = scratch.appendingPathComponent("debug").path
        let list = try HostCommandLineTests.run(["plugins", "list"], in: dir, environment: environment)
        #expect(list.stdout.contains("dev.example.my_swift_trigger"), "\(list.stdout)")
        let backtest = try HostCommandLineTests.run(["backtest", "--data", Self.data.path, "--config", config.path, "--data-dir", "data",
                                                     "--json", "--quiet"], in: dir, environment: environment)
        #expect(backtest.status == 0, "\(backtest.stderr)")
        let session = try #require(Self.json(backtest.stdout)["session_id"] as? String)
        let signals = try Self.sessionSignals(dataDirectory: dir.appendingPathComponent("data"), session: session)
        #expect((signals["trigger.my_swift_trigger"] ?? 0) > 0, "\(signals)")
    }
}
