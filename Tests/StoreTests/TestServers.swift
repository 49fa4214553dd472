import Foundation
import HostCore
import HostStore
import Logging
import Testing

/// The PostgreSQL server scripts/test.sh starts (TSH_TEST_POSTGRES_URL). Without one the
/// PostgreSQL tests are skipped with the reason printed — except under CI=true, where they run
/// and fail: CI must exercise the real server.
enum TestPostgres {
    static let url = ProcessInfo.processInfo.environment["TSH_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let enabled: Bool = {
        if url == nil && !isCI {
            print("StoreTests: PostgreSQL tests skipped: TSH_TEST_POSTGRES_URL is not set (scripts/test.sh starts a server)")
        }
        return url != nil || isCI
    }()

    /// A store on a fresh schema of the test database (so tests do not see each other's rows).
    static func store() async throws -> PostgresMarketStore {
        let base = try #require(url, "no PostgreSQL server: run the suite with scripts/test.sh (it starts one on loopback)")
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try PostgresMarketStore(url: base)
        try await admin.execute("CREATE SCHEMA \(schema)")
        await admin.close()
        return try PostgresMarketStore(url: base + "?schema=\(schema)")
    }
}

/// A source scripted by the test: candles as a pure function of (symbol, timeframe, open time),
/// with failures and garbage where the test asks for them.
final class ScriptedSource: CandleSource, @unchecked Sendable {
    let venue = "scripted"
    let pageSize: Int
    private let lock = NSLock()
    private var _requests: [(symbol: String, startMs: Int64, endMs: Int64)] = []
    /// Symbols whose every request fails.
    var failing: Set<String> = []
    /// Open times (ms) answered with a garbage candle (high below low).
    var garbage: Set<Int64> = []
    /// Extra candles from the future added to every answer.
    var future = false
    /// After this many requests every request throws (a killed run).
    var dieAfter: Int?
    /// The venue's history starts here (ms).
    var listedAt: Int64 = 0

    init(pageSize: Int = 100) { self.pageSize = pageSize }

    var requests: [(symbol: String, startMs: Int64, endMs: Int64)] { lock.withLock { _requests } }

    struct Failure: Error, CustomStringConvertible { var description: String }

    func candles(symbol: String, timeframe: HostCore.BarTimeframe, startMs: Int64, endMs: Int64) async throws -> [StoredCandle] {
        let count = lock.withLock { _requests.append((symbol, startMs, endMs)); return _requests.count }
        if let dieAfter, count > dieAfter { throw Failure(description: "killed") }
        if failing.contains(symbol) { throw Failure(description: "HTTP 503 from the scripted venue") }
        let length = timeframe.nanoseconds / 1_000_000
        var out: [StoredCandle] = []
        var t = max(startMs, listedAt) / length * length
        if t < startMs { t += length }
        while t <= endMs {
            out.append(Self.candle(symbol, timeframe, t, garbage: garbage.contains(t)))
            t += length
        }
        if future { out.append(Self.candle(symbol, timeframe, endMs + 10 * 86_400_000 / length * length, garbage: false)) }
        return out
    }

    static func candle(_ symbol: String, _ timeframe: HostCore.BarTimeframe, _ t: Int64, garbage: Bool) -> StoredCandle {
        let base = Decimal(100 + Int(t / 60_000 % 50))
        return StoredCandle(venue: "scripted", symbol: symbol, timeframe: timeframe, openTime: t, open: base, high: garbage ? base - 5 : base + 1,
                            low: base - 1, close: base + Decimal(string: "0.25")!, volume: Decimal(string: "12.5")!, quoteVolume: 1250, trades: 7)
    }

    func topSymbols(count: Int) async throws -> [StoreSymbol] {
        ["AAAUSDT", "BBBUSDT", "CCCUSDT"].prefix(count).enumerated().map { StoreSymbol(venue: venue, symbol: $1, quoteVolume24h: Decimal(1_000 - $0), rank: $0 + 1) }
    }
}
