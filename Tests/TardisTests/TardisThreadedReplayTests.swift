import Foundation
import HostCore
import HostFeeds
import Testing

struct TardisThreadedReplayTests {
    /// A pseudo-random data set over three symbols and all three types, with many equal
    /// local_timestamps across files and multi-row L2 messages.
    static func writeRandomDataSet(_ fixture: TardisFixture, rows: Int = 6_000, badLine: Int? = nil) {
        var rng = SplitMix64(seed: 99)
        for (index, symbol) in ["BTCUSDT", "ETHUSDT", "SOLUSDT"].enumerated() {
            var quotes = [TardisFixture.quotesHeader], trades = [TardisFixture.tradesHeader]
            var time: Int64 = 0
            for i in 0..<rows {
                time += Int64(rng.next() % 3)
                let px = 100 + Int(rng.next() % 50)
                quotes.append("binance,\(symbol),\(us(time)),\(us(time)),\(rng.next() % 9 + 1).\(index),\(px + 1).5,\(px),0.\(rng.next() % 999 + 1)")
                if i % 3 == 0 { trades.append("binance,\(symbol),\(us(time)),\(us(time)),\(i),\(rng.next() % 2 == 0 ? "buy" : "sell"),\(px).25,1") }
            }
            if let badLine, index == 1 { quotes[badLine] = "binance,\(symbol),bad" }
            fixture.write("binance_quotes_2024-01-01_\(symbol).csv", quotes)
            fixture.write("binance_trades_2024-01-01_\(symbol).csv.gz", trades)
        }
        var book = [TardisFixture.bookHeader]
        var time: Int64 = 0
        for _ in 0..<rows / 2 {
            time += Int64(rng.next() % 4)
            for level in 0..<Int(rng.next() % 4 + 1) {
                book.append("binance,BTCUSDT,\(us(time)),\(us(time)),false,\(level % 2 == 0 ? "bid" : "ask"),\(100 + level),\(rng.next() % 5)")
            }
        }
        fixture.write("binance_incremental_book_L2_2024-01-01_BTCUSDT.csv", book)
    }

    @Test("the threaded source yields the same event sequence as the direct one, whatever the batch size and parse threads",
          arguments: [(1, 2, 0), (7, 2, 1), (1_000, 3, 0), (1_000, 3, 3), (4_096, 3, 1), (4_096, 3, 2)])
    func threadedMatchesDirect(batchSize: Int, buffers: Int, parseThreads: Int) throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        Self.writeRandomDataSet(fixture)
        let dataSet = try fixture.open()
        var direct = dataSet.replay()
        var threaded = dataSet.threadedReplay(batchSize: batchSize, buffers: buffers, parseThreads: parseThreads)
        let expected = drain(&direct)
        #expect(expected.count > 20_000)
        #expect(drain(&threaded) == expected)
        #expect(threaded.failure == nil)
        #expect(threaded.statistics == direct.statistics)
    }

    @Test("the threaded source ends with the same events, error and statistics as the direct one, whatever the parse threads",
          arguments: [0, 1, 3])
    func threadedMatchesDirectOnError(parseThreads: Int) throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        Self.writeRandomDataSet(fixture, badLine: 4_000)
        let dataSet = try fixture.open()
        var direct = dataSet.replay()
        var threaded = dataSet.threadedReplay(batchSize: 100, parseThreads: parseThreads)
        let expected = drain(&direct)
        let failure = try #require(direct.failure)
        #expect(failure.code == .malformedRow && failure.line == 4_001)
        #expect(drain(&threaded) == expected)
        #expect(threaded.failure == failure)
        #expect(threaded.statistics == direct.statistics)
    }

    @Test("the threaded source's time is the tsRecv of the event next() returns")
    func threadedTimeIsNextEventTime() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        Self.writeRandomDataSet(fixture, rows: 1_000)
        var threaded = try fixture.open().threadedReplay(batchSize: 64, buffers: 2)
        var matches = true
        var count = 0
        while true {
            let time = threaded.time
            guard let event = threaded.next() else { break }
            if event.tsRecv != time { matches = false }
            count += 1
        }
        #expect(count > 1_000)
        #expect(matches)
    }

    @Test("a threaded source dropped before the end stops its thread and releases its files")
    func droppedThreadedSourceStops() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        Self.writeRandomDataSet(fixture, rows: 3_000)
        let dataSet = try fixture.open()
        do {
            var threaded = dataSet.threadedReplay(batchSize: 16, buffers: 2, parseThreads: 2)
            #expect(threaded.next() != nil)
        }
        // The files can be replayed again from the start.
        var again = dataSet.threadedReplay(batchSize: 16, buffers: 2)
        var direct = dataSet.replay()
        #expect(drain(&again) == drain(&direct))
    }

    /// A gzipped quotes file of about 2.6 MB of text: several inflate chunks.
    static func writeLargeGzip(_ fixture: TardisFixture, truncated: Bool = false) throws {
        var lines = [TardisFixture.quotesHeader]
        for i in 0..<30_000 { lines.append("binance,BTCUSDT,\(us(Int64(i))),\(us(Int64(i))),\(i % 97).5,\(1_000 + i % 13),\(999 + i % 13),\(i % 89)") }
        let path = fixture.path("binance_quotes_2024-01-01_BTCUSDT.csv.gz")
        TardisFixture.gzip(Array((lines.joined(separator: "\n") + "\n").utf8), to: path)
        if truncated {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: path))
        }
    }

    @Test("inflating .gz files ahead on helper threads gives the same events as inflating inline")
    func inflateAheadMatchesInline() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        try Self.writeLargeGzip(fixture)
        let dataSet = try fixture.open()
        var inline = dataSet.replay(inflateAhead: false)
        var ahead = dataSet.replay(inflateAhead: true)
        let expected = drain(&inline)
        #expect(expected.count == 30_000)
        #expect(drain(&ahead) == expected)
        #expect(ahead.statistics == inline.statistics)
    }

    @Test("inflating ahead ends a truncated .gz file with the same events and error as inflating inline")
    func inflateAheadTruncatedMatchesInline() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        try Self.writeLargeGzip(fixture, truncated: true)
        let dataSet = try fixture.open()
        var inline = dataSet.replay(inflateAhead: false)
        var ahead = dataSet.replay(inflateAhead: true)
        let expected = drain(&inline)
        #expect(inline.failure?.code == .unreadableFile)
        #expect(drain(&ahead) == expected)
        #expect(ahead.failure == inline.failure)
    }
}
