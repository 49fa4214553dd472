import Foundation
import HostCore
import PolymarketREST
import PolymarketStreams

/// Turns Polymarket's market channel, RTDS prices and Gamma discovery into engine inputs
/// for the host's stable series symbols. Pure state (no I/O), so the rollover, resync and
/// settlement rules are tested directly; ``PolymarketFeed`` drives it from the network.
///
/// Rules:
/// - Each series' Up/Down symbols stand for the tokens of the *active* window (the one
///   containing now). Books of other subscribed windows (the next one, subscribed ahead)
///   are kept locally and delivered as a snapshot the moment their window becomes active.
/// - A symbol is **stale** (``EngineInput/feedStatus(symbol:stale:reason:)``) while its
///   active token has no book since the last invalidation (first subscription, a dropped or
///   silent connection, a tick-size change) and, for both tokens of a series, from a window's
///   end until that window's resolution is settled — so a strategy never enters on old data
///   or mixes two windows' positions.
/// - `market_resolved` (or Gamma's final outcome prices) settles the ended window: the Up
///   symbol at 1 if Up won else 0, Down the complement.
/// - A `price_change` older than the token's last `book` is dropped (out of order), and one
///   for a token without a book is ignored (the snapshot that follows carries it).
public struct FeedTranslator: Sendable {
    public let markets: PolymarketMarkets
    public var schedule: WindowSchedule
    /// RTDS topic per asset (`btc`): Chainlink spot, or the 60-s TWAP for TWAP-resolved markets.
    public private(set) var oracleTopics: [String: RTDSTopic] = [:]
    /// Forced oracle topic (`feed.oracle`), nil = by each market's resolution.
    public var oracleOverride: RTDSTopic?

    private var known: [[GammaMarket]]
    private var active: [GammaMarket?]
    private var awaitingSettlement: [GammaMarket?]
    private var resolved: Set<String> = []
    /// Winning token per resolved condition id (a resolution may arrive before the rollover).
    private var winners: [String: (token: String, atNs: Int64)] = [:]
    private var books: [String: LocalBook] = [:]
    private var needsBook: Set<String> = []
    private var staleNow: [Int: String] = [:]

    /// Counters for progress output and tests.
    public private(set) var droppedOutOfOrder = 0
    public private(set) var settlements = 0

    public init(markets: PolymarketMarkets, schedule: WindowSchedule = WindowSchedule()) {
        self.markets = markets
        self.schedule = schedule
        known = Array(repeating: [], count: markets.series.count)
        active = Array(repeating: nil, count: markets.series.count)
        awaitingSettlement = Array(repeating: nil, count: markets.series.count)
    }

    // MARK: - Discovery and time

    /// Adds windows found by discovery for series `index`.
    public mutating func discovered(_ found: [GammaMarket], series index: Int) {
        for market in found where !known[index].contains(where: { $0.conditionID == market.conditionID }) {
            known[index].append(market)
            markets.remember(market, series: markets.series[index])
            let asset = markets.series[index].asset
            if oracleTopics[asset] == nil || oracleOverride != nil { oracleTopics[asset] = oracleTopic(for: market) }
        }
    }

    /// The stream a window is judged on: Chainlink spot, or its 60-second TWAP (unless overridden).
    public func oracleTopic(for market: GammaMarket) -> RTDSTopic {
        oracleOverride ?? (market.resolution == .spot ? .chainlink : .twap60)
    }

    /// The windows the series symbols stand for now.
    public var activeWindows: [GammaMarket] { active.compactMap { $0 } }

    /// The asset of an RTDS symbol (`btc/usd` → `btc`).
    public static func asset(ofOracleSymbol symbol: String) -> String {
        symbol.split(separator: "/").first.map { $0.lowercased() } ?? ""
    }

    /// Windows of a series known so far.
    public func knownWindows(series index: Int) -> [GammaMarket] { known[index] }

