import HostCore
import HostFeeds
import Testing

struct TardisFilterTests {
    static func writeTwoSymbols(_ fixture: TardisFixture) {
        for symbol in ["BTCUSDT", "ETHUSDT"] {
            fixture.write("binance_trades_2024-01-01_\(symbol).csv", [TardisFixture.tradesHeader] + (1...5).map {
                "binance,\(symbol),\(us(Int64($0) * 10)),\(us(Int64($0) * 10)),\($0),buy,\($0),1"
            })
        }
    }

    @Test("the symbol filter (case-insensitive) keeps only the requested symbols' files and registers only them")
    func symbolFilter() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        Self.writeTwoSymbols(fixture)
        let dataSet = try fixture.open(TardisOptions(symbols: ["ethusdt"]))
        #expect(dataSet.files.count == 1)
        #expect(dataSet.symbols.count == 1)
        let eth = try #require(dataSet.symbols.id(venue: "binance", symbol: "ETHUSDT"))
        var replay = dataSet.replay()
        let events = drain(&replay)
        #expect(events.count == 5)
        #expect(events.allSatisfy { $0.symbol == eth })
    }

    @Test("the symbol filter applies per row in grouped files, counting the other rows as filtered")
    func symbolFilterInGroupedFile() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        fixture.write("deribit_trades_2024-01-01_OPTIONS.csv", [
            TardisFixture.tradesHeader,
            "deribit,BTC-1JAN24-40000-C,\(us(1)),\(us(1)),1,buy,0.1,1",
            "deribit,BTC-1JAN24-42000-P,\(us(2)),\(us(2)),2,sell,0.2,1",
            "deribit,BTC-1JAN24-40000-C,\(us(3)),\(us(3)),3,buy,0.3,1",
        ])
        let dataSet = try fixture.open(TardisOptions(symbols: ["BTC-1JAN24-40000-C"]))
        #expect(dataSet.symbols.count == 1)
        var replay = dataSet.replay()
        #expect(drain(&replay).map(\.tsRecv) == [ns(1), ns(3)])
        #expect(replay.statistics.rowsFiltered == 1)
    }

    @Test("the time filter keeps rows with from <= local_timestamp < to, counting the rest as filtered")
    func timeFilter() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        Self.writeTwoSymbols(fixture)
        var replay = try fixture.open(TardisOptions(from: ns(20), to: ns(40))).replay()
        let times = drain(&replay).map(\.tsRecv)
        #expect(times == [ns(20), ns(20), ns(30), ns(30)])
        // Each file: 10 before `from`, the 40 that ends the read; 50 is never read.
        #expect(replay.statistics.rowsFiltered == 4)
    }

    @Test("the data type filter keeps only the requested types")
    func dataTypeFilter() throws {
        let fixture = TardisFixture()
        defer { fixture.remove() }
        TardisParsingTests.writeSmallDataSet(fixture)
        var replay = try fixture.open(TardisOptions(dataTypes: [.trades])).replay()
        let events = drain(&replay)
        #expect(events.count == 3)
        #expect(events.allSatisfy { if case .trade = $0 { true } else { false } })
    }
}
