import Foundation
import HostCore
import HostPersistence
import Synchronization
import Testing
@testable import HostDashboard

struct DashboardBoardTests {
    static let minute: Int64 = 60_000_000_000
    static let t0: Int64 = 1_750_000_000_000_000_000

    static func symbols(_ names: [String]) -> SymbolTable {
        var table = SymbolTable()
        for name in names { table.register(Instrument.generic(symbol: name, venue: "simulated")) }
        return table
    }

    static func board(_ names: [String] = ["BTCUSDT", "ETHUSDT"], limit: Decimal? = 100) -> DashboardBoard {
        DashboardBoard(symbols: symbols(names), instances: [DashboardInstance(id: "trader", pluginID: "p", mode: .paper, dailyLossLimit: limit)])
    }

    static func trade(_ symbol: UInt32, _ price: Double, _ size: Double, at time: Int64, buy: Bool = true) -> MarketEvent {
        .trade(TradeTick(symbol: SymbolID(symbol), tsEvent: time, tsRecv: time, price: Fixed8(price)!, size: Fixed8(size)!,
                         aggressor: buy ? .buy : .sell, tradeID: 0))
    }

    static func fill(_ symbol: UInt32, side: Side, price: Decimal, size: Decimal, after: Decimal, realized: Decimal = 0, at time: Int64) -> FillRecord {
        FillRecord(clientOrderID: ClientOrderID(1), instanceID: "trader", mode: .paper, symbol: SymbolID(symbol), side: side, price: price,
                   size: size, fee: 0, liquidity: .taker, reason: after == 0 ? "take_profit" : "entry", realizedPnL: realized,
                   position: PositionSnapshot(quantity: after, averagePrice: after == 0 ? 0 : price, realizedPnL: realized, fees: 0), timestamp: time)
    }