    /// The plan of series `index` at `nowMs` (what to subscribe, what to look up next).
    public func plan(series index: Int, nowMs: Int64) -> WindowSchedule.Plan {
        schedule.plan(markets: known[index], resolvedConditionIDs: resolved, nowMs: nowMs)
    }

    /// Every token that should be subscribed at `nowMs`.
    public func desiredTokens(nowMs: Int64) -> Set<String> {
        var tokens = Set<String>()
        for i in known.indices {
            for market in plan(series: i, nowMs: nowMs).subscribe { tokens.insert(market.upTokenID); tokens.insert(market.downTokenID) }
            if let waiting = awaitingSettlement[i] { tokens.insert(waiting.upTokenID); tokens.insert(waiting.downTokenID) }
        }
        return tokens
    }

    /// Rolls windows over and forgets dropped ones; call often (every few hundred ms).
    public mutating func advance(nowMs: Int64) -> [EngineInput] {
        var out: [EngineInput] = []
        let nowNs = nowMs * 1_000_000
        for i in known.indices {
            let series = markets.series[i]
            let plan = plan(series: i, nowMs: nowMs)
            for market in plan.drop {
                known[i].removeAll { $0.conditionID == market.conditionID }
                books[market.upTokenID] = nil
                books[market.downTokenID] = nil
            }
            if let previous = active[i], nowMs >= previous.windowEndMs, plan.current?.conditionID != previous.conditionID {
                awaitingSettlement[i] = previous
                active[i] = nil
                if let winner = winners[previous.conditionID] { out += settle(series: i, winningTokenID: winner.token, atNs: max(winner.atNs, nowNs)) }
            }
            if let current = plan.current, active[i]?.conditionID != current.conditionID {
                active[i] = current
                markets.activate(current, series: series)
                for (symbol, token) in [(series.up, current.upTokenID), (series.down, current.downTokenID)] {
                    if let book = books[token], !needsBook.contains(token) {
                        out += book.snapshot(symbol: symbol, tsEvent: nowNs, tsRecv: nowNs).map(EngineInput.market)
                    } else {
                        needsBook.insert(token)
                        out.append(.market(.bookDelta(BookDelta(symbol: symbol, tsEvent: nowNs, tsRecv: nowNs, side: .buy, price: .zero,
                                                                size: .zero, flags: [.snapshot, .endOfBatch]))))
                    }
                }
            }
            if let waiting = awaitingSettlement[i], nowMs >= waiting.windowEndMs + schedule.graceMs {
                // Never resolved within the grace period: stop waiting, but say so loudly (positions stay open).
                awaitingSettlement[i] = nil
                out.append(.feedStatus(symbol: series.up, stale: true, reason: "window \(waiting.slug) was not resolved within the grace period"))
            }
        }
        out += statusChanges()
        return out
    }

    // MARK: - Market channel

