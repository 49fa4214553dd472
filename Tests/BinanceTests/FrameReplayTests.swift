import Binance
import Foundation
import HostCore
import Testing

private func fx(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }

@Suite(fixturesPresent)
struct FrameReplayTests {
    static func textbook(depth: Int = 5) throws -> BinanceReplayReport {
        try BinanceFrameReplay.run(framesFile: Fixtures.url("ws_depthUpdate_100ms_NKNUSDT.jsonl").path,
                                   snapshotFile: Fixtures.url("rest_depth_snapshot_NKNUSDT_limit1000.json").path, depth: depth)
    }

    @Test("replaying the NKNUSDT diffs with the REST snapshot file gives the textbook counts and final book")
    func textbookReplay() throws {
        let report = try Self.textbook()
        #expect(report.frames == 150 && report.malformed == 0 && report.unknown == 0)
        #expect(report.applied == 149 && report.droppedStale == 1 && report.gaps == 0 && report.resyncs == 0)
        #expect(report.snapshotsApplied == 1 && report.snapshotRequestsUnanswered == 0)
        let book = try #require(report.books.first)
        #expect(report.books.count == 1)
        #expect(book.symbol == "NKNUSDT" && book.fresh)
        #expect(book.lastUpdateID == 499_870_179)
        #expect(book.bidLevels == 614 && book.askLevels == 994)
        #expect(book.bids.count == 5 && book.asks.count == 5)
        #expect(book.bids.first == BinanceReplayReport.Level(BinanceLevel(price: fx("0.3527"), size: fx("9602"))))
        #expect(book.asks.first == BinanceReplayReport.Level(BinanceLevel(price: fx("0.3531"), size: fx("152"))))
    }

    @Test("the cryptofeed capture replays with its timed REST snapshots: every frame parses, every book syncs without a gap")
    func cryptofeedReplay() throws {
        let report = try BinanceFrameReplay.run(framesFile: Fixtures.url("cryptofeed_ws_combined_capture_2021-10-12.txt").path,
                                                snapshotFile: Fixtures.url("cryptofeed_rest_depth_snapshots_2021-10-12.txt").path)
        #expect(report.headerLines == 1 && report.blankLines == 1)
        #expect(report.frames == 265 && report.malformed == 0 && report.unknown == 0)
        #expect(report.messages.depthUpdates == 177 && report.messages.bookTickers == 84)
        #expect(report.gaps == 0 && report.resyncs == 0)
        #expect(Set(report.books.map(\.symbol)) == ["NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"])
        let nkn = try #require(report.books.first { $0.symbol == "NKNUSDT" })
        #expect(nkn.fresh && nkn.lastUpdateID == 499_870_179 && nkn.bidLevels == 614 && nkn.askLevels == 994)
    }

    @Test("a whole-file JSON array (Tardis messages) replays; the recorder's depthSnapshot frames sync both books")
    func tardisReplay() throws {
        let report = try BinanceFrameReplay.run(framesFile: Fixtures.url("tardis_node_spot_messages_2019.json").path)
        #expect(report.frames == 10 && report.malformed == 0)
        #expect(report.unknown == 1)
        #expect(report.gaps == 0)
        let books = Dictionary(uniqueKeysWithValues: report.books.map { ($0.symbol, $0) })
        let gnt = try #require(books["GNTBTC"])
        #expect(gnt.fresh && gnt.lastUpdateID == 41_603_419)
        #expect(try #require(books["BTCUSDC"]).fresh)
        // GNTBTC: 41603407–413 is already in the snapshot at 41603417, 414–418 straddles it.
        #expect(gnt.counts.droppedStale == 1 && gnt.counts.applied == 2)
    }

    @Test("without a snapshot the book stays unsynchronised, its diffs buffered and the request counted as unanswered")
    func noSnapshot() throws {
        let report = try BinanceFrameReplay.run(framesFile: Fixtures.url("ws_depthUpdate_100ms_NKNUSDT.jsonl").path)
        #expect(report.snapshotRequests == 1 && report.snapshotRequestsUnanswered == 1)
        let book = try #require(report.books.first)
        #expect(!book.fresh && book.buffered == 150 && book.lastUpdateID == nil)
    }

    @Test("malformed and truncated lines are counted with line-numbered samples; blank lines are tolerated")
    func malformedLines() throws {
        let lines = try Fixtures.lines("ws_depthUpdate_100ms_NKNUSDT.jsonl")
        let truncated = String(lines[3].prefix(60))
        let text = ([lines[0], "", lines[1], truncated, "{\"stream\":\"x\"", lines[2]]).joined(separator: "\n")
        let snapshot = try BinanceFrameReplay.parseSnapshots(Array(try Fixtures.text("rest_depth_snapshot_NKNUSDT_limit1000.json").utf8))
        let report = BinanceFrameReplay.run(frames: Array(text.utf8), snapshots: snapshot)
        #expect(report.frames == 5 && report.blankLines == 1)
        #expect(report.malformed == 2)
        #expect(report.malformedSamples.map(\.line) == [4, 5])
        #expect(report.applied == 2)
    }

    @Test("the JSON rendering decodes back to the same report")
    func jsonRoundTrip() throws {
        let report = try Self.textbook()
        let decoded = try JSONDecoder().decode(BinanceReplayReport.self, from: Data(try report.json().utf8))
        #expect(decoded.books.first?.bids == report.books.first?.bids)
        #expect(decoded.applied == report.applied && decoded.frames == report.frames)
    }

    @Test("the text rendering names the book, its state, its last update id and the best levels")
    func textRendering() throws {
        let text = try Self.textbook(depth: 3).text
        #expect(text.contains("NKNUSDT: fresh, last update id 499870179, levels 614 bids / 994 asks"))
        #expect(text.contains("0.3527") && text.contains("0.3531"))
        #expect(text.contains("applied 149, dropped as stale 1, gaps 0, resyncs 0"))
    }

    @Test("cryptofeed snapshot lines give each snapshot its symbol and receive time")
    func cryptofeedSnapshots() throws {
        let snapshots = try BinanceFrameReplay.parseSnapshots(Array(try Fixtures.text("cryptofeed_rest_depth_snapshots_2021-10-12.txt").utf8))
        #expect(snapshots.map(\.symbol) == ["NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"])
        #expect(snapshots.first?.receivedNs == 1_633_998_512_320_639_000)
        #expect(snapshots.first?.snapshot.lastUpdateID == 499_869_752)
    }
}
