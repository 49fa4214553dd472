import Foundation
import HostCore
import HostFeeds
import Testing

struct UpDownDeterminismTests {
    @Test("the same seed gives the identical event sequence")
    func sameSeedSameEvents() {
        let fixture = UpDownFixture(seed: 11, windows: 2)
        let first = fixture.events()
        #expect(first.count > 1_000)
        #expect(first == fixture.events())
    }

    @Test("different seeds give different event sequences")
    func differentSeedDifferentEvents() {
        #expect(UpDownFixture(seed: 11, windows: 1).events() != UpDownFixture(seed: 12, windows: 1).events())
    }
}

struct UpDownTimingTests {
    @Test("events arrive in non-decreasing tsRecv order, each with tsEvent <= tsRecv")
    func timeOrder() {
        var previous = Int64.min
        var ordered = true
        for event in UpDownFixture(windows: 3).events() {
            let tsEvent: Int64
            switch event {
            case .bookDelta(let d): tsEvent = d.tsEvent
            case .oracle(let o): tsEvent = o.tsEvent
            case .settlement(let s): tsEvent = s.tsEvent
            default: tsEvent = event.tsRecv
            }
            if event.tsRecv < previous || tsEvent > event.tsRecv { ordered = false }
            previous = event.tsRecv
        }
        #expect(ordered)
    }

    @Test("the feed's time is the tsRecv of the event next() returns")
    func timeIsNextEventTime() {
        var simulation = UpDownFixture(windows: 1).simulation()
        var matches = true
        for _ in 0..<5_000 {
            let time = simulation.time
            guard let event = simulation.next() else { break }
            if event.tsRecv != time { matches = false }
        }
        #expect(matches)
    }

    @Test("oracle ticks are one second apart in venue time and 0.7-1.3 s apart on arrival")
    func oracleCadence() throws {
        let fixture = UpDownFixture(windows: 2)
        let btc = fixture.series[0].oracle
        let ticks = fixture.events().compactMap { event -> OraclePrice? in
            if case .oracle(let o) = event, o.symbol == btc { return o } else { return nil }
        }
        try #require(ticks.count == 2 * 5 * 60 + 1)
        let venueGaps = Set(zip(ticks, ticks.dropFirst()).map { $1.tsEvent - $0.tsEvent })
        let arrivalGaps = zip(ticks, ticks.dropFirst()).map { $1.tsRecv - $0.tsRecv }
        #expect(venueGaps == [second])
        #expect(arrivalGaps.allSatisfy { $0 >= 700_000_000 && $0 <= 1_300_000_000 })
        #expect(ticks.allSatisfy { $0.source == "chainlink" })
    }

    @Test("the feed starts at the window boundary at or before the configured start")
    func startAligned() throws {
        let fixture = UpDownFixture(windows: 1)
        let first = try #require(fixture.events().first { if case .oracle = $0 { true } else { false } })
        guard case .oracle(let tick) = first else { return }
        #expect(tick.tsEvent == 1_773_307_200 * second)
    }

    @Test("a run with N windows ends after the N-th settlement of every token")
    func finiteRunEnds() {
        let fixture = UpDownFixture(windows: 2)
        var simulation = fixture.simulation()
        var settlements = 0
        var lastWasSettlement = false
        while let event = simulation.next() {
            if case .settlement = event { settlements += 1; lastWasSettlement = true } else { lastWasSettlement = false }
        }
        #expect(settlements == 2 * 2 * fixture.series.count)
        #expect(lastWasSettlement)
        #expect(simulation.next() == nil)
    }
}

struct UpDownSettlementTests {
    @Test("each window settles Up and Down at complementary 1/0 prices, Up winning iff end oracle >= start oracle")
    func settlementFollowsOracle() throws {
        let fixture = UpDownFixture(seed: 5, windowMinutes: 1, windows: 30)
        let events = fixture.events()
        for series in fixture.series {
            var oracleAt: [Int64: Fixed8] = [:]
            var up: [Int64: Fixed8] = [:]
            var down: [Int64: Fixed8] = [:]
            for event in events {
                switch event {
                case .oracle(let o) where o.symbol == series.oracle: oracleAt[o.tsEvent] = o.price
                case .settlement(let s) where s.symbol == series.up: up[s.tsEvent] = s.price
                case .settlement(let s) where s.symbol == series.down: down[s.tsEvent] = s.price
                default: break
                }
            }
            try #require(up.count == 30 && Set(up.keys) == Set(down.keys))
            for (end, upPrice) in up {
                let start = try #require(oracleAt[end - fixture.windowLength])
                let close = try #require(oracleAt[end])
                #expect(upPrice == Fixed8(close >= start ? 1 : 0), "window ending \(end)")
                #expect(upPrice + down[end]! == Fixed8(1))
            }
        }
    }

    @Test("both outcomes occur over many windows")
    func bothOutcomesOccur() {
        let wins = longRunOutcomes.filter(\.upWon).count
        #expect(wins > 0 && wins < longRunOutcomes.count)
    }

