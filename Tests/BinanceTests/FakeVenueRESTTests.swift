import AsyncHTTPClient
import Binance
import BinanceFakes
import Foundation
import HostCore
import NIOCore
import NIOHTTP1
import Testing

/// One GET to the fake with AsyncHTTPClient: status, the headers the tests look at, body text.
private func get(_ url: String) async throws -> (status: Int, retryAfter: String?, usedWeight: String?, body: String) {
    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
    let body = try await response.body.collect(upTo: 1 << 24)
    return (Int(response.status.code), response.headers.first(name: "Retry-After"), response.headers.first(name: "X-MBX-USED-WEIGHT-1M"),
            String(buffer: body))
}

/// The fake venue's REST side, read with a plain HTTP client.
@Suite(.timeLimit(.minutes(1)))
struct FakeVenueRESTTests {
    @Test("an injected 429 answers status 429, code -1003, Retry-After and the used-weight header")
    func injected429() async throws {
        try await withFakeBinance { venue, urls in
            venue.injectRESTFailure(.tooManyRequests(retryAfterSeconds: 7))
            let answer = try await get(urls.rest + "/api/v3/depth?symbol=BTCUSDT")
            #expect(answer.status == 429)
            #expect(answer.retryAfter == "7")
            #expect(answer.usedWeight != nil)
            #expect(answer.body.hasPrefix(#"{"code":-1003,"#))
        }
    }

    @Test("an injected 418 answers status 418 with Retry-After until the ban ends")
    func injected418() async throws {
        try await withFakeBinance { venue, urls in
            venue.injectRESTFailure(.banned(retryAfterSeconds: 120), path: "/api/v3/exchangeInfo")
            let untouched = try await get(urls.rest + "/api/v3/ping")
            #expect(untouched.status == 200)
            let answer = try await get(urls.rest + "/api/v3/exchangeInfo")
            #expect(answer.status == 418)
            #expect(answer.retryAfter == "120")
            #expect(answer.body.contains("IP banned until"))
        }
    }

    @Test("weight beyond the limit answers 429 -1003 with Retry-After up to the end of the window")
    func weightLimitEnforced() async throws {
        // A fixed clock: the 60 s window cannot roll over between the two requests on a slow run.
        try await withFakeBinance(.init(autoStep: false, weightLimit: 60, weightWindow: .seconds(60)), nowMs: { 1_700_000_010_000 }) { _, urls in
            let first = try await get(urls.rest + "/api/v3/depth?symbol=BTCUSDT&limit=1000")
            #expect(first.status == 200)
            #expect(first.usedWeight == "50")
            let second = try await get(urls.rest + "/api/v3/depth?symbol=BTCUSDT&limit=1000")
            #expect(second.status == 429)
            #expect(second.usedWeight == "50")
            let seconds = try #require(second.retryAfter.flatMap { Int($0) })
            #expect(seconds == 30)  // 30 s into its minute
        }
    }

    @Test("depth weights follow Binance's table: 5, 25, 50, 250 by limit")
    func depthWeights() async throws {
        try await withFakeBinance(nowMs: { 1_700_000_010_000 }) { venue, urls in
            for limit in [100, 500, 1000, 5000] {
                _ = try await get(urls.rest + "/api/v3/depth?symbol=BTCUSDT&limit=\(limit)")
            }
            #expect(venue.restRequests.map(\.weight) == [5, 25, 50, 250])
            #expect(venue.restRequests.last?.usedWeight == 330)
        }
    }

    @Test("a partial snapshot carries at most the set number of levels per side")
    func partialSnapshot() async throws {
        try await withFakeBinance { venue, urls in
            venue.setPartialSnapshots(symbol: "BTCUSDT", levels: 7)
            let answer = try await get(urls.rest + "/api/v3/depth?symbol=BTCUSDT&limit=1000")
            let snapshot = try BinanceDepthSnapshot.parse(answer.body)
            #expect(snapshot.bids.count == 7)
            #expect(snapshot.asks.count == 7)
        }
    }

    @Test("a frozen snapshot answers an old lastUpdateId once the market has moved on")
    func frozenSnapshot() async throws {
        try await withFakeBinance { venue, urls in
            venue.freezeSnapshot(symbol: "BTCUSDT")
            let frozenID = try #require(venue.book("BTCUSDT")?.lastUpdateId)
            venue.step(5)
            let old = try BinanceDepthSnapshot.parse(try await get(urls.rest + "/api/v3/depth?symbol=BTCUSDT").body)
            #expect(old.lastUpdateID == frozenID)
            let fresh = try BinanceDepthSnapshot.parse(try await get(urls.rest + "/api/v3/depth?symbol=BTCUSDT").body)
            #expect(fresh.lastUpdateID == venue.book("BTCUSDT")?.lastUpdateId)
            #expect(fresh.lastUpdateID > old.lastUpdateID)
        }
    }

    @Test("klines are a function of their open time: the same range answers the same rows")
    func klinesDeterministic() async throws {
        try await withFakeBinance { _, urls in
            let url = urls.rest + "/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=1690000000000&limit=24"
            let first = try await get(url)
            let second = try await get(url)
            #expect(first.status == 200)
            #expect(first.body == second.body)
            #expect(try BinanceRESTParser.klines(Array(first.body.utf8)).count == 24)
        }
    }

    @Test("an unknown kline interval answers -1120 Invalid interval")
    func invalidInterval() async throws {
        try await withFakeBinance { _, urls in
            let answer = try await get(urls.rest + "/api/v3/klines?symbol=BTCUSDT&interval=2m")
            #expect(answer.status == 400)
            #expect(answer.body == #"{"code":-1120,"msg":"Invalid interval."}"#)
        }
    }

    @Test("the same seed gives the same books")
    func seededBooks() async throws {
        let a = FakeBinanceVenue(configuration: .init(seed: 42, autoStep: false))
        let b = FakeBinanceVenue(configuration: .init(seed: 42, autoStep: false))
        a.step(50)
        b.step(50)
        #expect(a.book("BTCUSDT") == b.book("BTCUSDT"))
        #expect(a.book("BTCUSDT") != FakeBinanceVenue(configuration: .init(seed: 43, autoStep: false)).book("BTCUSDT"))
    }
}
