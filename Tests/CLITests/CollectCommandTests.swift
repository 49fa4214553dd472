import BinanceFakes
import Foundation
import GRDB
import Logging
import Synchronization
import Testing

/// `host collect backfill` / `status` against the fake Binance venue's REST API, into the
/// default SQLite store (the PostgreSQL path is covered by StoreTests on a real server).
struct CollectCommandTests {
    /// Runs the host on its own thread (the child process blocks; the fake venue needs the pool).
    static func host(_ arguments: [String]) async throws -> HostCommandLineTests.Outcome {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try HostCommandLineTests.run(arguments) }) }.start()
        }
    }

    static func venue() async throws -> (FakeBinanceVenue, String) {
        let venue = FakeBinanceVenue(configuration: .init(autoStep: false), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await venue.start()
        return (venue, try #require(venue.urls).rest)
    }

    @Test("backfill stores two days of 1h candles of the named symbols; a re-run writes nothing; status lists them without gaps")
    func backfillIsIncremental() async throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (venue, rest) = try await Self.venue()
        defer { Task { await venue.stop() } }
        let arguments = ["collect", "backfill", "--rest-url", rest, "--symbol", "BTCUSDT", "--symbol", "ETHUSDT", "--timeframe", "1h",
                         "--days", "2", "--data-dir", dir.path, "--json", "--quiet"]
        let first = try await Self.host(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        let written = try #require(report["candles_written"] as? Int)
        #expect((94...96).contains(written), "\(written)")  // 47–48 closed hours in two days, per symbol
        let second = try await Self.host(arguments)
        let again = try #require(try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any])
        #expect(again["candles_written"] as? Int ?? -1 <= 2)  // at most the hour that closed in between
        let status = try await Self.host(["collect", "status", "--data-dir", dir.path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let rows = try #require(object["candles"] as? [[String: Any]])
        #expect(rows.map { $0["symbol"] as? String } == ["BTCUSDT", "ETHUSDT"])
        #expect(rows.allSatisfy { $0["gaps"] as? Int == 0 && $0["venue"] as? String == "binance" })
    }

    @Test("a page with a garbage candle (high below low) or a null is refused whole, retried, and the symbol reported as failed; nothing of it is stored")
    func garbageFromTheVenue() async throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (venue, rest) = try await Self.venue()
        defer { Task { await venue.stop() } }
        let hour: Int64 = 3_600_000
        let now = Int64(Date().timeIntervalSince1970 * 1000) / hour * hour
        let good = now - 3 * hour, bad = now - 2 * hour
        func row(_ t: Int64, _ high: String) -> String {
            "[\(t),\"100.00\",\"\(high)\",\"99.00\",\"100.50\",\"1.5\",\(t + hour - 1),\"150.0\",10,\"0.5\",\"50.0\",\"0\"]"
        }
        let arguments = ["collect", "backfill", "--rest-url", rest, "--symbol", "BTCUSDT", "--timeframe", "1h", "--days", "1", "--data-dir", dir.path,
                         "--quiet", "--retry-delays", "0", "0", "0"]
        venue.injectRESTFailure(.raw(status: 200, body: "[\(row(good, "101.00")),\(row(bad, "98.00"))]"), path: "/api/v3/klines", count: 3)
        let out = try await Self.host(arguments)
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("FAILED BTCUSDT 1h: 3 attempts failed"), "\(out.stdout)")
        #expect(out.stdout.contains("low <= open, close <= high"), "\(out.stdout)")
        #expect(out.stderr.contains("a re-run continues where they stopped"))
        venue.injectRESTFailure(.raw(status: 200, body: "[[\(good),\"100\",null,\"99\",\"100\",\"1\",\(good + hour - 1),\"1\",1,\"0\",\"0\",\"0\"]]"),
                                path: "/api/v3/klines", count: 3)
        let nulls = try await Self.host(arguments)
        #expect(nulls.status == 1 && nulls.stdout.contains("FAILED BTCUSDT 1h"), "\(nulls.stdout)")
        let status = try await Self.host(["collect", "status", "--data-dir", dir.path])
        #expect(status.stdout.contains("no candles"), "\(status.stdout)")
        // The venue answers properly again: the re-run fills the day.
        let healed = try await Self.host(arguments)
        #expect(healed.status == 0, "\(healed.stdout)")
    }

    @Test("stream: tiers decide the streams (full, ticker+trades, ticker); rows land in the store; status shows them with their lag")
    func streamTiersIntoTheStore() async throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let venue = FakeBinanceVenue(configuration: .init(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await venue.start()
        defer { Task { await venue.stop() } }
        let urls = try #require(venue.urls)
        let out = try await Self.host(["collect", "stream", "--rest-url", urls.rest, "--ws-url", urls.websocket, "--symbol", "BTCUSDT", "--symbol", "ETHUSDT",
                                       "--symbol", "BNBUSDT", "--tiers", "1:full,1:ticker+trades,rest:ticker", "--seconds", "9", "--data-dir", dir.path,
                                       "--bars", "1s", "--json", "--quiet"])
        #expect(out.status == 0, "\(out.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let counters = try #require(report["store"] as? [String: Any])
        #expect((counters["written"] as? Int ?? 0) > 0 && counters["pending"] as? Int == 0, "\(out.stdout)")
        let status = try await Self.host(["collect", "status", "--data-dir", dir.path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let streams = try #require(object["streams"] as? [[String: Any]])
        func symbols(_ table: String) -> Set<String> { Set(streams.filter { $0["table"] as? String == table }.compactMap { $0["symbol"] as? String }) }
        #expect(symbols("depth_events") == ["BTCUSDT"])
        #expect(symbols("trades").isSubset(of: ["BTCUSDT", "ETHUSDT"]) && !symbols("trades").isEmpty)
        #expect(symbols("book_ticker") == ["BTCUSDT", "ETHUSDT", "BNBUSDT"])
        // The host's 1-second trade aggregates cover every second that had a trade.
        let database = try DatabaseQueue(path: dir.appendingPathComponent("market.sqlite").path)
        let (seconds, aggregated) = try await database.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(DISTINCT venue || symbol || (ts / 1000000000)) FROM trades") ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM trade_1s") ?? -2)
        }
        #expect(seconds > 0 && aggregated == seconds, "\(aggregated) aggregated of \(seconds) traded seconds")
        // The host's 1s candles from the same trades: each settled candle's volume is its second's.
        let (candles, mismatched) = try await database.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM ohlcv WHERE timeframe = '1s' AND trades > 0") ?? -1,
             try Int.fetchOne(db, sql: """
                SELECT count(*) FROM ohlcv o JOIN trade_1s a ON a.venue = o.venue AND a.symbol = o.symbol AND a.ts = o.ts * 1000000
                WHERE o.timeframe = '1s' AND (CAST(o.volume AS REAL) != CAST(a.volume AS REAL) OR o.trades != a.trades)
                """) ?? -1)
        }
        #expect(candles > 0 && mismatched == 0, "\(candles) candles, \(mismatched) differ from trade_1s")
        // A symbol's first second began before its trades were streamed: no candle for it.
        let partial = try await database.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM ohlcv o WHERE o.timeframe = '1s'
                AND o.ts * 1000000 = (SELECT min(t.ts) / 1000000000 * 1000000000 FROM trades t WHERE t.symbol = o.symbol AND t.venue = o.venue)
                """) ?? -1
        }
        #expect(partial == 0)
    }

    @Test("stream: /metrics serves the row counters, pending rows and the end-to-end lag while it runs; --json reports the lag")
    func streamMetricsAndLag() async throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let venue = FakeBinanceVenue(configuration: .init(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await venue.start()
        defer { Task { await venue.stop() } }
        let urls = try #require(venue.urls)
        var page = ""
        var out = HostCommandLineTests.Outcome(status: -1, stdout: "", stderr: "")
        // A port picked free can be taken by another test's server before the collector binds it:
        // the collector then refuses to start (tested below) and this run is repeated on another port.
        for _ in 0..<3 {
            let port = TestPorts.free()
            let finished = Mutex(false)
            let run = Task {
                defer { finished.withLock { $0 = true } }
                return try await Self.host(["collect", "stream", "--rest-url", urls.rest, "--ws-url", urls.websocket, "--symbols", "BTCUSDT", "ETHUSDT",
                                            "--tiers", "rest:full", "--seconds", "15", "--metrics-port", "\(port)", "--shard", "m1", "--data-dir", dir.path,
                                            "--json", "--quiet"])
            }
            // For as long as the collector runs: under a fully loaded suite it can take many seconds to start and write its first rows.
            while !finished.withLock({ $0 }) {
                try await Task.sleep(for: .milliseconds(100))
                // Only this collector's page (its shard label): once it has stopped, another test's
                // server may already answer on the same port with a page of its own.
                guard let answer = Self.httpGet(port: port, path: "/metrics"), answer.contains(#"shard="m1""#) else { continue }
                page = answer
                if let line = page.split(separator: "\n").first(where: { $0.hasPrefix("tsh_collect_rows_written_total") }),
                   let value = Double(line.split(separator: " ").last ?? ""), value > 0, page.contains("tsh_collect_lag_seconds") { break }
            }
            out = try await run.value
            if !(out.status == 64 && out.stderr.contains("metrics endpoint cannot listen")) { break }
        }
        #expect(out.status == 0, "\(out.stderr)")
        #expect(page.contains(#"tsh_collect_rows_written_total{shard="m1"}"#), "\(page.prefix(2_000))")
        #expect(page.contains(#"tsh_collect_rows_pending{shard="m1"}"#))
        #expect(page.contains(#"tsh_collect_lag_seconds{shard="m1",quantile="0.99"}"#) || page.contains(#"tsh_collect_lag_seconds{quantile="0.99",shard="m1"}"#))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let store = try #require(report["store"] as? [String: Any])
        let p99 = store["lag_p99_ms"] as? Double ?? -1
        #expect((store["lag_rows"] as? Int ?? 0) > 0 && p99 > 0 && p99 < 60_000, "\(store)")
    }

    @Test("a metrics port already in use stops the collector at start with the port, the reason and the fix (exit 64)")
    func metricsPortInUse() async throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (holder, port) = TestPorts.bound()
        defer { close(holder) }
        #expect(listen(holder, 1) == 0)
        let out = try await Self.host(["collect", "stream", "--rest-url", "http://127.0.0.1:1", "--symbols", "BTCUSDT", "--metrics-port", "\(port)",
                                       "--data-dir", dir.path, "--seconds", "1"])
        #expect(out.status == 64)
        #expect(out.stderr.contains("metrics endpoint cannot listen on 127.0.0.1:\(port)") && out.stderr.contains("Address already in use")
                && out.stderr.contains("choose a free port with --metrics-port"), "\(out.stderr)")
    }

    /// A plain HTTP/1.0 GET on loopback; nil when nothing answers.
    static func httpGet(port: Int, path: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
        // The server may keep the connection open after answering (it did for HTTP/1.0, so a read
        // to the end returned only when the collector stopped): read up to Content-Length, with a
        // receive timeout.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += chunk[0..<n]
            if let complete = Self.completeLength(response), response.count >= complete { break }
        }
        return String(decoding: response, as: UTF8.self)
    }

    /// Head plus Content-Length bytes, once the head is in; nil before (or without the header).
    static func completeLength(_ response: [UInt8]) -> Int? {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = (0...(max(0, response.count - 4))).first(where: { response.count >= $0 + 4 && Array(response[$0..<($0 + 4)]) == separator })
        else { return nil }
        let head = String(decoding: response[..<end], as: UTF8.self).lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
              let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) else { return nil }
        return end + 4 + length
    }

    @Test("stream: a malformed --tiers is a usage error saying the form")
    func badTiers() async throws {
        let out = try await Self.host(["collect", "stream", "--tiers", "20:everything"])
        #expect(out.status == 64)
        #expect(out.stderr.contains("COUNT:STREAMS with STREAMS one of full, ticker+trades, ticker"))
    }

    @Test("a store URL that is neither SQLite nor PostgreSQL is a usage error naming both forms")
    func badStoreURL() async throws {
        let out = try await Self.host(["collect", "status", "--store", "mysql://x@y/z"])
        #expect(out.status == 64)
        #expect(out.stderr.contains("neither sqlite:PATH nor postgres://"))
    }
}