    static func object(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test func manyUpdatesOfOneSymbolArePushedAsOneRow() throws {
        let board = Self.board()
        board.observe((0..<50).map { Self.trade(0, 100 + Double($0), 1, at: Self.t0 + Int64($0)) })
        let message = try Self.object(try #require(board.takeChangedRows()))
        let rows = try #require(message["rows"] as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["s"] as? String == "BTCUSDT")
        #expect(rows.first?["p"] as? Double == 149)
    }

    @Test func nothingIsPushedWhenNothingChanged() {
        let board = Self.board()
        board.observe([Self.trade(0, 100, 1, at: Self.t0)])
        _ = board.takeChangedRows()
        #expect(board.takeChangedRows() == nil)
    }

    @Test func snapshotHoldsEveryConfiguredSymbolEvenWithoutPrices() throws {
        let board = Self.board(["A", "B", "C"])
        let message = try Self.object(board.snapshotMessage(health: DashboardHealth(), controls: false))
        let symbols = try #require(message["symbols"] as? [[String: Any]])
        #expect(symbols.map { $0["s"] as? String } == ["A", "B", "C"])
    }

    @Test func latestTriggerOfEachKindAndTheQDERecommendationAreKept() throws {
        let board = Self.board()
        for (kind, time) in [("volume_spike", Self.t0), ("rsi", Self.t0 + 1), ("volume_spike", Self.t0 + 2)] {
            board.signalEmitted(SignalRecord(time: time, sourceInstanceID: "triggers", sourcePluginID: "triggers", symbol: "BTCUSDT",
                                             name: "trigger." + kind, direction: 1, value: 2, confidence: 0.5, payload: "{}"))
        }
        board.signalEmitted(SignalRecord(time: Self.t0 + 3, sourceInstanceID: "qde", sourcePluginID: "qde", symbol: "BTCUSDT",
                                         name: "qde.recommendation", direction: 1, value: 0.8, confidence: 0.7,
                                         payload: #"{"recommendation":"strong_buy","tp":110.5,"sl":95}"#))
        let row = try Self.object(try #require(board.rowJSON("BTCUSDT")))
        let triggers = try #require(row["tr"] as? [String: [String: Any]])
        #expect(Set(triggers.keys) == ["volume_spike", "rsi"])
        #expect(triggers["volume_spike"]?["at"] as? Int64 == Self.t0 + 2)
        let qde = try #require(row["q"] as? [String: Any])
        #expect(qde["r"] as? String == "strong_buy")
        #expect(qde["tp"] as? Double == 110.5)
        #expect(qde["sl"] as? Double == 95)
        #expect(qde["c"] as? Double == 0.7)
    }

    @Test func fillsMakeTheTradeStateAndTheUnrealizedPnL() throws {
        let board = Self.board()
        board.fillBooked(Self.fill(0, side: .buy, price: 100, size: 2, after: 2, at: Self.t0))
        board.observe([Self.trade(0, 110, 1, at: Self.t0 + 1)])
        let row = try Self.object(try #require(board.rowJSON("BTCUSDT")))
        #expect((row["t"] as? [[String: Any]])?.first?["st"] as? String == "long")
        let trading = try Self.object(board.tradingJSON())
        let instance = try #require((trading["instances"] as? [[String: Any]])?.first)
        #expect(instance["unrealized"] as? Double == 20)
        #expect((instance["positions"] as? [[String: Any]])?.count == 1)
    }

    @Test func closedTradesFeedTheReportStatistics() {
        let board = Self.board()
        board.fillBooked(Self.fill(0, side: .buy, price: 100, size: 1, after: 1, at: Self.t0))
        board.fillBooked(Self.fill(0, side: .sell, price: 105, size: 1, after: 0, realized: 5, at: Self.t0 + Self.minute))
        board.fillBooked(Self.fill(1, side: .buy, price: 50, size: 1, after: 1, at: Self.t0 + 2 * Self.minute))
        board.fillBooked(Self.fill(1, side: .sell, price: 48, size: 1, after: 0, realized: -2, at: Self.t0 + 3 * Self.minute))
        let statistics = board.statistics()
        #expect(statistics.trades == 2)
        #expect(statistics.wins == 1)
        #expect(statistics.totalPnL == 3)
        #expect(statistics.byMarket.map(\.key) == ["BTCUSDT", "ETHUSDT"])
        #expect(statistics.equityCurve.map(\.cumulativePnL) == [5, 3])
    }

    @Test func dailyLossLimitUsedIsTheDaysLossOverTheLimit() throws {
        let board = Self.board(limit: 10)
        board.fillBooked(Self.fill(0, side: .buy, price: 100, size: 1, after: 1, at: Self.t0))
        board.fillBooked(Self.fill(0, side: .sell, price: 96, size: 1, after: 0, realized: -4, at: Self.t0 + Self.minute))
        let trading = try Self.object(board.tradingJSON())
        let day = try #require((trading["instances"] as? [[String: Any]])?.first?["day"] as? [String: Any])
        #expect(day["trades"] as? Int == 1)
        #expect(day["limitUsed"] as? Double == 0.4)
    }

    @Test func openOrdersLeaveTheBookAtTheirTerminalUpdateAndDenialsAreCounted() throws {
        let board = Self.board()
        let order = OrderRequest(clientOrderID: ClientOrderID(7), instance: 0, mode: .paper, symbol: SymbolID(0), side: .buy, type: .limit,
                                 timeInForce: .gtc, price: 99, size: 1, tag: "entry", createdAt: Self.t0)
        board.orderSubmitted(order, instanceID: "trader")
        #expect(try Self.orders(board).count == 1)
        board.orderUpdated(OrderUpdate(clientOrderID: ClientOrderID(7), instance: 0, symbol: SymbolID(0), side: .buy, status: .canceled, timestamp: Self.t0 + 1),
                           instanceID: "trader", mode: .paper)
        #expect(try Self.orders(board).isEmpty)
        board.orderUpdated(OrderUpdate(clientOrderID: ClientOrderID(8), instance: 0, symbol: SymbolID(0), side: .buy, status: .denied,
                                       denyReason: .killSwitch, timestamp: Self.t0 + 2), instanceID: "trader", mode: .paper)
        let tick = try Self.object(board.tickMessage(health: DashboardHealth(), controls: false))
        let denials = try #require((tick["health"] as? [String: Any])?["denials"] as? [String: Int])
        #expect(denials == ["kill_switch": 1])
    }

    @Test func killSwitchStateFollowsTheHostsTradingState() throws {
        let board = Self.board()
        board.tradingStateChanged(instanceID: "*", state: .halted, reason: "operator", at: Self.t0)
        let kill = try #require(try Self.object(board.tradingJSON(controls: true))["kill"] as? [String: Any])
        #expect(kill["engaged"] as? Bool == true)
        #expect(kill["reason"] as? String == "operator")
        #expect(kill["controls"] as? Bool == true)
    }

    @Test func bookSnapshotsGiveThePriceOfBookOnlySymbols() throws {
        let board = Self.board()
        board.bookSnapshot(symbol: SymbolID(1), time: Self.t0, bids: [(Fixed8(0.49)!, Fixed8(10))], asks: [(Fixed8(0.51)!, Fixed8(10))])
        let row = try Self.object(try #require(board.rowJSON("ETHUSDT")))
        #expect(row["p"] as? Double == 0.5)
    }

    @Test func activeIcebergsShowOnTheRowAndLeaveWhenExhausted() throws {
        let board = Self.board()
        func level(_ status: String) -> RecordRow {
            RecordRow(table: "iceberg_levels", values: [.text("BTCUSDT"), .text("bid"), .double(99.5), .int(Self.t0), .text(status), .text("whale")])
        }
        board.recordUpserted(level("ACTIVE"))
        #expect((try Self.object(try #require(board.rowJSON("BTCUSDT")))["ice"] as? [[String: Any]])?.count == 1)
        board.recordUpserted(level("EXHAUSTED"))
        #expect(try Self.object(try #require(board.rowJSON("BTCUSDT")))["ice"] == nil)
    }

    @Test func candleChartRendersCandlesAndCVD() throws {
        let board = Self.board()
        board.observe((0..<30).map { Self.trade(0, 100 + Double($0 % 7), 1, at: Self.t0 + Int64($0) * Self.minute / 3, buy: $0 % 2 == 0) })
        let svg = try #require(board.candleChart(symbol: "BTCUSDT", timeframe: "1m"))
        #expect(svg.contains("class=\"candles-up\""))
        #expect(svg.contains("class=\"cvd\""))
        #expect(board.candleChart(symbol: "BTCUSDT", timeframe: "7m") == nil)
        #expect(board.candleChart(symbol: "NOPE", timeframe: "1m") == nil)
    }

    @Test func candleChartDrawsACVDLinePerCohort() throws {
        let board = Self.board()
        board.observe([Self.trade(0, 100, 2, at: Self.t0)])
        let svg = try #require(board.candleChart(symbol: "BTCUSDT", timeframe: "1m"))
        for cohort in ["whale", "dolphin", "minnow"] { #expect(svg.contains("class=\"cvd-\(cohort)\"")) }
    }

    @Test func tradesAreSortedIntoCohortsByTheirNotionalWithTheConfiguredThresholds() throws {
        let board = DashboardBoard(symbols: Self.symbols(["BTCUSDT"]), instances: [],
                                   cohorts: ["BTCUSDT": CohortThresholds(whale: 1_000, dolphin: 100)])
        // Notional 2,000 (whale, buy), 500 (dolphin, sell), 50 (minnow, buy).
        board.observe([Self.trade(0, 100, 20, at: Self.t0), Self.trade(0, 100, 5, at: Self.t0 + 1, buy: false), Self.trade(0, 100, 0.5, at: Self.t0 + 2)])
        let candle = try #require(board.state.withLock { $0.candles[0].candles.first })
        #expect(candle.delta(of: .whale) == 20)
        #expect(candle.delta(of: .dolphin) == -5)
        #expect(candle.delta(of: .minnow) == 0.5)
    }

    static func orders(_ board: DashboardBoard) throws -> [[String: Any]] {
        let trading = try object(board.tradingJSON())
        return try #require((trading["instances"] as? [[String: Any]])?.first?["orders"] as? [[String: Any]])
    }
}
