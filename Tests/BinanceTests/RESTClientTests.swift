import Binance
import BinanceFakes
import Foundation
import HostCore
import Synchronization
import Testing
import VenueKit

/// The REST client against the fake venue over real loopback HTTP.
@Suite(.timeLimit(.minutes(1)))
struct RESTClientTests {
    @Test("every answer's X-MBX-USED-WEIGHT-1M is tracked (depth limit 1000 weighs 50)")
    func weightHeaderTracked() async throws {
        try await withFakeBinance { venue, urls in
            let client = fakeRESTClient(urls)
            let snapshot = try await client.depth(symbol: "BTCUSDT", limit: .levels(1000))
            #expect(snapshot.lastUpdateID == venue.book("BTCUSDT")?.lastUpdateId)
            #expect(client.weight.lastReported == 50)
            #expect(venue.restRequests.last?.usedWeight == 50)
        }
    }

    @Test("the depth snapshot is the fake's authoritative book, level for level")
    func depthMatchesBook() async throws {
        try await withFakeBinance { venue, urls in
            let snapshot = try await fakeRESTClient(urls).depth(symbol: "ETHUSDT", limit: .levels(5000))
            let book = try #require(venue.book("ETHUSDT"))
            #expect(snapshot.bids == book.bids)
            #expect(snapshot.asks == book.asks)
        }
    }

    @Test("automatic depth asks for 5000 levels (weight 250) while the budget is fresh")
    func automaticDepthIsDeep() async throws {
        try await withFakeBinance { venue, urls in
            _ = try await fakeRESTClient(urls).depth(symbol: "BTCUSDT")
            #expect(venue.restRequests.last?.query["limit"] == "5000")
            #expect(venue.restRequests.last?.weight == 250)
        }
    }