    /// Translates one batch of market-channel messages received at `receivedNs`.
    public mutating func handle(_ messages: [MarketChannelMessage], receivedNs: Int64) -> [EngineInput] {
        var out: [EngineInput] = []
        for message in messages {
            switch message {
            case .book(let b):
                var book = LocalBook()
                for level in b.bids { book.set(.buy, level.price, level.size) }
                for level in b.asks { book.set(.sell, level.price, level.size) }
                book.timestampMs = b.timestampMs
                if let previous = books[b.assetID], previous.timestampMs > b.timestampMs, !needsBook.contains(b.assetID) {
                    droppedOutOfOrder += 1
                    continue
                }
                books[b.assetID] = book
                needsBook.remove(b.assetID)
                if let symbol = activeSymbol(b.assetID) {
                    out += book.snapshot(symbol: symbol, tsEvent: b.timestampMs * 1_000_000, tsRecv: receivedNs).map(EngineInput.market)
                }
            case .priceChange(let p):
                var rows: [SymbolID: [BookDelta]] = [:]
                var order: [SymbolID] = []
                for change in p.changes {
                    guard var book = books[change.assetID], !needsBook.contains(change.assetID) else { continue }
                    if p.timestampMs < book.timestampMs {
                        droppedOutOfOrder += 1
                        continue
                    }
                    book.set(change.side, change.price, change.size)
                    book.timestampMs = p.timestampMs
                    books[change.assetID] = book
                    if let symbol = activeSymbol(change.assetID) {
                        if rows[symbol] == nil { order.append(symbol) }
                        rows[symbol, default: []].append(BookDelta(symbol: symbol, tsEvent: p.timestampMs * 1_000_000, tsRecv: receivedNs,
                                                                   side: change.side, price: change.price, size: change.size, flags: []))
                    }
                }
                for symbol in order {
                    var list = rows[symbol]!
                    list[list.count - 1].flags.insert(.endOfBatch)
                    out += list.map { .market(.bookDelta($0)) }
                }
            case .lastTradePrice(let t):
                if let symbol = activeSymbol(t.assetID) {
                    out.append(.market(.trade(TradeTick(symbol: symbol, tsEvent: t.timestampMs * 1_000_000, tsRecv: receivedNs,
                                                        price: t.price, size: t.size, aggressor: t.side))))
                }
            case .tickSizeChange(let change):
                // Old-grid levels may be invalid: drop the book and wait for a fresh snapshot.
                books[change.assetID] = nil
                needsBook.insert(change.assetID)
                markets.setTickSize(change.newTick.decimal, tokenID: change.assetID)
                if let symbol = activeSymbol(change.assetID) {
                    let t = change.timestampMs * 1_000_000
                    out.append(.market(.bookDelta(BookDelta(symbol: symbol, tsEvent: t, tsRecv: receivedNs, side: .buy, price: .zero,
                                                            size: .zero, flags: [.snapshot, .endOfBatch]))))
                }
            case .marketResolved(let r):
                out += resolve(conditionID: r.market, winningTokenID: r.winningAssetID, atNs: max(r.timestampMs * 1_000_000, receivedNs))
            case .bestBidAsk, .newMarket, .unknown:
                break
            }
        }
        out += statusChanges()
        return out
    }

    /// A market channel connection went down or silent: its tokens' books are old until the
    /// snapshot that follows the resubscription.
    public mutating func connectionLost(assets: [String]) -> [EngineInput] {
        for token in assets { needsBook.insert(token) }
        return statusChanges()
    }

    /// Settles an ended window from Gamma's final outcome prices (when `market_resolved` was
    /// missed): Up won when its price is 1.
    public mutating func resolvedByGamma(_ market: GammaMarket, nowNs: Int64) -> [EngineInput] {
        guard let up = market.upPrice, let down = market.downPrice, up == 1 || down == 1 else { return [] }
        return resolve(conditionID: market.conditionID, winningTokenID: up == 1 ? market.upTokenID : market.downTokenID, atNs: nowNs)
            + statusChanges()
    }

    /// Ended windows still waiting for their resolution.
    public var unsettledWindows: [GammaMarket] { awaitingSettlement.compactMap { $0 } }

    private mutating func resolve(conditionID: String, winningTokenID: String, atNs: Int64) -> [EngineInput] {
        guard !resolved.contains(conditionID) else { return [] }
        resolved.insert(conditionID)
        winners[conditionID] = (winningTokenID, atNs)
        guard let i = awaitingSettlement.firstIndex(where: { $0?.conditionID == conditionID }) else { return [] }
        return settle(series: i, winningTokenID: winningTokenID, atNs: atNs)
    }

