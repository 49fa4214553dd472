import HostCore
import HostFeeds

/// 2026-03-12 09:22:03 UTC: two minutes into a 5-minute window, to exercise the alignment.
let fixtureStart: Int64 = 1_773_307_323 * 1_000_000_000
let second: Int64 = 1_000_000_000

/// A simulation with its symbol table and series.
struct UpDownFixture {
    var symbols = SymbolTable()
    var series: [UpDownSimulation.Series] = []
    var configuration: UpDownSimulation.Configuration
    var windowLength: Int64 { Int64(configuration.windowMinutes) * 60 * second }
    /// The first window's start: the configured start rounded down to a boundary.
    var firstWindowStart: Int64 { configuration.startTime / windowLength * windowLength }

    init(seed: UInt64 = 7, assets: [String] = ["BTC", "ETH"], windowMinutes: Int = 5, windows: Int = 3,
         bookInterval: Int64 = 250_000_000) {
        configuration = UpDownSimulation.Configuration(seed: seed, series: [], windowMinutes: windowMinutes,
                                                       startTime: fixtureStart, windows: windows, bookInterval: bookInterval)
        for asset in assets {
            series.append(UpDownSimulation.series(asset: asset, windowMinutes: windowMinutes, registeringIn: &symbols))
        }
        configuration.series = series
    }

    func simulation() -> UpDownSimulation { UpDownSimulation(configuration: configuration) }

    /// Every event of the (finite) run.
    func events() -> [MarketEvent] {
        var simulation = simulation()
        var events: [MarketEvent] = []
        while let event = simulation.next() { events.append(event) }
        return events
    }
}

/// Books of the Up and Down tokens of one series, kept from the feed's rows.
struct SeriesBooks {
    let series: UpDownSimulation.Series
    var up = OrderBook()
    var down = OrderBook()

    init(_ series: UpDownSimulation.Series) { self.series = series }

    /// Applies a row of this series; true when it completes the Down batch, which follows the
    /// Up batch of the same update, so both books are consistent.
    mutating func apply(_ delta: BookDelta) -> Bool {
        if delta.symbol == series.up { up.apply(delta) } else if delta.symbol == series.down { down.apply(delta) }
        return delta.symbol == series.down && delta.isEndOfBatch
    }

    /// True when Up's best bid is above Down's, false when below, nil on a tie.
    var upIsFavourite: Bool? {
        guard let upBid = up.bids.best?.price, let downBid = down.bids.best?.price, upBid != downBid else { return nil }
        return upBid > downBid
    }
}

/// What happened late in one window of a long run.
struct WindowOutcome {
    var upWon: Bool
    /// The favourite (higher best bid) as of 60 s before the end.
    var upFavouriteAt60s: Bool?
    /// The favourite's best ask was within [0.85, 0.99] at some point of the last 30 s.
    var favouriteReachedLateBand: Bool
}

/// Late-window outcomes of a long seeded BTC run with 15-minute windows, computed once.
let longRunOutcomes: [WindowOutcome] = {
    let fixture = UpDownFixture(seed: 2026, assets: ["BTC"], windowMinutes: 15, windows: 80, bookInterval: 500_000_000)
    var simulation = fixture.simulation()
    var books = SeriesBooks(fixture.series[0])
    let low = Fixed8(parsing: "0.85")!, high = Fixed8(parsing: "0.99")!
    var windowEnd = fixture.firstWindowStart + fixture.windowLength
    var favourite: Bool?
    var inBand = false
    var outcomes: [WindowOutcome] = []
    while let event = simulation.next() {
        switch event {
        case .bookDelta(let delta):
            guard books.apply(delta) else { continue }
            if delta.tsRecv < windowEnd - 60 * second { favourite = books.upIsFavourite }
            if delta.tsRecv >= windowEnd - 30 * second, let upFavourite = books.upIsFavourite,
               let ask = (upFavourite ? books.up : books.down).asks.best?.price, ask >= low, ask <= high {
                inBand = true
            }
        case .settlement(let settlement) where settlement.symbol == books.series.up:
            outcomes.append(WindowOutcome(upWon: settlement.price == Fixed8(1), upFavouriteAt60s: favourite, favouriteReachedLateBand: inBand))
            windowEnd += fixture.windowLength
            favourite = nil
            inBand = false
        default:
            continue
        }
    }
    return outcomes
}()
