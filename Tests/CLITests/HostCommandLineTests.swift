import Foundation
import Synchronization
import Testing

/// Runs the built `host` executable as a user would and checks output and exit codes.
struct HostCommandLineTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let host = root.appendingPathComponent(".build/debug/host").path

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: host)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.currentDirectoryURL = directory ?? root
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting so a chatty child cannot block on a full pipe.
        let errData = Mutex(Data())
        let reader = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("plugins inspect prints the manifest, kinds and parameters as JSON without running the plugin")
    func inspectJSON() throws {
        let outcome = try Self.run(["plugins", "inspect", "price_move_trigger.so", "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(object["pluginID"] as? String == "dev.strategyhost.price_move_trigger" || object["plugin_id"] as? String == "dev.strategyhost.price_move_trigger")
        #expect(outcome.stdout.contains("threshold_bps"))
    }

    @Test("a text file named .so is refused with exit code 67 and a message that says it is text")
    func textFileRefused() throws {
        let dir = try Self.temporaryDirectory()
        let file = dir.appendingPathComponent("notes.so")
        try "just some notes\n".write(to: file, atomically: true, encoding: .utf8)
        let outcome = try Self.run(["plugins", "inspect", file.path])
        #expect(outcome.status == 67)
        #expect(outcome.stderr.contains("notes.so"))
        #expect(outcome.stderr.lowercased().contains("text"))
    }

    @Test("a missing plugin exits with 66 and lists every place searched")
    func missingPlugin() throws {
        let dir = try Self.temporaryDirectory()
        let outcome = try Self.run(["--strategy", "no_such_plugin.so"], in: dir)
        #expect(outcome.status == 66)
        #expect(outcome.stderr.contains("no_such_plugin"))
        #expect(outcome.stderr.contains("plugins"))
    }

    @Test("a configuration typo exits with 65 naming the file, the key path and a suggestion")
    func configTypo() throws {
        let dir = try Self.temporaryDirectory()
        let config = dir.appendingPathComponent("typo.yaml")
        try """
        version: 1
        instances:
          - id: t
            plugin: price_move_trigger.so
            kind: price_move
            symbols: [BTCUSDT]
            parmas: {threshold_bps: 5}
        """.write(to: config, atomically: true, encoding: .utf8)
        let outcome = try Self.run(["run", "--config", config.path])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("typo.yaml"))
        #expect(outcome.stderr.contains("parmas"))
        #expect(outcome.stderr.contains("params"))
    }

    @Test("an out-of-range plugin parameter exits with 65 and names the parameter and its range")
    func parameterOutOfRange() throws {
        let dir = try Self.temporaryDirectory()
        let config = dir.appendingPathComponent("range.yaml")
        try """
        version: 1
        instances:
          - id: t
            plugin: price_move_trigger.so
            kind: price_move
            symbols: [BTCUSDT]
            params: {threshold_bps: 50000}
        """.write(to: config, atomically: true, encoding: .utf8)
        let outcome = try Self.run(["run", "--config", config.path, "--data-dir", dir.appendingPathComponent("data").path])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("threshold_bps"))
        #expect(outcome.stderr.contains("10000"))
    }

    @Test("a short simulated run exits 0 and reports the events processed as JSON")
    func shortRunJSON() throws {
        let dir = try Self.temporaryDirectory()
        let outcome = try Self.run(["run", "--config", Self.root.appendingPathComponent("strategies/demo.yaml").path,
                                    "--events", "5000", "--json", "--quiet", "--data-dir", dir.appendingPathComponent("data").path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(object["events_processed"] as? Int == 5000)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("data/host.sqlite").path))
    }
}
