import AsyncHTTPClient
import Bybit
import BybitFakes
import Foundation
import HostCore
import Testing
import VenueKit

/// The REST client against the fake venue over real loopback HTTP.
@Suite("Bybit REST client against the fake venue")
struct RESTClientTests {
    /// 2023-11-14T22:13:20Z: a pinned clock makes candles and timestamps repeatable.
    static let now: Int64 = 1_700_000_000_000

    private func client(_ venue: FakeBybitVenue, retry: BybitREST.RetryPolicy = fastRetry, pageSize: Int = 1000) -> BybitREST {
        BybitREST(baseURL: venue.urls.rest, timeout: .seconds(5), retry: retry, instrumentsPageSize: pageSize, logger: fakeTestLogger)
    }

    static let fastRetry = BybitREST.RetryPolicy(maxAttempts: 4, backoff: .init(base: .milliseconds(10), max: .milliseconds(40)),
                                                 ipBanPause: .seconds(1), maxRateLimitWait: .seconds(5))

    @Test("spot instruments: one request, tick and lot from the listing")
    func spotInstruments() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let listed = try await client(venue).instruments(category: .spot)
            #expect(listed.instruments.map(\.symbol) == ["BTCUSDT", "ETHUSDT", "SOLUSDT"])
            let btc = try #require(listed.instruments.first)
            #expect(btc.tickSize == Decimal(string: "0.01") && btc.lotSize == Decimal(string: "0.000001") && btc.minNotional == 1)
            #expect(venue.requests.count == 1)
        }
    }

    @Test("linear instruments follow nextPageCursor over every page; PreLaunch is reported, not listed")
    func linearPagination() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let listed = try await client(venue, pageSize: 2).instruments(category: .linear)
            #expect(listed.instruments.map(\.symbol) == ["BTCUSDT", "ETHUSDT", "SOLUSDT"])
            #expect(listed.notTrading == [.init(symbol: "NEWUSDT", reason: "PreLaunch")])
            #expect(venue.requests.map { $0.query["cursor"] } == [nil, "next_2"])
            #expect(listed.instruments[0].lotSize == Decimal(string: "0.001") && listed.instruments[0].minNotional == 5)
        }
    }

    @Test("2500 one-minute klines: three windowed requests, returned oldest first without gaps")
    func klinePaging() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let end = Self.now / 60_000 * 60_000
            let start = end - 2_499 * 60_000
            let rows = try await client(venue).klines(category: .spot, symbol: "BTCUSDT", interval: .minute1, startMs: start, endMs: end)
            #expect(rows.count == 2_500)
            #expect(rows.first?.startMs == start && rows.last?.startMs == end)
            #expect(zip(rows, rows.dropFirst()).allSatisfy { $1.startMs - $0.startMs == 60_000 })
            #expect(venue.requests.count == 3)
            #expect(venue.requests.allSatisfy { $0.query["limit"] == "1000" })
        }
    }

    @Test("newest-first pages come back oldest first: each candle's close is the next one's open")
    func klineOrder() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let rows = try await client(venue).latestKlines(category: .linear, symbol: "ETHUSDT", interval: .day, count: 60, nowMs: Self.now)
            #expect(rows.count == 60)
            #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.close == $1.open && $1.startMs - $0.startMs == 86_400_000 })
            #expect(rows.last?.startMs == Self.now / 86_400_000 * 86_400_000)
            #expect(venue.requests.count == 1)
        }
    }

    @Test("latest closed klines leave out the candle still open")
    func closedOnly() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let rows = try await client(venue).latestKlines(category: .spot, symbol: "BTCUSDT", interval: .minute1, count: 500, nowMs: Self.now,
                                                            closedOnly: true)
            #expect(rows.count == 500)
            #expect(rows.last.map { $0.startMs + 60_000 <= Self.now } == true)
        }
    }

    @Test("HTTP 403 pauses every request for the configured time, then the call succeeds")
    func ipBanPausesEveryRequest() async throws {
        try await withFakeVenue() { venue in
            venue.failREST(.ipRateLimit)
            let rest = client(venue)
            async let first = rest.serverTime()
            // The client has taken the 403 (kept after the pause ends, so a starved test thread cannot miss it).
            #expect(await FakeWait.until { rest.gate.lastPauseEnd != nil })
            async let second = rest.serverTime()  // a call made during the pause (or, on a starved machine, after it)
            _ = try await (first, second)
            let log = venue.requests
            #expect(log.map(\.status) == [403, 200, 200])
            // Nothing was sent while the IP was paused: the venue's own clock saw both later
            // requests at least the pause (1 s) after the 403 — whatever the test thread's timing.
            #expect(log.dropFirst().allSatisfy { $0.timeMs - log[0].timeMs >= 1_000 }, "\(log.map(\.timeMs))")
        }
    }

    @Test("with waitOutIPBan off, a 403 and every call during the pause fail at once as ipRateLimited")
    func ipBanFailsFast() async throws {
        try await withFakeVenue() { venue in
            venue.failREST(.ipRateLimit)
            var retry = Self.fastRetry
            retry.waitOutIPBan = false
            retry.ipBanPause = .seconds(60)
            let rest = client(venue, retry: retry)
            let error = try await #require(throws: BybitRESTError.self) { try await rest.serverTime() }
            #expect(error.code == .ipRateLimited && error.httpStatus == 403 && error.isRetryable && error.retryAfter == .seconds(60))
            let again = try await #require(throws: BybitRESTError.self) { try await rest.tickers(category: .spot) }
            #expect(again.code == .ipRateLimited && venue.requests.count == 1)
        }
    }

    @Test("retCode 10006 waits until X-Bapi-Limit-Reset-Timestamp, then retries")
    func retCodeRateLimit() async throws {
        try await withFakeVenue() { venue in
            venue.failREST(.rateLimitRetCode(resetAfter: .milliseconds(300)))
            let started = ContinuousClock.now
            let time = try await client(venue).serverTime()
            #expect(time.nanoseconds > 0)
            #expect(ContinuousClock.now - started >= .milliseconds(250))
            #expect(venue.requests.count == 2)
        }
    }

    @Test("HTTP 429 honours Retry-After")
    func httpRateLimit() async throws {
        try await withFakeVenue() { venue in
            venue.failREST(.httpRateLimit(retryAfterSeconds: 1))
            let started = ContinuousClock.now
            _ = try await client(venue).serverTime()
            #expect(ContinuousClock.now - started >= .milliseconds(950))
            #expect(venue.requests.map(\.status) == [429, 200])
        }
    }

    @Test("5xx answers are retried with backoff until one succeeds")
    func serverErrorsRetried() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            venue.failREST(.serverError(status: 502), count: 2)
            let tickers = try await client(venue).tickers(category: .linear)
            #expect(tickers.tickers.count == 3)
            #expect(venue.requests.map(\.status) == [502, 502, 200])
        }
    }

    @Test("5xx beyond the attempts is thrown as a retryable serverError")
    func serverErrorsExhausted() async throws {
        try await withFakeVenue() { venue in
            venue.failREST(.serverError(status: 503), count: 5)
            var retry = Self.fastRetry
            retry.maxAttempts = 2
            let error = try await #require(throws: BybitRESTError.self) { try await client(venue, retry: retry).serverTime() }
            #expect(error.code == .serverError && error.httpStatus == 503 && error.isRetryable)
            #expect(venue.requests.count == 2)
        }
    }

    @Test("an unknown symbol is unknownSymbol with retCode 10001, not retried")
    func unknownSymbol() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let error = try await #require(throws: BybitRESTError.self) {
                try await client(venue).latestKlines(category: .spot, symbol: "NOPEUSDT", interval: .minute1, count: 10, nowMs: Self.now)
            }
            #expect(error.code == .unknownSymbol && error.retCode == 10001 && error.retMsg == "Not supported symbols" && !error.isRetryable)
            #expect(error.message.contains("instruments-info"))
            #expect(venue.requests.count == 1)
        }
    }

    @Test("another retCode is a venueError carrying retCode and retMsg")
    func otherRetCode() async throws {
        try await withFakeVenue() { venue in
            venue.failREST(.retCode(10005, "Permission denied"))
            let error = try await #require(throws: BybitRESTError.self) { try await client(venue).serverTime() }
            #expect(error.code == .venueError && error.retCode == 10005 && error.retMsg == "Permission denied" && !error.isRetryable)
        }
    }

    @Test("a truncated body is invalidResponse, not retried")
    func malformedBody() async throws {
        try await withFakeVenue() { venue in
            venue.failREST(.malformedBody)
            let error = try await #require(throws: BybitRESTError.self) {
                try await client(venue).klines(category: .linear, symbol: "BTCUSDT", interval: .minute1, startMs: 0, endMs: 1)
            }
            #expect(error.code == .invalidResponse && error.message.contains("not JSON"))
            #expect(venue.requests.count == 1)
        }
    }

    @Test("a connection dropped without an answer is a transport failure, retried")
    func droppedConnection() async throws {
        try await withFakeVenue() { venue in
            venue.failREST(.dropConnection)
            let time = try await client(venue).serverTime()
            #expect(time.nanoseconds > 0)
            #expect(venue.requests.map(\.status) == [0, 200])
        }
    }

    @Test("nothing listening is a retryable transport error")
    func nothingListening() async throws {
        let venue = try await makeFakeVenue()
        let url = venue.urls.rest
        await venue.stop()
        var retry = Self.fastRetry
        retry.maxAttempts = 1
        // The HTTP client keeps retrying the refused connection until the request's deadline and
        // then reports the refusal; with a short deadline a stalled test machine reported a
        // different error, so the deadline is long (the test takes about a minute).
        let rest = BybitREST(baseURL: url, timeout: .seconds(60), retry: retry, logger: fakeTestLogger)
        let error = try await #require(throws: BybitRESTError.self) { try await rest.serverTime() }
        #expect(error.code == .transport && error.isRetryable)
    }

    @Test("top symbols by turnover from the fake's tickers: highest first, equal turnover by symbol")
    func topSymbols() async throws {
        var instruments = FakeBybitInstrument.defaults.filter { $0.category == .spot }
        instruments.append(.init(category: .spot, symbol: "AAAUSDT", baseCoin: "AAA", quoteCoin: "USDT", tickSize: "0.01", lotSize: "0.01",
                                 minOrderQty: "0.01", minNotional: "1", startPrice: "10", levelSize: "10", turnover24h: "400000000"))
        try await withFakeVenue(clock: FakeTestClock(Self.now), instruments: instruments) { venue in
            let top = try await client(venue).topSymbolsByTurnover(category: .spot, count: 3)
            #expect(top == ["BTCUSDT", "AAAUSDT", "ETHUSDT"])
        }
    }

    @Test("the REST order book is the fake's own book, with the 1000-level stream's u")
    func orderBook() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            venue.step(20)
            let book = try await client(venue).orderBook(category: .linear, symbol: "BTCUSDT", limit: 25)
            let own = try #require(venue.book(category: .linear, symbol: "BTCUSDT", depth: 25))
            let deep = try #require(venue.book(category: .linear, symbol: "BTCUSDT", depth: 1000))
            #expect(book.bids.map { "\($0.price)" } == own.bids.map { "\(Fixed8(parsing: $0.price)!)" })
            #expect(book.asks.map(\.size) == own.asks.map { Fixed8(parsing: $0.size)! })
            #expect(book.updateID == deep.updateID && book.sequence == own.sequence)
        }
    }

    @Test("server time is the venue's clock")
    func serverTime() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let time = try await client(venue).serverTime()
            #expect(time.milliseconds == Self.now && time.envelopeMs == Self.now)
        }
    }
}
