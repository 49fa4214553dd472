import Foundation
import HostCore
import HostFeeds
import Testing

struct TardisErrorTests {
    static let tradesFile = "binance_trades_2024-01-01_BTCUSDT.csv"

    /// A trades file whose third line is `badRow`.
    static func writeTrades(_ fixture: TardisFixture, badRow: String) -> String {
        fixture.write(tradesFile, [
            TardisFixture.tradesHeader,
            "binance,BTCUSDT,\(us(10)),\(us(10)),1,buy,100,1",
            badRow,
            "binance,BTCUSDT,\(us(30)),\(us(30)),3,sell,101,2",
        ])
    }

    /// Opens and replays, returning the events and the error that ended the replay.
    static func replayAll(_ fixture: TardisFixture, _ options: TardisOptions = TardisOptions()) throws -> ([MarketEvent], TardisError?) {
        var replay = try fixture.open(options).replay()
        let events = drain(&replay)
        return (events, replay.failure)
    }

    @Test("a missing directory is a missing_directory error naming it")
    func missingDirectory() {
        let path = "/nonexistent/tardis-\(UUID().uuidString)"
        #expect {
            try TardisDataSet(directory: path)
        } throws: { error in
            (error as? TardisError)?.code == .missingDirectory && (error as? TardisError)?.path == path
        }
    }

    @Test("a directory without matching Tardis files is a no_matching_files error")
    func noMatchingFiles() {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write("notes.txt", ["hello"])
        fixture.write("binance_book_snapshot_25_2024-01-01_BTCUSDT.csv", ["x"])
        #expect(throws: TardisError.self) { try fixture.open() }
        do {
            _ = try fixture.open()
        } catch {
            #expect(error.code == .noMatchingFiles)
            #expect(error.path == fixture.directory)
        }
    }

    @Test("a symbol filter that matches no file is a no_matching_files error listing the symbols found")
    func filterMatchesNothing() {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        TardisParsingTests.writeSmallDataSet(fixture)
        do {
            _ = try fixture.open(TardisOptions(symbols: ["DOGEUSDT"]))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .noMatchingFiles)
            #expect(error.message.contains("BTCUSDT"))
        }
    }

    @Test("a wrong header is an error naming the file, the expected header and the one found")
    func wrongHeader() {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        // A trades file named as quotes.
        let path = fixture.write("binance_quotes_2024-01-01_BTCUSDT.csv", [
            TardisFixture.tradesHeader, "binance,BTCUSDT,\(us(1)),\(us(1)),1,buy,100,1"])
        do {
            _ = try fixture.open()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .wrongHeader)
            #expect(error.path == path)
            #expect(error.line == 1)
            #expect(error.message.contains(TardisFixture.quotesHeader))
            #expect(error.message.contains(TardisFixture.tradesHeader))
        }
    }

    @Test("the same file both plain and gzipped is a duplicate_file error")
    func duplicateFile() {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        TardisParsingTests.writeSmallDataSet(fixture)
        fixture.write("binance_trades_2024-01-01_BTCUSDT.csv.gz", [TardisFixture.tradesHeader])
        do {
            _ = try fixture.open()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .duplicateFile)
        }
    }

    @Test("a truncated gzip file is an unreadable_file error naming it")
    func truncatedGzip() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        var lines = [TardisFixture.tradesHeader]
        for i in 0..<5_000 { lines.append("binance,BTCUSDT,\(us(Int64(i))),\(us(Int64(i))),\(i),buy,\(100 + i % 7),1") }
        let path = fixture.path(Self.tradesFile + ".gz")
        TardisFixture.gzip(Array(lines.joined(separator: "\n").utf8), to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        let (events, failure) = try Self.replayAll(fixture)
        #expect(failure?.code == .unreadableFile)
        #expect(failure?.path == path)
        #expect(events.count < 5_000)
    }

    @Test("a malformed row ends the replay with a malformed_row error naming file and line, after the rows before it",
          arguments: [
              ("binance,BTCUSDT,\(us(20)),\(us(20)),2,buy,100", "expected 8 fields"),
              ("binance,BTCUSDT,\(us(20)),\(us(20)),2,buy,100,1,extra", "expected 8 fields"),
              ("binance,BTCUSDT,\(us(20)),\(us(20)),2,buy,1O0,1", "price"),
              ("binance,BTCUSDT,\(us(20)),\(us(20)),2,buy,100,0.000000001", "amount"),
              ("binance,BTCUSDT,\(us(20)),\(us(20)),2,bid,100,1", "side"),
              ("binance,BTCUSDT,\(us(20)),x\(us(20)),2,buy,100,1", "local_timestamp"),
              ("binance,BTCUSDT,\(us(20)),\(us(20)),2,buy,,1", "price is empty"),
              ("binance,ETHUSDT,\(us(20)),\(us(20)),2,buy,100,1", "symbol"),
          ])
    func malformedRowFails(row: String, mention: String) throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        let path = Self.writeTrades(fixture, badRow: row)
        let (events, failure) = try Self.replayAll(fixture)
        #expect(events.map(\.tsRecv) == [ns(10)])
        let error = try #require(failure)
        #expect(error.code == .malformedRow)
        #expect(error.path == path)
        #expect(error.line == 3)
        #expect(error.message.contains(mention))
    }

    @Test("a bad is_snapshot value in an L2 file is a malformed row")
    func badSnapshotFlag() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write("binance_incremental_book_L2_2024-01-01_BTCUSDT.csv", [
            TardisFixture.bookHeader, "binance,BTCUSDT,\(us(1)),\(us(1)),yes,bid,100,1"])
        let (_, failure) = try Self.replayAll(fixture)
        #expect(failure?.code == .malformedRow)
        #expect(failure?.line == 2)
        #expect(failure?.message.contains("is_snapshot") == true)
    }

    @Test("an L2 row before a malformed row is delivered as the end of its message")
    func l2RowBeforeErrorEndsItsMessage() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write("binance_incremental_book_L2_2024-01-01_BTCUSDT.csv", [
            TardisFixture.bookHeader,
            "binance,BTCUSDT,\(us(1)),\(us(1)),false,bid,100,1",
            "binance,BTCUSDT,\(us(1)),\(us(1)),false,bid,99,1",
            "binance,BTCUSDT,\(us(1)),\(us(1)),false,bid,98",
        ])
        let (events, failure) = try Self.replayAll(fixture)
        #expect(failure?.line == 4)
        #expect(events.compactMap(\.bookDelta).map(\.isEndOfBatch) == [false, true])
    }

    @Test("with skipMalformed a malformed row is skipped and counted, and the other rows still come")
    func malformedRowSkipped() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        _ = Self.writeTrades(fixture, badRow: "binance,BTCUSDT,\(us(20)),\(us(20)),2,maybe,100,1")
        var replay = try fixture.open(TardisOptions(skipMalformed: true)).replay()
        let events = drain(&replay)
        #expect(replay.failure == nil)
        #expect(events.map(\.tsRecv) == [ns(10), ns(30)])
        #expect(replay.statistics.rowsSkipped == 1)
        #expect(replay.statistics.rowsRead == 3)
    }

    @Test("nextEvent() throws the error that ends the replay")
    func nextEventThrows() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        _ = Self.writeTrades(fixture, badRow: "garbage")
        var replay = try fixture.open().replay()
        #expect(try replay.nextEvent()?.tsRecv == ns(10))
        #expect(throws: TardisError.self) { try replay.nextEvent() }
    }

    @Test("a local_timestamp going back is a non_monotonic_timestamp error with file and line, even with skipMalformed",
          arguments: [false, true])
    func nonMonotonicTimestamp(skipMalformed: Bool) throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        let path = Self.writeTrades(fixture, badRow: "binance,BTCUSDT,\(us(5)),\(us(5)),2,buy,100,1")
        let (events, failure) = try Self.replayAll(fixture, TardisOptions(skipMalformed: skipMalformed))
        #expect(events.map(\.tsRecv) == [ns(10)])
        let error = try #require(failure)
        #expect(error.code == .nonMonotonicTimestamp)
        #expect(error.path == path)
        #expect(error.line == 3)
        #expect(error.message.contains("line 2"))
    }

    @Test("a later date's file starting before the previous file ended is a non_monotonic_timestamp error")
    func nonMonotonicAcrossDates() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write("binance_trades_2024-01-01_BTCUSDT.csv", [TardisFixture.tradesHeader, "binance,BTCUSDT,\(us(50)),\(us(50)),1,buy,1,1"])
        let later = fixture.write("binance_trades_2024-01-02_BTCUSDT.csv", [
            TardisFixture.tradesHeader, "binance,BTCUSDT,\(us(40)),\(us(40)),2,buy,1,1"])
        let (_, failure) = try Self.replayAll(fixture)
        #expect(failure?.code == .nonMonotonicTimestamp)
        #expect(failure?.path == later)
        #expect(failure?.line == 2)
    }

    @Test("the error's description names the file and line, the problem and the fix")
    func errorDescription() {
        let error = TardisError(code: .malformedRow, path: "/d/f.csv", line: 7, message: "side must be buy", fix: "correct it")
        #expect(error.description == "/d/f.csv:7: side must be buy (fix: correct it)")
        #expect(error.shortDescription == "tardis.malformed_row")
    }
}
