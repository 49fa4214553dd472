import Foundation
import Logging
import PolymarketFakes
import PolymarketREST
import PolymarketSigning
import Synchronization
import Testing

/// A venue under test: the fake CLOB, a client pointed at it and an order builder with a throwaway key.
struct ClobHarness {
    static let keyHex = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"  // public test key, never funded
    static let credentials = ApiCredentials(
        apiKey: "00000000-0000-4000-8000-000000000001", secret: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", passphrase: "test-passphrase"
    )
    static let tokenID = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
    static let market = "0x" + String(repeating: "ab", count: 32)

    let fake: FakeClobServer
    let client: ClobClient
    let builder: OrderBuilder
    let tick: TickSize

    static func run(
        installCredentials: Bool = true, heartbeatTimeout: Duration = .seconds(10),
        _ body: (ClobHarness) async throws -> Void
    ) async throws {
        let key = try PrivateKey(hex: keyHex)
        let fake = FakeClobServer(credentials: credentials, signer: key.address, heartbeatTimeout: heartbeatTimeout)
        let tick = try TickSize("0.01")
        fake.addToken(FakeClobToken(tokenID: tokenID, market: market, tick: tick))
        try await fake.start()
        let client = ClobClient(baseURL: fake.baseURL, credentials: installCredentials ? credentials : nil, signer: key,
                                logger: Logger(label: "test.clob"))
        let harness = ClobHarness(fake: fake, client: client, builder: try OrderBuilder(privateKey: key), tick: tick)
        do {
            try await body(harness)
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    func limit(_ side: OrderSide, price: String, size: Decimal) throws -> SignedOrder {
        try builder.limitOrder(tokenID: Self.tokenID, side: side, price: Decimal(string: price)!, size: size, tick: tick, negRisk: false)
    }

    func marketBuy(amount: Decimal, worstPrice: String) throws -> SignedOrder {
        try builder.marketOrder(tokenID: Self.tokenID, side: .buy, amount: amount, price: Decimal(string: worstPrice)!, tick: tick, negRisk: false)
    }

    /// The error a call throws, or `nil`.
    static func clobError(_ body: () async throws -> Void) async -> ClobError? {
        do {
            try await body()
        } catch let error as ClobError {
            return error
        } catch {
            Issue.record("expected a ClobError, got \(error)")
        }
        return nil
    }
}

struct ClobOrderPostingTests {
    @Test("a FOK market BUY is accepted and the fake verified its EIP-712 signer and L2 HMAC")
    func fokAccepted() async throws {
        try await ClobHarness.run { venue in
            venue.fake.setBook(tokenID: ClobHarness.tokenID, bids: [], asks: [(Decimal(string: "0.55")!, 100)])
            let order = try venue.marketBuy(amount: 5, worstPrice: "0.99")
            let result = try await venue.client.postOrder(order, type: .fok)
            #expect(result.status == .matched)
            #expect(result.tradeIDs.count == 1)
            let accepted = try #require(venue.fake.acceptedOrders.first)
            #expect(accepted.orderID == result.orderID)
            #expect(accepted.recoveredSigner == venue.builder.privateKey.address)
            #expect(venue.fake.rejections.isEmpty)
        }
    }

    @Test("a matched order produces user-channel trade frames MATCHED, MINED, CONFIRMED as TAKER")
    func tradeFrames() async throws {
        try await ClobHarness.run { venue in
            let frames = Mutex<[String]>([])
            venue.fake.onUserEvent = { frame in frames.withLock { $0.append(frame) } }
            venue.fake.setBook(tokenID: ClobHarness.tokenID, bids: [], asks: [(Decimal(string: "0.55")!, 100)])
            _ = try await venue.client.postOrder(try venue.limit(.buy, price: "0.60", size: 10), type: .fok)
            let trades = frames.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .filter { $0["event_type"] as? String == "trade" }
            #expect(trades.map { $0["status"] as? String } == ["MATCHED", "MINED", "CONFIRMED"])
            #expect(trades.allSatisfy { $0["trader_side"] as? String == "TAKER" && ($0["maker_orders"] as? [Any])?.count == 1 })
        }
    }

    @Test("a FOK that cannot fill completely is a rejection carrying the venue's message")
    func fokNotFilled() async throws {
        try await ClobHarness.run { venue in
            venue.fake.setBook(tokenID: ClobHarness.tokenID, bids: [], asks: [(Decimal(string: "0.55")!, 3)])
            let order = try venue.limit(.buy, price: "0.60", size: 10)
            let error = try #require(await ClobHarness.clobError { _ = try await venue.client.postOrder(order, type: .fok) })
            #expect(error.kind == .rejected)
            #expect(error.status == 400)
            #expect(error.venueMessage == "order couldn't be fully filled. FOK orders are fully filled or killed.")
        }
    }

    @Test("HTTP 429 is retryable after the venue's Retry-After")
    func rateLimited() async throws {
        try await ClobHarness.run { venue in
            venue.fake.failNextOrderPosts(.rateLimited(retryAfterSeconds: 3))
            let order = try venue.limit(.buy, price: "0.40", size: 10)
            let error = try #require(await ClobHarness.clobError { _ = try await venue.client.postOrder(order, type: .gtc) })
            #expect(error.kind == .retryable(after: .seconds(3)))
        }
    }

    @Test("HTTP 503 cancel-only is classified as cancelOnly")
    func cancelOnly() async throws {
        try await ClobHarness.run { venue in
            venue.fake.failNextOrderPosts(.cancelOnly)
            let order = try venue.limit(.buy, price: "0.40", size: 10)
            let error = try #require(await ClobHarness.clobError { _ = try await venue.client.postOrder(order, type: .gtc) })
            #expect(error.kind == .cancelOnly)
        }
    }

    @Test("HTTP 503 trading disabled and HTTP 500 to an order are outcomeUnknown (the venue may have placed it)",
          arguments: [FakeClobFailure.tradingDisabled, .serverError])
    func serverUnavailable(failure: FakeClobFailure) async throws {
        try await ClobHarness.run { venue in
            venue.fake.failNextOrderPosts(failure)
            let order = try venue.limit(.buy, price: "0.40", size: 10)
            let error = try #require(await ClobHarness.clobError { _ = try await venue.client.postOrder(order, type: .gtc) })
            #expect(error.kind == .outcomeUnknown)
            #expect(!error.isRetryable)
        }
    }

    @Test("a revoked API key is unauthorized with advice to recreate it")
    func revokedKey() async throws {
        try await ClobHarness.run { venue in
            venue.fake.revokeApiKey()
            let order = try venue.limit(.buy, price: "0.40", size: 10)
            let error = try #require(await ClobHarness.clobError { _ = try await venue.client.postOrder(order, type: .gtc) })
            #expect(error.kind == .unauthorized)
            #expect(error.venueMessage == "Unauthorized/Invalid api key")
            #expect(error.message.contains("recreate"))
        }
    }

    @Test("a response lost after the order was accepted is outcomeUnknown, and the order is found in openOrders")
    func droppedResponse() async throws {
        try await ClobHarness.run { venue in
            venue.fake.failNextOrderPosts(.acceptThenDropConnection)
            let order = try venue.limit(.buy, price: "0.40", size: 10)
            let error = try #require(await ClobHarness.clobError { _ = try await venue.client.postOrder(order, type: .gtc) })
            #expect(error.kind == .outcomeUnknown)
            let accepted = try #require(venue.fake.acceptedOrders.first)
            let open = try await venue.client.openOrders(assetID: ClobHarness.tokenID)
            #expect(open.map(\.id) == [accepted.orderID])
            #expect(open.first?.price == Decimal(string: "0.4"))
        }
    }

    @Test("a price off the token's tick grid is refused by the fake")
    func offTick() async throws {
        try await ClobHarness.run { venue in
            let fineTick = try TickSize("0.001")
            let order = try venue.builder.limitOrder(tokenID: ClobHarness.tokenID, side: .buy, price: Decimal(string: "0.555")!, size: 10,
                                                     tick: fineTick, negRisk: false)
            let error = try #require(await ClobHarness.clobError { _ = try await venue.client.postOrder(order, type: .gtc) })
            #expect(error.kind == .rejected)
            #expect(error.venueMessage?.contains("breaks minimum tick size rule: 0.01") == true)
            #expect(venue.fake.acceptedOrders.isEmpty)
        }
    }

    @Test("a crossing post-only order is rejected")
    func postOnlyCrossing() async throws {
        try await ClobHarness.run { venue in
            venue.fake.setBook(tokenID: ClobHarness.tokenID, bids: [], asks: [(Decimal(string: "0.55")!, 100)])
            let order = try venue.limit(.buy, price: "0.60", size: 10)
            let error = try #require(await ClobHarness.clobError { _ = try await venue.client.postOrder(order, type: .gtc, postOnly: true) })
            #expect(error.venueMessage == "invalid post-only order: order crosses book")
        }
    }
}

struct ClobAccountTests {
    @Test("openOrders follows next_cursor across pages")
    func pagination() async throws {
        try await ClobHarness.run { venue in
            venue.fake.setPageSize(2)
            var posted: [String] = []
            for index in 0..<5 {
                posted.append(try await venue.client.postOrder(try venue.limit(.buy, price: "0.\(30 + index)", size: 10), type: .gtc).orderID)
            }
            #expect(try await venue.client.openOrders().map(\.id) == posted)
        }
    }

    @Test("trades lists the fills of accepted orders across pages")
    func tradesPagination() async throws {
        try await ClobHarness.run { venue in
            venue.fake.setPageSize(1)
            venue.fake.setBook(tokenID: ClobHarness.tokenID, bids: [], asks: [(Decimal(string: "0.55")!, 100)])
            let first = try await venue.client.postOrder(try venue.limit(.buy, price: "0.60", size: 10), type: .fok)
            let second = try await venue.client.postOrder(try venue.limit(.buy, price: "0.60", size: 5), type: .fak)
            let trades = try await venue.client.trades(market: ClobHarness.market)
            #expect(trades.map(\.takerOrderID) == [first.orderID, second.orderID])
            #expect(trades.map(\.size) == [10, 5])
            #expect(trades.allSatisfy { $0.status == "CONFIRMED" && $0.price == Decimal(string: "0.55") })
        }
    }

    @Test("balance-allowance converts 6-decimal integer strings to units")
    func balance() async throws {
        try await ClobHarness.run { venue in
            venue.fake.setCollateral(Decimal(string: "1234.5")!)
            let result = try await venue.client.balanceAllowance()
            #expect(result.balance == Decimal(string: "1234.5"))
            #expect(result.allowance != nil)
        }
    }

    @Test("balance-allowance accepts an allowances object keyed by exchange")
    func allowancesObject() async throws {
        try await ClobHarness.run { venue in
            venue.fake.setCollateral(7, allowancesPerExchange: true)
            let result = try await venue.client.balanceAllowance()
            #expect(result.balance == 7)
            #expect(result.allowance == nil)
            #expect(Set(result.allowances.keys) == [ClobExchange.ctfV2.address.checksummed, ClobExchange.negRiskV2.address.checksummed])
        }
    }

    @Test("cancel reports the order canceled, then not canceled on a second attempt")
    func cancelOne() async throws {
        try await ClobHarness.run { venue in
            let id = try await venue.client.postOrder(try venue.limit(.buy, price: "0.40", size: 10), type: .gtc).orderID
            #expect(try await venue.client.cancel(orderID: id) == CancelResult(canceled: [id], notCanceled: [:]))
            #expect(try await venue.client.cancel(orderID: id).notCanceled[id] == "already canceled or matched")
        }
    }

    @Test("cancelAll cancels every resting order of the key")
    func cancelAll() async throws {
        try await ClobHarness.run { venue in
            let a = try await venue.client.postOrder(try venue.limit(.buy, price: "0.40", size: 10), type: .gtc).orderID
            let b = try await venue.client.postOrder(try venue.limit(.sell, price: "0.70", size: 10), type: .gtc).orderID
            #expect(Set(try await venue.client.cancelAll().canceled) == [a, b])
            #expect(try await venue.client.openOrders().isEmpty)
        }
    }

    @Test("each heartbeat of a chain answers a new id")
    func heartbeatChainRotatesIDs() async throws {
        // The default timeout (10 s): two back-to-back calls stay within it however loaded the machine.
        try await ClobHarness.run { venue in
            let first = try await venue.client.heartbeat(id: nil)
            let second = try await venue.client.heartbeat(id: first)
            #expect(second != first)
        }
    }

    @Test("a lapsed heartbeat chain cancels resting orders on the fake")
    func heartbeatLapse() async throws {
        // One heartbeat starts the chain; none follows (two calls within a short timeout failed
        // when a loaded suite delayed the second past it).
        try await ClobHarness.run(heartbeatTimeout: .milliseconds(1_500)) { venue in
            _ = try await venue.client.postOrder(try venue.limit(.buy, price: "0.40", size: 10), type: .gtc)
            _ = try await venue.client.heartbeat(id: nil)
            for _ in 0..<600 where venue.fake.heartbeatLapses == 0 { try await Task.sleep(for: .milliseconds(25)) }
            #expect(venue.fake.heartbeatLapses == 1)
            #expect(try await venue.client.openOrders().isEmpty)
        }
    }

    @Test("a heartbeat with a stale id is refused")
    func staleHeartbeat() async throws {
        try await ClobHarness.run { venue in
            _ = try await venue.client.heartbeat(id: nil)
            let error = try #require(await ClobHarness.clobError { _ = try await venue.client.heartbeat(id: "not-the-current-id") })
            #expect(error.kind == .rejected)
        }
    }
}

struct ClobAuthTests {
    @Test("serverTime measures the venue's clock offset and signed requests then pass")
    func skewMeasured() async throws {
        try await ClobHarness.run { venue in
            venue.fake.setClockOffset(.seconds(120))
            try await venue.client.serverTime()
            #expect((118_000...122_000).contains(venue.client.clockSkewMs))
            _ = try await venue.client.balanceAllowance()
            #expect(venue.fake.rejections.isEmpty)
        }
    }

    @Test("a refused timestamp triggers one clock re-measurement and the request succeeds")
    func timestampRefusalRemeasures() async throws {
        try await ClobHarness.run { venue in
            venue.fake.setClockOffset(.seconds(-300))
            let order = try venue.limit(.buy, price: "0.40", size: 10)
            let result = try await venue.client.postOrder(order, type: .gtc)
            #expect(result.status == .live)
            #expect(venue.fake.rejections.map(\.reason) == ["Unauthorized: invalid or expired timestamp"])
        }
    }

    @Test("createOrDeriveApiKey signs L1 headers the fake verifies and installs the key")
    func createOrDerive() async throws {
        try await ClobHarness.run(installCredentials: false) { venue in
            let credentials = try await venue.client.createOrDeriveApiKey()
            #expect(credentials == ClobHarness.credentials)
            #expect(venue.fake.l1Verifications.map(\.recoveredAddress).allSatisfy { $0 == venue.builder.privateKey.address })
            #expect(venue.fake.l1Verifications.map(\.endpoint) == ["POST /auth/api-key", "GET /auth/derive-api-key"])
            #expect(venue.client.credentials == credentials)
        }
    }

    @Test("after a revocation createOrDeriveApiKey creates a new key that the venue accepts")
    func recreateAfterRevocation() async throws {
        try await ClobHarness.run { venue in
            venue.fake.revokeApiKey()
            let fresh = try await venue.client.createOrDeriveApiKey()
            #expect(fresh.apiKey != ClobHarness.credentials.apiKey)
            #expect(try await venue.client.openOrders().isEmpty)
        }
    }
}

struct ClobMarketDataTests {
    @Test("book, tick size and neg-risk are read from the public endpoints")
    func publicReads() async throws {
        try await ClobHarness.run { venue in
            venue.fake.setBook(tokenID: ClobHarness.tokenID, bids: [(Decimal(string: "0.45")!, 20), (Decimal(string: "0.44")!, 5)],
                               asks: [(Decimal(string: "0.55")!, 10)])
            let book = try await venue.client.book(tokenID: ClobHarness.tokenID)
            #expect(book.bestBid == Decimal(string: "0.45"))
            #expect(book.bestAsk == Decimal(string: "0.55"))
            #expect(try await venue.client.tickSize(tokenID: ClobHarness.tokenID) == venue.tick)
            #expect(try await venue.client.negRisk(tokenID: ClobHarness.tokenID) == false)
        }
    }

    @Test("an unknown token's book is refused with the venue's message")
    func unknownBook() async throws {
        try await ClobHarness.run { venue in
            let error = try #require(await ClobHarness.clobError { _ = try await venue.client.book(tokenID: "1") })
            #expect(error.venueMessage == "No orderbook exists for the requested token id")
        }
    }
}