    /// Settles the window series `i` waits on.
    private mutating func settle(series i: Int, winningTokenID: String, atNs: Int64) -> [EngineInput] {
        guard let market = awaitingSettlement[i] else { return [] }
        awaitingSettlement[i] = nil
        winners[market.conditionID] = nil
        settlements += 1
        let series = markets.series[i]
        let upWon = winningTokenID == market.upTokenID
        return [
            .market(.settlement(Settlement(symbol: series.up, tsEvent: atNs, tsRecv: atNs, price: Fixed8(upWon ? 1 : 0)))),
            .market(.settlement(Settlement(symbol: series.down, tsEvent: atNs, tsRecv: atNs, price: Fixed8(upWon ? 0 : 1)))),
        ]
    }

    // MARK: - Oracle

    /// An RTDS price for the series' oracle symbol when it is the topic chosen for its asset.
    public func oracle(_ price: CryptoPrice, receivedNs: Int64) -> [EngineInput] {
        let asset = Self.asset(ofOracleSymbol: price.symbol)
        let topic = oracleOverride ?? oracleTopics[asset] ?? .chainlink
        guard topic == price.topic, let value = Fixed8(exactly: price.value) ?? Fixed8(NSDecimalNumber(decimal: price.value).doubleValue) else { return [] }
        var seen = Set<SymbolID>()
        return markets.series.filter { $0.asset == asset && seen.insert($0.oracle).inserted }.map {
            .market(.oracle(OraclePrice(symbol: $0.oracle, tsEvent: price.timestampMs * 1_000_000, tsRecv: receivedNs,
                                        source: "chainlink", price: value)))
        }
    }

    // MARK: - Helpers

    private func activeSymbol(_ tokenID: String) -> SymbolID? {
        for (i, market) in active.enumerated() {
            guard let market else { continue }
            if market.upTokenID == tokenID { return markets.series[i].up }
            if market.downTokenID == tokenID { return markets.series[i].down }
        }
        return nil
    }

    /// Feed-status inputs for symbols whose staleness changed.
    private mutating func statusChanges() -> [EngineInput] {
        var out: [EngineInput] = []
        for (i, series) in markets.series.enumerated() {
            for (symbol, token) in [(series.up, active[i]?.upTokenID), (series.down, active[i]?.downTokenID)] {
                var reason: String?
                if let waiting = awaitingSettlement[i] {
                    reason = "window \(waiting.slug) ended; waiting for its resolution"
                } else if let token, needsBook.contains(token) {
                    reason = "waiting for a fresh book snapshot"
                } else if token == nil {
                    reason = "no active window"
                }
                let was = staleNow[symbol.index]
                if reason != nil && was == nil {
                    out.append(.feedStatus(symbol: symbol, stale: true, reason: reason!))
                } else if reason == nil && was != nil {
                    out.append(.feedStatus(symbol: symbol, stale: false, reason: "fresh book"))
                }
                staleNow[symbol.index] = reason
            }
        }
        return out
    }
}

/// A token's full book as the market channel describes it (absolute sizes per level).
struct LocalBook: Sendable {
    var bids: [Int64: Fixed8] = [:]
    var asks: [Int64: Fixed8] = [:]
    var timestampMs: Int64 = 0

    mutating func set(_ side: Side, _ price: Fixed8, _ size: Fixed8) {
        if side == .buy { bids[price.raw] = size.raw == 0 ? nil : size } else { asks[price.raw] = size.raw == 0 ? nil : size }
    }

    /// Snapshot rows for the engine (an empty book is one empty snapshot row).
    func snapshot(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64) -> [MarketEvent] {
        let changes = bids.sorted { $0.key > $1.key }.map { BookChange(side: .buy, price: Fixed8(raw: $0.key), size: $0.value) }
            + asks.sorted { $0.key < $1.key }.map { BookChange(side: .sell, price: Fixed8(raw: $0.key), size: $0.value) }
        guard !changes.isEmpty else {
            return [.bookDelta(BookDelta(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv, side: .buy, price: .zero, size: .zero,
                                         flags: [.snapshot, .endOfBatch]))]
        }
        return BookUpdate(symbol: symbol, tsEvent: tsEvent, tsRecv: tsRecv, isSnapshot: true, changes: changes).events
    }
}