    @Test("after a settlement the token's next rows are a fresh snapshot")
    func freshSnapshotAfterSettlement() {
        var awaiting: Set<SymbolID> = []
        var fresh = true
        for event in UpDownFixture(windows: 3).events() {
            switch event {
            case .settlement(let s): awaiting.insert(s.symbol)
            case .bookDelta(let d) where awaiting.contains(d.symbol):
                if !d.isSnapshot { fresh = false }
                if d.isEndOfBatch { awaiting.remove(d.symbol) }
            default: break
            }
        }
        #expect(fresh)
    }
}

struct UpDownBookTests {
    @Test("book levels lie on the 0.01 grid within [0.01, 0.99] with sizes of at least 5 shares on the lot grid")
    func levelsOnGrid() {
        var valid = true
        var rows = 0
        for event in UpDownFixture(windows: 3).events() {
            guard case .bookDelta(let d) = event, d.size.raw != 0 else { continue }
            rows += 1
            let onGrid = d.price.raw % 1_000_000 == 0 && d.size.raw % 1_000_000 == 0
            if !onGrid || d.price < Fixed8(parsing: "0.01")! || d.price > Fixed8(parsing: "0.99")! || d.size < Fixed8(5) {
                valid = false
            }
        }
        #expect(rows > 0)
        #expect(valid)
    }

    @Test("after every update each token's best bid is below its best ask")
    func neverCrossed() {
        let fixture = UpDownFixture(windows: 3)
        var books = fixture.series.map(SeriesBooks.init)
        var crossed = 0
        var checked = 0
        for event in fixture.events() {
            guard case .bookDelta(let d) = event, let i = books.firstIndex(where: { $0.series.up == d.symbol || $0.series.down == d.symbol }),
                  books[i].apply(d) else { continue }
            for book in [books[i].up, books[i].down] {
                checked += 1
                guard let bid = book.bids.best?.price, let ask = book.asks.best?.price, bid < ask else { crossed += 1; continue }
            }
        }
        #expect(checked > 1_000)
        #expect(crossed == 0)
    }

    @Test("Up bid + Down ask and Up ask + Down bid stay within 0.01 of 1")
    func complementaryBooks() {
        let fixture = UpDownFixture(windows: 3)
        var books = fixture.series.map(SeriesBooks.init)
        let one = Fixed8(1), tolerance = Fixed8(parsing: "0.01")!
        var worst = Fixed8.zero
        for event in fixture.events() {
            guard case .bookDelta(let d) = event, let i = books.firstIndex(where: { $0.series.up == d.symbol || $0.series.down == d.symbol }),
                  books[i].apply(d) else { continue }
            let b = books[i]
            for sum in [(b.up.bids.best?.price ?? .zero) + (b.down.asks.best?.price ?? .zero),
                        (b.up.asks.best?.price ?? .zero) + (b.down.bids.best?.price ?? .zero)] {
                worst = max(worst, sum > one ? sum - one : one - sum)
            }
        }
        #expect(worst <= tolerance)
    }

    @Test("books update several times per second for each token")
    func updateRate() {
        let fixture = UpDownFixture(assets: ["BTC"], windows: 1)
        let up = fixture.series[0].up
        let batches = fixture.events().filter { if case .bookDelta(let d) = $0 { d.symbol == up && d.isEndOfBatch } else { false } }
        #expect(batches.count >= 3 * 5 * 60)
    }

    @Test("late in most windows the favourite's ask is within 0.85-0.99")
    func favouriteReachesLateBand() {
        let reached = longRunOutcomes.filter(\.favouriteReachedLateBand).count
        #expect(longRunOutcomes.count == 80)
        #expect(Double(reached) >= 0.7 * Double(longRunOutcomes.count))
    }

    @Test("in some windows the favourite 60 s before the end loses")
    func lateReversalsOccur() {
        let lost = longRunOutcomes.filter { outcome in outcome.upFavouriteAt60s.map { $0 != outcome.upWon } ?? false }.count
        #expect(lost > 0)
    }

    @Test("the favourite 60 s before the end wins in most windows")
    func favouritesUsuallyWin() {
        let decided = longRunOutcomes.filter { $0.upFavouriteAt60s != nil }
        let won = decided.filter { $0.upFavouriteAt60s == $0.upWon }.count
        #expect(Double(won) >= 0.75 * Double(decided.count))
    }
}

struct UpDownSymbolTests {
    @Test("a series is an Up and a Down token on polymarket and an oracle symbol on chainlink")
    func instrumentConventions() {
        let instruments = UpDownSimulation.instruments(asset: "btc", windowMinutes: 15)
        #expect(instruments.map(\.symbol) == ["BTC-15M-UP", "BTC-15M-DOWN", "BTC-USD"])
        #expect(instruments.map(\.venue) == ["polymarket", "polymarket", "chainlink"])
        #expect(instruments[0].baseAsset == "BTC-15M-UP" && instruments[0].quoteAsset == "USDC")
        #expect(instruments[0].tickSize == 0.01 && instruments[0].lotSize == 0.01)
        #expect(instruments[0].minSize == 5 && instruments[0].minNotional == 1)
        #expect(instruments[2].baseAsset == "BTC" && instruments[2].quoteAsset == "USD" && instruments[2].tickSize == 0.01)
    }
}
