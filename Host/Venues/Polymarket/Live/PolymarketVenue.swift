import VenueKit
import Foundation
import HostCore
import HostExecution
import Logging
import PolymarketREST
import PolymarketSigning
import PolymarketStreams
import Synchronization

/// The live Polymarket venue behind instances with `mode: live` and `venue: polymarket`.
///
/// Orders are signed (CLOB V2 EIP-712) and posted one at a time, in the order the engine
/// sent them, by one worker task; every outcome reaches the engine as an `OrderUpdate` on its
/// inbound queue. Fills come from the user channel's trade events (booked once, at `MATCHED`,
/// deduplicated by trade id) and, after a reconnect or an unknown outcome, from
/// `GET /data/trades`.
///
/// Error handling, by the REST client's classification:
/// - **retryable** (429, transport errors before the request left this process): the *same
///   signed bytes* are sent again after the venue's Retry-After or a backoff — the order id is
///   the hash of the signed order, so a resend can never create a second order; when retries run
///   out the order is `rejected` (none of those answers can have placed it);
/// - **rejected**: the order ends `rejected` with the venue's message; an FOK/FAK kill — recognised
///   from the response's `status` (`unmatched`), never from its wording — ends `canceled`;
/// - **cancel-only** (503): the order is rejected and the instance goes REDUCING until the
///   venue accepts orders again (re-probed after `pauseAfterCancelOnly`);
/// - **unauthorized** (revoked key): the order is rejected and the instance HALTED;
/// - **outcome unknown** (no readable answer after sending, or a 5xx — the venue may have placed
///   the order before failing): the instance is HALTED while the order is looked up by its id in
///   open orders and trades; it ends accepted/filled when found, `rejected` ("not placed") when
///   not, and trading resumes. It is never resent blindly. The lookup is bounded
///   (`reconcileAttempts`, `reconcileTimeout`); when the venue cannot be asked, the instance stays
///   HALTED with a reason naming the order to check, and an error is logged.
public final class PolymarketVenue: LiveVenue, Sendable {
    public let name = "polymarket"

    public struct Options: Sendable {
        /// Retries of a retryable post (same signed bytes).
        public var maxRetries = 4
        /// How long the instance stays REDUCING after a cancel-only answer.
        public var pauseAfterCancelOnly: Duration = .seconds(30)
        /// Order heartbeat period while orders rest (the venue cancels all after 10 s without one).
        public var heartbeatInterval: Duration = .seconds(5)
        public var backoff = BackoffPolicy.standard
        /// Look-ups of an order whose outcome is unknown (open orders + trades) before giving up.
        public var reconcileAttempts = 8
        /// Delay between those look-ups: 0.5 s doubling to 8 s, no jitter.
        public var reconcileBackoff = BackoffPolicy(base: .milliseconds(500), max: .seconds(8), jitter: 0)
        /// Overall limit for resolving one unknown outcome (look-ups and waits).
        public var reconcileTimeout: Duration = .seconds(60)
        public init() {}
    }

    private let client: ClobClient
    private let builder: OrderBuilder
    private let credentials: ApiCredentials
    private let markets: PolymarketMarkets
    private let sink: @Sendable (EngineInput) -> Void
    private let logger: Logger
    private let options: Options
    private let clock: any EngineClock
    private let state = Mutex(State())
    private let work: AsyncStream<Work>.Continuation
    private let workStream: AsyncStream<Work>

    enum Work: Sendable {
        case submit(OrderRequest)
        case cancel(ClientOrderID)
        case reconcileTrades
    }

    struct Tracked: Sendable {
        var request: OrderRequest
        var venueID: String
        var tokenID: String
        var fee: GammaMarket.FeeSchedule?
        var filled: Decimal = 0
        var notional: Decimal = 0
        var fees: Decimal = 0
        var terminal = false
        var resting = false
    }

    struct State: Sendable {
        var orders: [ClientOrderID: Tracked] = [:]
        /// Keyed by the lowercase venue order id (ours are lowercase hex; the venue's case may vary).
        var byVenueID: [String: ClientOrderID] = [:]
        func owner(of venueID: String) -> ClientOrderID? { byVenueID[venueID.lowercased()] }
        var seenTrades: Set<String> = []
        var heartbeatID: String?
        var lastTradeCheckMs: Int64 = 0
        /// The reconciliation of an unknown outcome in progress (canceled by `finish()`).
        var reconciliation: Task<Void, Never>?
        var finishing = false
    }

