import Foundation
import HostCore
import HostStore
import Logging
import Testing

/// A PostgreSQL server of the test's own (initdb in a temporary directory, on a free loopback
/// port) that the test stops and starts again. The binaries come from TSH_TEST_PG_BIN, which
/// scripts/test.sh exports. Tools run with their output in files (a daemon that inherited a
/// pipe would keep it open) and are waited for by polling, off the cooperative pool.
final class OwnPostgresServer: Sendable {
    let bin: String
    let directory: URL
    let port: Int

    struct Failure: Error, CustomStringConvertible { var description: String }

    init() throws {
        guard let bin = ProcessInfo.processInfo.environment["TSH_TEST_PG_BIN"], !bin.isEmpty else {
            throw Failure(description: "TSH_TEST_PG_BIN is not set: run the suite with scripts/test.sh")
        }
        self.bin = bin
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = Self.freePort()
        if getuid() == 0, let pw = getpwnam("postgres") {
            chown(directory.path, pw.pointee.pw_uid, pw.pointee.pw_gid)
        }
        try tool("initdb", ["-D", directory.appendingPathComponent("data").path, "-U", "tsh", "-A", "trust"])
    }

    var url: String { "postgres://tsh@127.0.0.1:\(port)/postgres" }

    func start() throws {
        try tool("pg_ctl", ["-D", directory.appendingPathComponent("data").path, "-l", directory.appendingPathComponent("server.log").path, "-w", "-t", "60",
                            "-o", "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory.path) -c fsync=off", "start"])
    }

    /// Stops at once, as a crash or a restart by an operator would (open connections break).
    func stop() throws {
        try tool("pg_ctl", ["-D", directory.appendingPathComponent("data").path, "-m", "immediate", "-w", "stop"])
    }

    deinit {
        try? stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs a tool to its end with posix_spawn and waitpid: Foundation's Process missed the exit
    /// of `runuser` around `pg_ctl start` here (left a zombie, `isRunning` stayed true).
    private func tool(_ name: String, _ arguments: [String]) throws {
        let argv = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", "\(bin)/\(name)"] + arguments : ["\(bin)/\(name)"] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for a in cArguments { free(a) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw Failure(description: "\(argv[0]) could not be started: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0, code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let log = (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
            throw Failure(description: "\(name) \(arguments.joined(separator: " ")) ended with status \(status)\n\(log.suffix(2_000))")
        }
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Runs blocking work on a thread of its own (process waits must not hold a pool thread that
/// PostgresNIO's tasks need).
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

struct PostgresRestartTests {
    static func trades(_ ids: Range<Int>) -> IngestBatch {
        var batch = IngestBatch()
        let t0: Int64 = 1_733_000_000_000_000_000
        batch.trades = ids.map { i in
            TradeRow(venue: "binance", symbol: i % 2 == 0 ? "BTCUSDT" : "ETHUSDT", time: t0 + Int64(i) * 1_000_000, tradeID: Int64(i),
                     price: Fixed8(parsing: "60000.5")!, amount: Fixed8(parsing: "0.001")!, side: i % 3 == 0 ? "sell" : "buy")
        }
        return batch
    }

    static func waitFor(_ seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    @Test("PostgreSQL restarted mid-stream: rows spool to disk while it is down and are written in order when it returns — none lost, none twice",
          .enabled(if: TestPostgres.enabled), .timeLimit(.minutes(5)))
    func restartMidStream() async throws {
        let server = try await offPool { try OwnPostgresServer() }
        try await offPool { try server.start() }
        let spoolDirectory = server.directory.appendingPathComponent("spool")
        let store = try PostgresMarketStore(url: server.url, operationTimeout: .seconds(3))
        try await store.migrate()
        let ingestor = Ingestor(store: store, flushInterval: .milliseconds(50), spool: try Spool(directory: spoolDirectory),
                                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let writer = Task { await ingestor.run() }

        ingestor.add(Self.trades(0..<1_000))
        #expect(await Self.waitFor(30) { ingestor.counters.written == 1_000 })

        try await offPool { try server.stop() }
        for start in stride(from: 1_000, to: 2_000, by: 100) { ingestor.add(Self.trades(start..<start + 100)) }
        #expect(await Self.waitFor(60) { ingestor.counters.spoolFiles > 0 }, "\(ingestor.counters)")
        let down = ingestor.counters
        #expect(down.failures >= 3 && down.lastError != nil)

        try await offPool { try server.start() }
        ingestor.add(Self.trades(2_000..<3_000))
        #expect(await Self.waitFor(90) { let c = ingestor.counters; return c.written == 3_000 && c.pending == 0 && c.spoolFiles == 0 },
                "\(ingestor.counters)")
        let final = await ingestor.finish()
        writer.cancel()
        #expect(final.received == 3_000 && final.written == 3_000 && final.spooled > 0)

        let rows = try await store.streamCoverage().filter { $0.table == "trades" }
        #expect(rows.map(\.rows).reduce(0, +) == 3_000)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: spoolDirectory.path))?.isEmpty ?? true)
        await store.close()
    }
}