    @Test("pacing keeps Binance's used weight under a small limit: 20 concurrent snapshots, no 429")
    func pacingUnderSmallLimit() async throws {
        let configuration = FakeBinanceVenue.Configuration(autoStep: false, weightLimit: 60, weightWindow: .seconds(2))
        try await withFakeBinance(configuration) { venue, urls in
            // A margin of 20 weight: requests sent in one window may arrive in the next on a loaded machine.
            let client = fakeRESTClient(urls, budget: .init(limit: 60, windowMs: 2_000, safetyMargin: 20))
            let started = ContinuousClock.now
            let results = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 {
                    group.addTask { (try? await client.depth(symbol: "BTCUSDT", limit: .levels(100))) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            let elapsed = ContinuousClock.now - started
            #expect(results.allSatisfy { $0 })
            let log = venue.restRequests
            #expect(log.count == 20)
            #expect(log.allSatisfy { $0.status == 200 })
            #expect(log.map(\.usedWeight).max() ?? 0 <= 60)
            // 100 weight at 40 per 2 s window cannot go out in less than one window.
            #expect(elapsed > .seconds(1.5))
        }
    }

    @Test("a 429 with Retry-After makes the client wait that long, then the request succeeds")
    func rateLimitedWaitsAndRetries() async throws {
        try await withFakeBinance { venue, urls in
            let client = fakeRESTClient(urls)
            venue.injectRESTFailure(.tooManyRequests(retryAfterSeconds: 1), path: "/api/v3/depth")
            let started = ContinuousClock.now
            _ = try await client.depth(symbol: "BTCUSDT", limit: .levels(100))
            #expect(ContinuousClock.now - started >= .milliseconds(950))
            #expect(venue.restRequests.map(\.status) == [429, 200])
        }
    }

    @Test("a 418 stops the client with a message naming venue, request, ban end and remedy; nothing more is sent")
    func bannedStops() async throws {
        try await withFakeBinance { venue, urls in
            let client = fakeRESTClient(urls)
            venue.injectRESTFailure(.banned(retryAfterSeconds: 120))
            let error = try #require(await binanceRESTError { _ = try await client.depth(symbol: "BTCUSDT", limit: .levels(100)) })
            #expect(error.code == .ipBanned)
            #expect(error.status == 418)
            #expect(error.retryAfter == .seconds(120))
            let text = error.description
            #expect(text.contains("Binance GET /api/v3/depth (symbol BTCUSDT)"))
            #expect(text.contains("HTTP 418"))
            #expect(text.contains("Wait until the ban ends"))
            #expect(text.contains("Retry-After 120 s"))
            let next = try #require(await binanceRESTError { _ = try await client.exchangeInfo() })
            #expect(next.code == .ipBanned)
            #expect(next.status == nil)
            #expect(venue.restRequests.count == 1)
            #expect(client.resumeAfterBan() == false)
        }
    }

    @Test("an unknown symbol answers -1121 and the error names the symbol and what to do")
    func invalidSymbol() async throws {
        try await withFakeBinance { _, urls in
            let error = try #require(await binanceRESTError { _ = try await fakeRESTClient(urls).depth(symbol: "NOPEUSDT", limit: .levels(100)) })
            #expect(error.code == .invalidSymbol)
            #expect(error.binanceCode == -1121)
            #expect(error.binanceMessage == "Invalid symbol.")
            #expect(error.description.contains("NOPEUSDT"))
            #expect(error.description.contains("Remove it from the configuration"))
            #expect(!error.isRetryable)
        }
    }

    @Test("a 503 is retried with backoff and the second answer is returned")
    func serverErrorRetried() async throws {
        try await withFakeBinance { venue, urls in
            venue.injectRESTFailure(.serverError(status: 503))
            _ = try await fakeRESTClient(urls).serverTime()
            #expect(venue.restRequests.map(\.status) == [503, 200])
        }
    }

    @Test("a connection dropped without an answer is retried")
    func droppedConnectionRetried() async throws {
        try await withFakeBinance { venue, urls in
            venue.injectRESTFailure(.dropConnection)
            let info = try await fakeRESTClient(urls).exchangeInfo()
            #expect(info.instruments.count == 3)
            #expect(venue.restRequests.count == 2)
        }
    }

    @Test("a malformed body is a counted malformedBody error, never a snapshot")
    func malformedBodyCounted() async throws {
        try await withFakeBinance { venue, urls in
            let counters = VenueCounters(venue: "binance")
            let client = fakeRESTClient(urls, counters: counters)
            venue.injectRESTFailure(.raw(status: 200, body: #"{"lastUpdateId":1,"bids":[["x""#))
            let error = try #require(await binanceRESTError { _ = try await client.depth(symbol: "BTCUSDT", limit: .levels(100)) })
            #expect(error.code == .malformedBody)
            #expect(client.malformedBodies == 1)
            #expect(counters.malformed.load(ordering: .relaxed) == 1)
        }
    }

    @Test("exchangeInfo from the fake: TRADING symbols become instruments, a halted one is skipped and reported")
    func exchangeInfoFromFake() async throws {
        let symbols = FakeBinanceVenue.defaultSymbols + [.spot("LUNA", "USDT", price: "1", status: "BREAK")]
        try await withFakeBinance(.init(symbols: symbols, autoStep: false)) { _, urls in
            let info = try await fakeRESTClient(urls).exchangeInfo()
            #expect(info.instruments.map(\.symbol) == ["BTCUSDT", "ETHUSDT", "BNBUSDT"])
            #expect(info.skipped.map(\.symbol) == ["LUNAUSDT"])
            let btc = try #require(info.instruments.first)
            #expect(btc.tickSize == Decimal(string: "0.01"))
            #expect(btc.lotSize == Decimal(string: "0.00001"))
            #expect(btc.minNotional == 5)
        }
    }

    @Test("exchangeInfo for chosen symbols sends them as a JSON array")
    func exchangeInfoForSymbols() async throws {
        try await withFakeBinance { venue, urls in
            let info = try await fakeRESTClient(urls).exchangeInfo(symbols: ["ETHUSDT", "BNBUSDT"])
            #expect(info.instruments.map(\.symbol) == ["ETHUSDT", "BNBUSDT"])
            #expect(venue.restRequests.last?.query["symbols"] == #"["ETHUSDT","BNBUSDT"]"#)
        }
    }

    @Test("the most traded USDT symbols come from ticker/24hr, highest quote volume first")
    func topSymbols() async throws {
        try await withFakeBinance { venue, urls in
            let top = try await fakeRESTClient(urls).topSymbols(count: 2, quoteAsset: "USDT")
            #expect(top.map(\.symbol) == ["BTCUSDT", "ETHUSDT"])
            #expect(top.first?.quoteVolume == 1_500_000_000)
            #expect(venue.restRequests.last?.weight == 80)
        }
    }

    @Test("2500 one-minute klines come back contiguous and oldest first from three backward pages")
    func recentKlinesPageBackwards() async throws {
        try await withFakeBinance { venue, urls in
            let end: Int64 = 1_700_000_000_000
            let rows = try await fakeRESTClient(urls).recentKlines(symbol: "BTCUSDT", interval: .oneMinute, count: 2500, endTime: end)
            #expect(rows.count == 2500)
            #expect(zip(rows, rows.dropFirst()).allSatisfy { $1.openTime == $0.openTime + 60_000 })
            #expect(rows.last?.openTime == end / 60_000 * 60_000)
            #expect(venue.restRequests.count == 3)
        }
    }

    @Test("sixty daily klines through a range page forwards and end at the range's last day")
    func klinesForwardRange() async throws {
        try await withFakeBinance { _, urls in
            let day: Int64 = 86_400_000
            let start: Int64 = 1_690_000_000_000 / day * day
            let rows = try await fakeRESTClient(urls).klines(symbol: "ETHUSDT", interval: .oneDay, from: start, through: start + 59 * day)
            #expect(rows.count == 60)
            #expect(rows.first?.openTime == start)
            #expect(rows.allSatisfy { $0.low <= $0.open && $0.high >= $0.close })
        }
    }
}
