import Bybit
import Foundation
import Testing

@Suite(fixturesPresent)
struct FrameReplayTests {
    @Test("replaying the 500-level recording reports 50 frames applied, no gap, and the recorded final top of book")
    func orderbook500() throws {
        let report = try BybitFrameReplay.run(file: Fixtures.url("ws_orderbook500_XRPUSDT_linear_2024-12-01.jsonl").path, depth: 3)
        #expect(report.frames == 50)
        #expect(report.applied == 50)
        #expect(report.snapshots == 1)
        #expect(report.gaps == 0)
        #expect(report.malformed == 0)
        #expect(report.unknown == 0)
        let book = try #require(report.books.first)
        #expect(report.books.count == 1)
        #expect(book.topic == "orderbook.500.XRPUSDT")
        #expect(book.lastUpdateID == 20_254_918)
        #expect(book.lastSequence == 130_020_252_664)
        #expect(book.bidLevels == 500 && book.askLevels == 500)
        #expect(!book.stale)
        #expect(book.bids.count == 3)
        #expect(book.bids.first == .init(price: "1.9537", size: "10605"))
        #expect(book.asks.first == .init(price: "1.9538", size: "6702"))
    }

    @Test("replaying the recorded linear/inverse array counts trades, tickers and unknown topics, and finds the one real gap")
    func linearArray() throws {
        let report = try BybitFrameReplay.run(file: Fixtures.url("tardis_node_v5_linear_inverse_2023-04-05.json").path)
        #expect(report.frames == 15)
        #expect(report.trades == 4)
        #expect(report.tickerMessages == 5)
        #expect(report.unknown == 3)
        #expect(report.malformed == 0)
        let level1 = try #require(report.books.first { $0.topic == "orderbook.1.BTCUSDT" })
        // The last orderbook.1 message was recorded weeks later (u 1188472 after 7003306).
        #expect(level1.counts.gaps == 1)
        #expect(level1.stale)
        #expect(level1.lastUpdateID == 7_003_306)
        let perp = try #require(report.books.first { $0.topic == "orderbook.50.BTCPERP" })
        #expect(perp.counts.applied == 2)
        #expect(perp.bids.first == .init(price: "28555.2", size: "0.677"))
        #expect(!perp.stale)
    }

    @Test("replaying the recorded spot array keeps the level-1 and level-50 books of one symbol apart")
    func spotArray() throws {
        let report = try BybitFrameReplay.run(file: Fixtures.url("tardis_node_v5_spot_2023-04-05.json").path)
        #expect(report.books.map(\.topic) == ["orderbook.1.BTCUSDT", "orderbook.50.BTCUSDT"])
        #expect(report.applied == 4)
        #expect(report.gaps == 0)
        #expect(report.trades == 5)
        let level50 = report.books[1]
        #expect(level50.bids.map(\.price) == ["28162.57", "28161.04"])
        #expect(level50.asks.map(\.price) == ["28162.58"])
    }

    @Test("a malformed line is counted with its line number and the lines after it still apply")
    func malformedLine() throws {
        var lines = try StreamTest.orderbook500().prefix(4).map { $0 }
        lines.insert(#"{"topic":"orderbook.500.XRPUSDT","type":"delta","ts":1,"data":{"b":[["1.95","#, at: 2)
        let report = BybitFrameReplay.run(Data(lines.joined(separator: "\n").utf8))
        #expect(report.frames == 5)
        #expect(report.malformed == 1)
        #expect(report.applied == 4)
        #expect(report.gaps == 0)
        #expect(report.malformedSamples.first?.line == 3)
        #expect(report.malformedSamples.first?.error.contains("malformedJSON") == true)
    }

    @Test("deltas before any snapshot are reported as dropped, not applied")
    func deltasFirst() throws {
        let lines = try StreamTest.orderbook500()
        let report = BybitFrameReplay.run(Data(lines[1...5].joined(separator: "\n").utf8))
        #expect(report.applied == 0)
        #expect(report.droppedBeforeSnapshot == 5)
        #expect(report.books.first?.stale == true)
    }

    @Test("the JSON rendering carries the counts and the final book with exact decimal text")
    func jsonRendering() throws {
        let report = try BybitFrameReplay.run(file: Fixtures.url("ws_orderbook500_XRPUSDT_linear_2024-12-01.jsonl").path, depth: 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        #expect(object["frames"] as? Int == 50)
        #expect(object["gaps"] as? Int == 0)
        let book = try #require((object["books"] as? [[String: Any]])?.first)
        #expect(book["lastUpdateID"] as? Int == 20_254_918)
        #expect(book["bidLevels"] as? Int == 500)
        let bids = try #require(book["bids"] as? [[String: String]])
        #expect(bids == [["price": "1.9537", "size": "10605"], ["price": "1.9536", "size": bids[1]["size"] ?? ""]])
    }

    @Test("the text rendering names the topic, its u and seq, and the top levels")
    func textRendering() throws {
        let report = try BybitFrameReplay.run(file: Fixtures.url("ws_orderbook500_XRPUSDT_linear_2024-12-01.jsonl").path, depth: 1)
        #expect(report.text.contains("orderbook.500.XRPUSDT  u 20254918  seq 130020252664  levels 500 bids / 500 asks  fresh"))
        #expect(report.text.contains("1.9538  6702"))
        #expect(report.text.contains("frames 50  applied 50"))
    }
}