    /// - Parameter sink: Where updates go: the engine's queue (`engine.queue.push`).
    public init(client: ClobClient, builder: OrderBuilder, credentials: ApiCredentials, markets: PolymarketMarkets,
                options: Options = Options(), clock: any EngineClock, logger: Logger, sink: @escaping @Sendable (EngineInput) -> Void) {
        self.clock = clock
        self.client = client
        self.builder = builder
        self.credentials = credentials
        self.markets = markets
        self.options = options
        self.logger = logger
        self.sink = sink
        (workStream, work) = AsyncStream.makeStream(of: Work.self)
    }

    // MARK: - LiveVenue (engine thread: enqueue only)

    public func submit(_ order: OrderRequest, instrument: Instrument) { work.yield(.submit(order)) }
    public func cancel(_ id: ClientOrderID, symbol: SymbolID) { work.yield(.cancel(id)) }

    /// Stops the worker after the queued work. A reconciliation of an unknown outcome in
    /// progress stops at once (the instance stays HALTED; the order is logged as unresolved).
    public func finish() {
        let running = state.withLock { s -> Task<Void, Never>? in
            s.finishing = true
            return s.reconciliation
        }
        running?.cancel()
        work.finish()
    }

    // MARK: - Worker

    /// Processes orders and cancels in order, and sends order heartbeats while orders rest.
    /// Returns when `finish()` was called and the queue is drained.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.heartbeats() }
            for await item in workStream {
                switch item {
                case .submit(let order): await place(order)
                case .cancel(let id): await cancelOrder(id)
                case .reconcileTrades: await reconcileTrades()
                }
            }
            group.cancelAll()
        }
    }

    /// Asks the worker to fetch trades of working orders (after the user channel reconnects).
    public func requestTradeReconciliation() { work.yield(.reconcileTrades) }

    private func place(_ order: OrderRequest) async {
        guard let token = markets.activeToken(order.symbol) else {
            return finish(order, .rejected, "no active Polymarket window for this symbol (the feed has not discovered one yet)")
        }
        let signed: SignedOrder
        do {
            let tick = try TickSize("\(token.tickSize)")
            let side: OrderSide = order.side == .buy ? .buy : .sell
            let price = order.price ?? (order.side == .buy ? 1 - token.tickSize : token.tickSize)
            let expiration = order.expireAt.map { UInt64(max(0, $0 / 1_000_000_000)) } ?? 0
            signed = try builder.limitOrder(tokenID: token.tokenID, side: side, price: price, size: order.size, tick: tick,
                                            negRisk: token.negRisk, expiration: expiration)
        } catch {
            return finish(order, .rejected, "could not build the signed order: \(error)")
        }
        let venueID: String
        do {
            venueID = try EIP712.orderID(signed.order, exchange: .forNegRisk(token.negRisk))
        } catch {
            return finish(order, .rejected, "could not hash the signed order: \(error)")
        }
        state.withLock {
            $0.orders[order.clientOrderID] = Tracked(request: order, venueID: venueID, tokenID: token.tokenID, fee: token.feeSchedule)
            $0.byVenueID[venueID] = order.clientOrderID
        }
        let type: ClobOrderType = switch order.timeInForce {
        case .gtc: .gtc
        case .gtd: .gtd
        case .fok: .fok
        case .fak: .fak
        }
        var attempt = 0
        while true {
            do {
                let result = try await client.postOrder(signed, type: type, postOnly: order.postOnly)
                let status = result.status.rawValue.lowercased()
                let resting = status == "live" || status == "delayed"
                // The user channel may have reported fills before this answer: then "accepted" is old news.
                let alreadyUpdated = state.withLock { s -> Bool in
                    s.orders[order.clientOrderID]?.resting = resting
                    return s.orders[order.clientOrderID].map { $0.terminal || $0.filled > 0 } ?? true
                }
                if !alreadyUpdated {
                    emit(order, status: .accepted, reason: "venue status \(status)", venueID: venueID)
                }
                if status == "matched" {
                    // Matched now: if the user channel has not booked the fills in a few seconds, fetch them.
                    let work = self.work
                    Task {
                        try? await Task.sleep(for: .seconds(3))
                        work.yield(.reconcileTrades)
                    }
                }
                logger.info("Polymarket order accepted", metadata: [
                    "order.id": "\(order.clientOrderID)", "venue.order_id": "\(venueID)", "venue.status": "\(status)",
                ])
                return
            } catch {
                switch error.kind {
                case .retryable(let after) where attempt < options.maxRetries:
                    attempt += 1
                    let delay = after ?? options.backoff.delay(attempt: attempt)
                    logger.warning("Polymarket order retry", metadata: [
                        "order.id": "\(order.clientOrderID)", "attempt": "\(attempt)", "delay": "\(delay)", "error": "\(error)",
                    ])
                    do {
                        try await Task.sleep(for: delay)
                    } catch {
                        // Shutting down: nothing was placed (a retryable answer never places an order).
                        return finish(order, .rejected, "not sent: the host stopped while waiting to retry (\(error))")
                    }
                    continue
                case .retryable:
                    // 429 and failures before sending: none of them can have placed the order.
                    return finish(order, .rejected, "the venue kept refusing for now (\(error.message)); gave up after \(attempt) retries")
                case .rejected:
                    let message = error.venueMessage ?? error.message
                    // A kill is the matching engine's answer (status `unmatched`), not a refusal of the order.
                    let killed = (type == .fok || type == .fak) && error.isUnmatchedKill
                    return finish(order, killed ? .canceled : .rejected, message)
                case .cancelOnly:
                    pause(order.instance, .reducing, "Polymarket is in cancel-only mode: \(error.venueMessage ?? error.message)",
                          resumeAfter: options.pauseAfterCancelOnly)
                    return finish(order, .rejected, "the venue is in cancel-only mode: \(error.venueMessage ?? error.message)")
                case .unauthorized:
                    pause(order.instance, .halted, "Polymarket refused the API key (revoked or invalid); recreate it and restart", resumeAfter: nil)
                    return finish(order, .rejected, "unauthorized: \(error.venueMessage ?? error.message)")
                case .outcomeUnknown, .invalidResponse:
                    await resolveUnknown(order, venueID: venueID, error: error)
                    return
                }
            }
        }
    }

    /// An order whose submission may or may not have reached the venue: halt the instance,
    /// look the order up by its id, settle it from what the venue says, resume.
    ///
    /// Bounded by `reconcileAttempts` look-ups and `reconcileTimeout`; stops at once when the task
    /// is canceled or `finish()` is called. When it cannot decide, the instance stays HALTED with a
    /// reason naming the order, the order stays working (a later fill is still booked), and an
    /// error says what to check at the venue.
    private func resolveUnknown(_ order: OrderRequest, venueID: String, error: ClobError) async {
        logger.error("Polymarket order outcome unknown", metadata: ["order.id": "\(order.clientOrderID)", "venue.order_id": "\(venueID)", "error": "\(error)"])
        sink(.tradingState(instance: order.instance, state: .halted,
                           reason: "order \(order.clientOrderID) (venue id \(venueID)) outcome unknown; reconciling with the venue's open orders and trades"))
        let task = Task { await self.reconcileUnknown(order, venueID: venueID, error: error) }
        let finishing = state.withLock { s -> Bool in
            s.reconciliation = task
            return s.finishing
        }
        if finishing { task.cancel() }
        await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
        state.withLock { $0.reconciliation = nil }
    }

    private enum Lookup {
        case found(resting: Bool, trades: [ClobTrade])
        case notFound
    }

    private func reconcileUnknown(_ order: OrderRequest, venueID: String, error original: ClobError) async {
        let started = ContinuousClock.now
        let deadline = started + options.reconcileTimeout
        var lastError = ""
        var attempts = 0
        while attempts < max(1, options.reconcileAttempts), ContinuousClock.now < deadline, !Task.isCancelled {
            attempts += 1
            do {
                switch try await lookUp(venueID) {
                case .found(let resting, let trades):
                    // The user channel may have booked fills meanwhile: then "accepted" is old news.
                    let alreadyUpdated = state.withLock { s -> Bool in
                        s.orders[order.clientOrderID]?.resting = resting
                        return s.orders[order.clientOrderID].map { $0.terminal || $0.filled > 0 } ?? true
                    }
                    if !alreadyUpdated {
                        emit(order, status: .accepted, reason: "found at the venue after an unknown outcome", venueID: venueID)
                    }
                    book(trades: trades.map(TradeReport.init))
                case .notFound:
                    finish(order, .rejected, "not placed: the venue has no order \(venueID) after an unknown outcome (\(original.message))")
                }
                sink(.tradingState(instance: order.instance, state: .active, reason: "order \(order.clientOrderID) reconciled"))
                return
            } catch {
                lastError = "\(error)"
            }
            if Task.isCancelled { break }
            let delay = options.reconcileBackoff.delay(attempt: attempts - 1)
            guard attempts < options.reconcileAttempts, ContinuousClock.now + delay < deadline else { break }
            logger.warning("Polymarket reconciliation retry", metadata: [
                "order.id": "\(order.clientOrderID)", "attempt": "\(attempts)", "delay": "\(delay)", "error": "\(lastError)",
            ])
            do {
                try await Task.sleep(for: delay)
            } catch {
                break  // canceled: shutting down
            }
        }
        let elapsed = ContinuousClock.now - started
        let why = Task.isCancelled ? "the host stopped during the reconciliation"
            : "\(attempts) look-ups in \(String(format: "%.1f", elapsed.inSeconds)) s failed (last: \(lastError))"
        let reason = "order \(order.clientOrderID) outcome unknown and unresolved: \(why); check open orders and trades at Polymarket for order \(venueID), then restart the host"
        logger.error("Polymarket order outcome could not be reconciled; instance stays halted", metadata: [
            "order.id": "\(order.clientOrderID)", "venue.order_id": "\(venueID)", "instance": "\(order.instance)",
            "attempts": "\(attempts)", "error": "\(lastError)", "reason": "\(why)",
            "action": "check open orders (GET /data/orders) and trades (GET /data/trades) at Polymarket for this order id, then restart",
        ])
        sink(.tradingState(instance: order.instance, state: .halted, reason: reason))
    }

    /// One look-up of an order by its venue id in open orders and trades.
    private func lookUp(_ venueID: String) async throws(ClobError) -> Lookup {
        let open = try await client.openOrders()
        let trades = try await client.trades()
        let resting = open.contains { $0.id.lowercased() == venueID }
        if resting || trades.contains(where: { $0.takerOrderID.lowercased() == venueID || $0.makerOrders.contains { $0.orderID.lowercased() == venueID } }) {
            return .found(resting: resting, trades: trades)
        }
        return .notFound
    }

    private func cancelOrder(_ id: ClientOrderID) async {
        guard let tracked = state.withLock({ $0.orders[id] }), !tracked.terminal else { return }
        do {
            let result = try await client.cancel(orderID: tracked.venueID)
            if result.canceled.contains(where: { $0.lowercased() == tracked.venueID }) {
                finish(tracked.request, .canceled, "canceled at the venue")
            } else if let reason = result.notCanceled.first?.value {
                logger.warning("Polymarket cancel refused", metadata: ["order.id": "\(id)", "reason": "\(reason)"])
            }
        } catch {
            logger.error("Polymarket cancel failed", metadata: ["order.id": "\(id)", "error": "\(error)"])
        }
    }

    private func pause(_ instance: Int, _ tradingState: TradingState, _ reason: String, resumeAfter: Duration?) {
        logger.error("Polymarket trading paused", metadata: ["instance": "\(instance)", "state": "\(tradingState)", "reason": "\(reason)"])
        sink(.tradingState(instance: instance, state: tradingState, reason: reason))
        if let resumeAfter {
            let sink = self.sink
            Task {
                try? await Task.sleep(for: resumeAfter)
                sink(.tradingState(instance: instance, state: .active, reason: "pause after a cancel-only answer elapsed"))
            }
        }
    }

    // MARK: - User channel

    /// Order and trade events from the user channel.
    public func handle(_ messages: [UserChannelMessage]) {
        for message in messages {
            switch message {
            case .trade(let trade):
                book(trades: [TradeReport(trade)])
            case .order(let event):
                guard let id = state.withLock({ $0.owner(of: event.id) }),
                      let tracked = state.withLock({ $0.orders[id] }), !tracked.terminal else { continue }
                if event.type == .cancellation || event.status.isCanceled {
                    finish(tracked.request, .canceled, "venue: \(event.status.rawValue)")
                } else if event.type == .placement {
                    state.withLock { $0.orders[id]?.resting = event.status == .live }
                }
            case .unknown:
                break
            }
        }
    }

    /// A trade as the user channel and `GET /data/trades` both describe it.
    struct TradeReport {
        var id: String
        var takerOrderID: String
        var size: Decimal
        var price: Decimal
        var failed: Bool
        var makerOrders: [(orderID: String, matchedAmount: Decimal, price: Decimal)]

        init(_ t: UserTradeEvent) {
            id = t.id; takerOrderID = t.takerOrderID; size = t.size; price = t.price; failed = t.status == .failed
            makerOrders = t.makerOrders.map { ($0.orderID, $0.matchedAmount, $0.price) }
        }
        init(_ t: ClobTrade) {
            id = t.id; takerOrderID = t.takerOrderID; size = t.size; price = t.price
            failed = t.status.uppercased().hasSuffix("FAILED")
            makerOrders = t.makerOrders.map { ($0.orderID, $0.matchedAmount, $0.price) }
        }
    }

    /// Books the fills of trades (once per trade id, at the first non-failed status).
    private func book(trades: [TradeReport]) {
        for trade in trades {
            if trade.failed {
                let owners = state.withLock { s in
                    ([trade.takerOrderID] + trade.makerOrders.map(\.orderID)).compactMap { s.owner(of: $0) }
                }
                for id in owners {
                    guard let order = state.withLock({ $0.orders[id]?.request }) else { continue }
                    sink(.tradingState(instance: order.instance, state: .halted,
                                       reason: "trade \(trade.id) of order \(id) FAILED on chain; check positions at the venue before resuming"))
                }
                continue
            }
            guard state.withLock({ $0.seenTrades.insert(trade.id).inserted }) else { continue }
            var fills: [(ClientOrderID, Decimal, Decimal, OrderUpdate.Liquidity)] = []
            state.withLock { s in
                if let id = s.owner(of: trade.takerOrderID) {
                    fills.append((id, trade.size, trade.price, .taker))
                }
                for maker in trade.makerOrders {
                    if let id = s.owner(of: maker.orderID) {
                        fills.append((id, maker.matchedAmount, maker.price, .maker))
                    }
                }
            }
            for (id, size, price, liquidity) in fills { fill(id, size: size, price: price, liquidity: liquidity, tradeID: trade.id) }
        }
    }

    private func fill(_ id: ClientOrderID, size: Decimal, price: Decimal, liquidity: OrderUpdate.Liquidity, tradeID: String) {
        let update: OrderUpdate? = state.withLock { s in
            guard var t = s.orders[id], !t.terminal, size > 0 else { return nil }
            let fee = liquidity == .taker ? Self.takerFee(size: size, price: price, schedule: t.fee) : 0
            t.filled += size
            t.notional += size * price
            t.fees += fee
            let done = t.filled >= t.request.size
            t.terminal = done
            s.orders[id] = t
            if done { s.byVenueID[t.venueID] = nil }
            return OrderUpdate(clientOrderID: id, instance: t.request.instance, symbol: t.request.symbol, side: t.request.side,
                               status: done ? .filled : .partiallyFilled, lastFillPrice: price, lastFillSize: size, filledSize: t.filled,
                               remainingSize: max(0, t.request.size - t.filled), averageFillPrice: t.notional / t.filled, fee: t.fees,
                               lastFee: fee, liquidity: liquidity, reason: "trade \(tradeID)", venueOrderID: t.venueID, timestamp: clock.now())
        }
        if let update { sink(.venueUpdate(update)) }
    }

    /// Polymarket's taker fee: shares × rate × (p(1 − p))^exponent, rounded to 5 decimals.
    static func takerFee(size: Decimal, price: Decimal, schedule: GammaMarket.FeeSchedule?) -> Decimal {
        guard let schedule, schedule.rate > 0 else { return 0 }
        let base = price * (1 - price)
        var factor = base
        let exponent = NSDecimalNumber(decimal: schedule.exponent).intValue
        if exponent > 1 { for _ in 1..<exponent { factor *= base } }
        var fee = size * schedule.rate * factor
        var rounded = Decimal()
        NSDecimalRound(&rounded, &fee, 5, .plain)
        return rounded
    }

    /// Fetches trades of orders still working (fills the user channel may have missed).
    private func reconcileTrades() async {
        let working = state.withLock { $0.orders.values.contains { !$0.terminal } }
        guard working else { return }
        do {
            book(trades: try await client.trades().map(TradeReport.init))
        } catch {
            logger.warning("Polymarket trade reconciliation failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Heartbeats

    private func heartbeats() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.heartbeatInterval)
            guard state.withLock({ s in s.orders.values.contains { $0.resting && !$0.terminal } }) else { continue }
            do {
                let id = try await client.heartbeat(id: state.withLock { $0.heartbeatID })
                state.withLock { $0.heartbeatID = id }
            } catch {
                logger.error("Polymarket order heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: - Start-up reconciliation

    /// What the venue holds for this account when the host starts.
    public struct Reconciliation: Sendable {
        /// Collateral (pUSD) balance.
        public var cash: Decimal
        /// Open orders found and canceled (the host only trades orders it placed in this run).
        public var canceledOrders: Int
        /// Conditional-token balances of the active windows' tokens, by host symbol.
        public var positions: [SymbolID: Decimal]
    }

    /// Reconciles with the venue before any order: server time (clock skew), collateral
    /// balance, open orders (canceled), token balances of the active windows. Throws when any
    /// of it fails — the host then refuses to trade.
    public func reconcile(symbols: [SymbolID]) async throws -> Reconciliation {
        _ = try await client.serverTime()
        let balance = try await client.balanceAllowance(assetType: .collateral, tokenID: nil)
        let open = try await client.openOrders()
        if !open.isEmpty {
            logger.warning("Polymarket open orders found at start; canceling them", metadata: ["orders": "\(open.count)"])
            _ = try await client.cancelAll()
        }
        var positions: [SymbolID: Decimal] = [:]
        for symbol in symbols {
            guard let token = markets.activeToken(symbol) else { continue }
            positions[symbol] = try await client.balanceAllowance(assetType: .conditional, tokenID: token.tokenID).balance
        }
        return Reconciliation(cash: balance.balance, canceledOrders: open.count, positions: positions)
    }

    // MARK: - Helpers

    private func emit(_ order: OrderRequest, status: OrderStatus, reason: String, venueID: String) {
        sink(.venueUpdate(OrderUpdate(clientOrderID: order.clientOrderID, instance: order.instance, symbol: order.symbol, side: order.side,
                                      status: status, remainingSize: order.size, reason: reason, venueOrderID: venueID, timestamp: clock.now())))
    }

    private func finish(_ order: OrderRequest, _ status: OrderStatus, _ reason: String) {
        // An order never tracked (refused before signing) is reported; one already final is not.
        var alreadyFinal = false
        let tracked = state.withLock { s -> Tracked? in
            guard var t = s.orders[order.clientOrderID] else { return nil }
            alreadyFinal = t.terminal
            t.terminal = true
            s.orders[order.clientOrderID] = t
            return t
        }
        if alreadyFinal { return }
        if status == .rejected {
            logger.warning("Polymarket order rejected", metadata: ["order.id": "\(order.clientOrderID)", "reason": "\(reason)"])
        }
        sink(.venueUpdate(OrderUpdate(clientOrderID: order.clientOrderID, instance: order.instance, symbol: order.symbol, side: order.side,
                                      status: status, filledSize: tracked?.filled ?? 0, remainingSize: order.size - (tracked?.filled ?? 0),
                                      reason: reason, venueOrderID: tracked?.venueID ?? "", timestamp: clock.now())))
    }
}
