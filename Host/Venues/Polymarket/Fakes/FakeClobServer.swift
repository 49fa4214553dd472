import VenueFakes
import VenueKit
import Crypto
import Foundation
import HostCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PolymarketSigning
import Synchronization

/// A token the fake CLOB trades.
public struct FakeClobToken: Sendable, Hashable {
    public var tokenID: String
    /// Condition id of the market (`market` in venue messages).
    public var market: String
    public var tick: TickSize
    public var negRisk: Bool
    public var minOrderSize: Decimal
    /// Outcome name ("Up" / "Down").
    public var outcome: String

    public init(tokenID: String, market: String, tick: TickSize, negRisk: Bool = false, minOrderSize: Decimal = 5, outcome: String = "Up") {
        self.tokenID = tokenID
        self.market = market
        self.tick = tick
        self.negRisk = negRisk
        self.minOrderSize = minOrderSize
        self.outcome = outcome
    }
}

/// An order the fake verified and accepted.
public struct FakeClobAcceptedOrder: Sendable {
    public var orderID: String
    public var body: PostOrderBody
    /// The address recovered from the EIP-712 signature (equals `body.order.signer`).
    public var recoveredSigner: EthereumAddress
    public var price: Decimal
    public var size: Decimal
    /// `live` or `matched` as answered (or as it would have been, for a dropped response).
    public var status: String
    /// `monotonicNanos()` when the request arrived (tick-to-order benchmarks).
    public var receivedAtNs: Int64 = 0
}

/// A request the fake refused (or failed on purpose), with the reason it sent.
public struct FakeClobRejection: Sendable, Hashable {
    public var endpoint: String
    public var status: Int
    public var reason: String
}

/// A successful L1 (wallet signature) check.
public struct FakeClobL1Verification: Sendable, Hashable {
    public var endpoint: String
    public var recoveredAddress: EthereumAddress
}

/// Failures the fake injects into the next `POST /order` requests.
public enum FakeClobFailure: Sendable, Hashable {
    /// 429 `{"error":"Too Many Requests"}` with an optional `Retry-After` (seconds).
    case rateLimited(retryAfterSeconds: Int?)
    /// 503 "Trading is currently cancel-only…".
    case cancelOnly
    /// 503 "Trading is currently disabled…".
    case tradingDisabled
    /// 500.
    case serverError
    /// The order is verified, accepted and matched, then the connection is closed without an answer.
    case acceptThenDropConnection
    /// The order is verified, accepted and matched, then the answer is a 500 (a gateway failing on the way back).
    case serverErrorAfterPlacing
}

/// A fake Polymarket CLOB REST server on 127.0.0.1 (Hummingbird), for tests and dry runs.
///
/// It verifies what the real venue verifies on `POST /order` — L2 HMAC over the exact body bytes,
/// API key/passphrase, `POLY_ADDRESS` = order signer, EIP-712 signature recovery against the
/// exchange chosen by the token's neg-risk flag, maker per signature type, price on the tick grid,
/// owner = API key, timestamp within 30 s — then matches FOK/FAK/GTC/GTD against a configurable
/// book and answers in the venue's shapes. User-channel frames go to `onUserEvent`.
public final class FakeClobServer: Sendable {
    private struct OrderRecord {
        var id: String
        var tokenID: String
        var side: OrderSide
        var price: Decimal
        var original: Decimal
        var matched: Decimal = 0
        var owner: String
        var makerAddress: String
        var orderType: String
        var expiration: UInt64
        var createdAtSeconds: Int64
        var status: String  // LIVE, MATCHED, CANCELED
        var associateTrades: [String] = []
        var remaining: Decimal { original - matched }
    }

    private struct TradeRecord {
        var id: String
        var takerOrderID: String
        var tokenID: String
        var side: OrderSide
        var size: Decimal
        var price: Decimal
        var status: String
        var matchTimeSeconds: Int64
        var owner: String
        var makerAddress: String
        var transactionHash: String
        var traderSide: String
        var makers: [(order: OrderRecord, amount: Decimal)]
    }

    private struct State {
        var credentials: ApiCredentials
        var revoked = false
        var tokens: [String: FakeClobToken] = [:]
        var orders: [String: OrderRecord] = [:]
        var orderSequence: [String] = []
        var trades: [TradeRecord] = []
        var failures: [FakeClobFailure] = []
        /// Remaining `GET /data/orders` / `GET /data/trades` requests answered with 500.
        var failingQueries = 0
        /// Replaces the venue's FOK/FAK kill message (the kill is still `status: "unmatched"`).
        var killMessage: String?
        var clockOffsetMs: Int64 = 0
        var acceptedOrders: [FakeClobAcceptedOrder] = []
        var rejections: [FakeClobRejection] = []
        var l1Verifications: [FakeClobL1Verification] = []
        var collateral: Decimal = 1000
        var positions: [String: Decimal] = [:]
        var allowancesPerExchange = false
        var heartbeatID: String?
        var lastHeartbeat: ContinuousClock.Instant?
        var heartbeatLapses = 0
        var pageSize = 100
        var makerSequence = 0
        var onUserEvent: (@Sendable (String) -> Void)?
    }

    /// The wallet (EOA) allowed to sign orders and L1 requests.
    public let signer: EthereumAddress
    /// Required `maker` for proxy/safe orders.
    public let funder: EthereumAddress?
    public let chainID: UInt64
    /// A started heartbeat chain that gets no beat within this time cancels all the key's orders.
    public let heartbeatTimeout: Duration
    /// Allowed distance between `POLY_TIMESTAMP` and the server clock.
    public let timestampTolerance: Duration

    private let state: Mutex<State>
    private let host: FakeHTTPHost
    private let watcher = Mutex<Task<Void, Never>?>(nil)
    private let logger: Logger

    public init(
        credentials: ApiCredentials, signer: EthereumAddress, funder: EthereumAddress? = nil, chainID: UInt64 = 137,
        heartbeatTimeout: Duration = .seconds(10), timestampTolerance: Duration = .seconds(30),
        onUserEvent: (@Sendable (String) -> Void)? = nil, logger: Logger = Logger(label: "FakeClobServer")
    ) {
        self.signer = signer
        self.funder = funder
        self.chainID = chainID
        self.heartbeatTimeout = heartbeatTimeout
        self.timestampTolerance = timestampTolerance
        self.logger = logger
        self.host = FakeHTTPHost(name: "FakeClobServer", logger: logger)
        var initial = State(credentials: credentials)
        initial.onUserEvent = onUserEvent
        self.state = Mutex(initial)
    }

    // MARK: - Lifecycle

    /// Starts listening on 127.0.0.1 (port chosen by the OS) and the heartbeat watchdog.
    public func start() async throws {
        _ = try await host.start { [self] request, context in try await self.handle(request, context) }
        let task = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(25))
                self.expireHeartbeatIfLapsed()
            }
        }
        watcher.withLock { $0 = task }
    }

    public func stop() async {
        watcher.withLock { $0?.cancel() }
        await host.stop()
    }

    /// Bound port (0 before `start()`).
    public var port: Int { host.port ?? 0 }
    /// `http://127.0.0.1:<port>`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    // MARK: - Test controls

    /// Receives user-channel frames (JSON text in the venue's wire shape).
    public var onUserEvent: (@Sendable (String) -> Void)? {
        get { state.withLock { $0.onUserEvent } }
        set { state.withLock { $0.onUserEvent = newValue } }
    }

    public func addToken(_ token: FakeClobToken) { state.withLock { $0.tokens[token.tokenID] = token } }

    /// Replaces the other participants' resting liquidity on a token (price, size).
    public func setBook(tokenID: String, bids: [(price: Decimal, size: Decimal)], asks: [(price: Decimal, size: Decimal)]) {
        state.withLock { state in
            for (id, order) in state.orders where order.tokenID == tokenID && order.owner.hasPrefix("fake-maker") && order.status == "LIVE" {
                state.orders[id]?.status = "CANCELED"
            }
            for (side, levels) in [(OrderSide.buy, bids), (.sell, asks)] {
                for level in levels {
                    state.makerSequence += 1
                    let id = Hex.encode(Array(SHA256.hash(data: Array("maker-\(state.makerSequence)".utf8))))
                    let record = OrderRecord(
                        id: id, tokenID: tokenID, side: side, price: level.price, original: level.size, owner: "fake-maker-\(state.makerSequence)",
                        makerAddress: "0x000000000000000000000000000000000000beef", orderType: "GTC", expiration: 0,
                        createdAtSeconds: Self.nowMs(offset: 0) / 1000, status: "LIVE"
                    )
                    state.orders[id] = record
                    state.orderSequence.append(id)
                }
            }
        }
    }

    /// The next `count` order posts fail with `failure` (in order, after earlier injections).
    public func failNextOrderPosts(_ failure: FakeClobFailure, count: Int = 1) {
        state.withLock { $0.failures += Array(repeating: failure, count: count) }
    }

    /// The next `count` `GET /data/orders` and `GET /data/trades` requests get 500 "Internal server error"
    /// (`Int.max`: until `failAccountQueries(count: 0)`).
    public func failAccountQueries(count: Int) { state.withLock { $0.failingQueries = max(0, count) } }

    /// Answers FOK/FAK kills with this `errorMsg` instead of the venue's usual wording (`nil`: the usual one).
    /// The kill is still marked by `status: "unmatched"` and `success: false`.
    public func setKillMessage(_ message: String?) { state.withLock { $0.killMessage = message } }

    /// Revokes the API key: L2 requests get 401 `{"error":"Unauthorized/Invalid api key"}`.
    public func revokeApiKey() { state.withLock { $0.revoked = true } }

    /// The credentials the fake currently accepts.
    public var credentials: ApiCredentials { state.withLock { $0.credentials } }

    /// Moves the server clock (for `/time` and the timestamp check) relative to the local clock.
    public func setClockOffset(_ offset: Duration) {
        state.withLock { $0.clockOffsetMs = offset.components.seconds * 1000 + offset.components.attoseconds / 1_000_000_000_000_000 }
    }

    /// Items per page of `/data/orders` and `/data/trades`.
    public func setPageSize(_ size: Int) { state.withLock { $0.pageSize = max(1, size) } }

    /// Collateral balance in pUSD; `perExchange` answers with an `allowances` object instead of `allowance`.
    public func setCollateral(_ amount: Decimal, allowancesPerExchange: Bool = false) {
        state.withLock {
            $0.collateral = amount
            $0.allowancesPerExchange = allowancesPerExchange
        }
    }

    public var acceptedOrders: [FakeClobAcceptedOrder] { state.withLock { $0.acceptedOrders } }
    public var rejections: [FakeClobRejection] { state.withLock { $0.rejections } }
    public var l1Verifications: [FakeClobL1Verification] { state.withLock { $0.l1Verifications } }
    /// Times a started heartbeat chain lapsed (each cancelled all resting orders).
    public var heartbeatLapses: Int { state.withLock { $0.heartbeatLapses } }
    /// Ids of this key's resting orders.
    public var liveOrderIDs: [String] {
        state.withLock { state in state.orderSequence.filter { state.orders[$0].map { $0.status == "LIVE" && $0.owner == state.credentials.apiKey } ?? false } }
    }

    // MARK: - Routing

    private func handle(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let arrivedNs = monotonicNanos()
        var request = request
        let body = Array(try await request.collectBody(upTo: 1 << 20).readableBytesView)
        let path = request.uri.path
        let method = request.method.rawValue
        let endpoint = "\(method) \(path)"
        let query = request.uri.queryParameters
        func param(_ name: String) -> String? { query[Substring(name)].map(String.init) }

        switch (method, path) {
        case ("GET", "/ok"): return FakeHTTPJSON.response(.ok, "OK")
        case ("GET", "/version"): return FakeHTTPJSON.response(.ok, ["version": 2])
        case ("GET", "/time"):
            let seconds = serverNowMs() / 1000
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: String(seconds))))
        case ("GET", "/book"): return book(tokenID: param("token_id") ?? "", endpoint: endpoint)
        case ("GET", "/tick-size"):
            guard let token = token(param("token_id")) else { return reject(endpoint, .badRequest, "Invalid token id") }
            return FakeHTTPJSON.response(.ok, ["minimum_tick_size": NSDecimalNumber(decimal: token.tick.value)])
        case ("GET", "/neg-risk"):
            guard let token = token(param("token_id")) else { return reject(endpoint, .badRequest, "Invalid token id") }
            return FakeHTTPJSON.response(.ok, ["neg_risk": token.negRisk])
        case ("POST", "/auth/api-key"), ("GET", "/auth/derive-api-key"):
            return apiKey(request, endpoint: endpoint, create: method == "POST")
        case ("POST", "/order"):
            return try await postOrder(request, body: body, context: context, arrivedNs: arrivedNs)
        default: break
        }
        if method == "GET", path.hasPrefix("/clob-markets/") {
            return clobMarket(conditionID: String(path.dropFirst("/clob-markets/".count)), endpoint: endpoint)
        }
        let l2Paths: Set<String> = ["DELETE /order", "DELETE /orders", "DELETE /cancel-all", "GET /data/orders", "GET /data/trades",
                                    "GET /balance-allowance", "POST /v1/heartbeats"]
        guard l2Paths.contains(endpoint) else { return reject(endpoint, .notFound, "not found") }
        if let refusal = verifyL2(request, method: method, path: path, body: body, endpoint: endpoint) { return refusal }
        if endpoint == "GET /data/orders" || endpoint == "GET /data/trades" {
            let failing = state.withLock { s -> Bool in
                guard s.failingQueries > 0 else { return false }
                if s.failingQueries != Int.max { s.failingQueries -= 1 }
                return true
            }
            if failing { return reject(endpoint, .internalServerError, "Internal server error") }
        }
        switch endpoint {
        case "DELETE /order":
            guard let json = FakeHTTPJSON.parse(ByteBuffer(bytes: body)) as? [String: Any], let id = json["orderID"] as? String else {
                return reject(endpoint, .badRequest, "Invalid order payload")
            }
            return cancel(ids: [id])
        case "DELETE /orders":
            guard let ids = FakeHTTPJSON.parse(ByteBuffer(bytes: body)) as? [String] else { return reject(endpoint, .badRequest, "Invalid payload") }
            return cancel(ids: ids)
        case "DELETE /cancel-all":
            return cancel(ids: nil)
        case "GET /data/orders":
            return page(cursor: param("next_cursor"), endpoint: endpoint, items: openOrderItems(market: param("market"), assetID: param("asset_id"), id: param("id")))
        case "GET /data/trades":
            return page(cursor: param("next_cursor"), endpoint: endpoint,
                        items: tradeItems(market: param("market"), assetID: param("asset_id"), after: param("after").flatMap { Int64($0) }))
        case "GET /balance-allowance":
            return balance(assetType: param("asset_type") ?? "COLLATERAL", tokenID: param("token_id"))
        default:
            return heartbeat(body: body, endpoint: endpoint)
        }
    }

    // MARK: - Auth

    private func header(_ request: Request, _ name: String) -> String? {
        HTTPField.Name(name).flatMap { request.headers[$0] }
    }

    private func timestampFresh(_ text: String?) -> Bool {
        guard let text, let seconds = Int64(text) else { return false }
        let tolerance = timestampTolerance.components.seconds
        return abs(serverNowMs() / 1000 - seconds) <= tolerance
    }

    /// `nil` when the L2 headers are valid; otherwise the 401 to send.
    private func verifyL2(_ request: Request, method: String, path: String, body: [UInt8], endpoint: String) -> Response? {
        let (credentials, revoked) = state.withLock { ($0.credentials, $0.revoked) }
        guard !revoked, header(request, "POLY_API_KEY") == credentials.apiKey, header(request, "POLY_PASSPHRASE") == credentials.passphrase else {
            return reject(endpoint, .unauthorized, "Unauthorized/Invalid api key")
        }
        guard timestampFresh(header(request, "POLY_TIMESTAMP")) else {
            return reject(endpoint, .unauthorized, "Unauthorized: invalid or expired timestamp")
        }
        guard let address = header(request, "POLY_ADDRESS").flatMap({ try? EthereumAddress(hex: $0) }), address == signer else {
            return reject(endpoint, .unauthorized, "Unauthorized: POLY_ADDRESS is not the address of the API key")
        }
        guard let timestamp = header(request, "POLY_TIMESTAMP"), let sent = header(request, "POLY_SIGNATURE"),
              let expected = try? L2Auth.signature(secret: credentials.secret, timestamp: timestamp, method: method, path: path, body: body),
              sent == expected else {
            return reject(endpoint, .unauthorized, "Unauthorized: invalid L2 signature")
        }
        return nil
    }

    private func apiKey(_ request: Request, endpoint: String, create: Bool) -> Response {
        guard let addressText = header(request, "POLY_ADDRESS"), let address = try? EthereumAddress(hex: addressText),
              let timestamp = header(request, "POLY_TIMESTAMP"), let signatureText = header(request, "POLY_SIGNATURE"),
              let signature = Hex.decode(signatureText), signature.count == 65,
              let nonce = UInt64(header(request, "POLY_NONCE") ?? "0") else {
            return reject(endpoint, .unauthorized, "Invalid L1 Request headers")
        }
        let digest = EIP712.clobAuthDigest(address: address, timestamp: timestamp, nonce: nonce, chainID: chainID)
        guard let recovered = try? Secp256k1Recovery.recoverAddress(digest: digest, signature: signature), recovered == address,
              address == signer else {
            return reject(endpoint, .unauthorized, "Invalid L1 Request headers")
        }
        guard timestampFresh(timestamp) else { return reject(endpoint, .unauthorized, "Invalid L1 Request headers: expired timestamp") }
        let result: ApiCredentials? = state.withLock { state in
            state.l1Verifications.append(FakeClobL1Verification(endpoint: endpoint, recoveredAddress: recovered))
            if create {
                guard state.revoked else { return nil }
                var random = SystemRandomNumberGenerator()
                let secret = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }).base64EncodedString()
                    .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                state.credentials = ApiCredentials(apiKey: UUID().uuidString.lowercased(), secret: secret,
                                                   passphrase: Hex.encode(Array(SHA256.hash(data: Array(secret.utf8))), prefix: false))
                state.revoked = false
                return state.credentials
            }
            return state.revoked ? nil : state.credentials
        }
        guard let result else { return reject(endpoint, .badRequest, create ? "Could not create api key" : "Could not derive api key!") }
        return FakeHTTPJSON.response(.ok, ["apiKey": result.apiKey, "secret": result.secret, "passphrase": result.passphrase])
    }

    // MARK: - Orders

    private func postOrder(_ request: Request, body: [UInt8], context: FakeRequestContext, arrivedNs: Int64) async throws -> Response {
        let endpoint = "POST /order"
        let injected: FakeClobFailure? = state.withLock { state in state.failures.isEmpty ? nil : state.failures.removeFirst() }
        switch injected {
        case .rateLimited(let after):
            return reject(endpoint, .tooManyRequests, "Too Many Requests", headers: after.map { [("Retry-After", String($0))] } ?? [])
        case .cancelOnly:
            return reject(endpoint, .serviceUnavailable, "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed.")
        case .tradingDisabled:
            return reject(endpoint, .serviceUnavailable, "Trading is currently disabled. Check polymarket.com for updates.")
        case .serverError:
            return reject(endpoint, .internalServerError, "Internal server error")
        case .acceptThenDropConnection, .serverErrorAfterPlacing, nil:
            break
        }
        if let refusal = verifyL2(request, method: "POST", path: "/order", body: body, endpoint: endpoint) { return refusal }
        let decoded: PostOrderBody
        do { decoded = try PostOrderBody.decode(body) } catch {
            return reject(endpoint, .badRequest, "Invalid order payload: \(error.message)")
        }
        let order = decoded.order
        let credentials = state.withLock { $0.credentials }
        guard decoded.owner == credentials.apiKey else {
            return reject(endpoint, .badRequest, "the order owner has to be the owner of the API KEY")
        }
        guard let address = header(request, "POLY_ADDRESS").flatMap({ try? EthereumAddress(hex: $0) }), address == order.signer else {
            return reject(endpoint, .badRequest, "the order signer address has to be the address of the API KEY")
        }
        guard let token = token(order.tokenID) else { return reject(endpoint, .badRequest, "Invalid token id") }
        guard let digest = try? EIP712.orderDigest(order, exchange: .forNegRisk(token.negRisk), chainID: chainID),
              let recovered = try? Secp256k1Recovery.recoverAddress(digest: digest, signature: decoded.signature),
              recovered == order.signer else {
            return reject(endpoint, .badRequest, "invalid signature")
        }
        switch order.signatureType {
        case .eoa:
            guard order.maker == order.signer else { return reject(endpoint, .badRequest, "invalid maker: an EOA order's maker must be its signer") }
        case .polyProxy, .polyGnosisSafe:
            guard let funder, order.maker == funder else { return reject(endpoint, .badRequest, "invalid maker: not the configured funder") }
        }
        guard order.makerAmount > 0, order.takerAmount > 0 else { return reject(endpoint, .badRequest, "invalid amounts") }
        let maker = Decimal(order.makerAmount) / 1_000_000, taker = Decimal(order.takerAmount) / 1_000_000
        let implied = order.side == .buy ? maker / taker : taker / maker
        let size = order.side == .buy ? taker : maker
        let tick = token.tick.value
        let price = Self.roundToTick(implied, tick: tick)
        // Market orders' amounts carry rounding (e.g. $5 at 0.99 → 5.0505 shares); a hundredth of a tick absorbs it.
        guard abs(implied - price) <= tick / 100, price >= tick, price <= 1 - tick else {
            return reject(endpoint, .badRequest, "order \(Hex.encode(digest, prefix: false)) is invalid. Price (\(implied.plainText)) breaks minimum tick size rule: \(tick.plainText)")
        }
        let orderID = Hex.encode(digest)
        let outcome = match(orderID: orderID, body: decoded, token: token, price: price, size: size, recovered: recovered, arrivedNs: arrivedNs)
        if case .acceptThenDropConnection = injected, outcome.accepted {
            logger.info("Fake CLOB dropping the connection after accepting an order", metadata: ["order.id": "\(orderID)"])
            try? await context.channel.close()
            throw FakeServerError(message: "connection dropped on purpose")
        }
        if case .serverErrorAfterPlacing = injected, outcome.accepted {
            logger.info("Fake CLOB answering 500 after accepting an order", metadata: ["order.id": "\(orderID)"])
            return reject(endpoint, .internalServerError, "Internal server error")
        }
        return outcome.response
    }

    private func match(orderID: String, body: PostOrderBody, token: FakeClobToken, price: Decimal, size: Decimal,
                       recovered: EthereumAddress, arrivedNs: Int64) -> (accepted: Bool, response: Response) {
        let endpoint = "POST /order"
        let side = body.order.side
        let type = body.orderType
        var frames: [String] = []
        let result: (Bool, Response) = state.withLock { state in
            guard state.orders[orderID] == nil else {
                return (false, Self.refusal(&state, endpoint, .badRequest, "order \(orderID) already exists (duplicate)"))
            }
            let crossing = state.orderSequence.compactMap { state.orders[$0] }.filter { other in
                other.tokenID == token.tokenID && other.status == "LIVE" && other.side != side
                    && (side == .buy ? other.price <= price : other.price >= price)
            }.sorted { side == .buy ? $0.price < $1.price : $0.price > $1.price }
            let available = crossing.reduce(Decimal(0)) { $0 + $1.remaining }
            let nowMs = Self.nowMs(offset: state.clockOffsetMs)
            var record = OrderRecord(
                id: orderID, tokenID: token.tokenID, side: side, price: price, original: size, owner: body.owner,
                makerAddress: body.order.maker.checksummed, orderType: type.rawValue, expiration: body.expiration,
                createdAtSeconds: nowMs / 1000, status: "LIVE"
            )
            func killed(_ usual: String) -> (Bool, Response) {
                let message = state.killMessage ?? usual
                record.status = "CANCELED"
                frames.append(Self.orderFrame(record, token: token, type: "CANCELLATION", status: "CANCELED_" + message, nowMs: nowMs))
                state.rejections.append(FakeClobRejection(endpoint: endpoint, status: 400, reason: message))
                return (false, FakeHTTPJSON.response(.badRequest, [
                    "success": false, "errorMsg": message, "orderID": orderID, "status": "unmatched", "makingAmount": "0", "takingAmount": "0",
                    "transactionsHashes": [String](), "tradeIDs": [String](),
                ]))
            }
            switch type {
            case .fok where available < size:
                return killed("order couldn't be fully filled. FOK orders are fully filled or killed.")
            case .fak where available == 0:
                return killed("no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found.")
            case .gtc where body.postOnly && !crossing.isEmpty, .gtd where body.postOnly && !crossing.isEmpty:
                return (false, Self.refusal(&state, endpoint, .badRequest, "invalid post-only order: order crosses book"))
            default: break
            }
            // Fill against the best prices first.
            var fills: [(order: OrderRecord, amount: Decimal)] = []
            var need = size
            for var other in crossing where need > 0 {
                let amount = min(need, other.remaining)
                other.matched += amount
                if other.remaining == 0 { other.status = "MATCHED" }
                state.orders[other.id] = other
                fills.append((other, amount))
                need -= amount
            }
            let filled = size - need
            let notional = fills.reduce(Decimal(0)) { $0 + $1.amount * $1.order.price }
            record.matched = filled
            var tradeIDs: [String] = []
            var hashes: [String] = []
            if filled > 0 {
                let tradeID = UUID().uuidString.lowercased()
                let txHash = Hex.encode(Array(SHA256.hash(data: Array(tradeID.utf8))))
                tradeIDs.append(tradeID)
                hashes.append(txHash)
                record.associateTrades.append(tradeID)
                var trade = TradeRecord(
                    id: tradeID, takerOrderID: orderID, tokenID: token.tokenID, side: side, size: filled, price: notional / filled,
                    status: "MATCHED", matchTimeSeconds: nowMs / 1000, owner: body.owner, makerAddress: body.order.maker.checksummed,
                    transactionHash: txHash, traderSide: "TAKER", makers: fills
                )
                for status in ["MATCHED", "MINED", "CONFIRMED"] {
                    trade.status = status
                    frames.append(Self.tradeFrame(trade, token: token, nowMs: nowMs))
                }
                state.trades.append(trade)
                for fill in fills where fill.order.owner == body.owner {
                    frames.append(Self.orderFrame(state.orders[fill.order.id]!, token: token, type: "UPDATE", status: state.orders[fill.order.id]!.status, nowMs: nowMs))
                }
                if side == .buy {
                    state.collateral -= notional
                    state.positions[token.tokenID, default: 0] += filled
                } else {
                    state.collateral += notional
                    state.positions[token.tokenID, default: 0] -= filled
                }
            }
            let rests = (type == .gtc || type == .gtd) && filled < size
            record.status = rests ? "LIVE" : (filled == size ? "MATCHED" : "CANCELED")
            state.orders[orderID] = record
            state.orderSequence.append(orderID)
            if rests { frames.insert(Self.orderFrame(record, token: token, type: "PLACEMENT", status: "LIVE", nowMs: nowMs), at: 0) }
            let status = rests ? "live" : "matched"
            state.acceptedOrders.append(FakeClobAcceptedOrder(orderID: orderID, body: body, recoveredSigner: recovered, price: price, size: size, status: status,
                                                         receivedAtNs: arrivedNs))
            let making = side == .buy ? notional : filled
            let taking = side == .buy ? filled : notional
            return (true, FakeHTTPJSON.response(.ok, [
                "success": true, "errorMsg": "", "orderID": orderID, "status": status,
                "makingAmount": filled > 0 ? making.plainText : "", "takingAmount": filled > 0 ? taking.plainText : "",
                "transactionsHashes": hashes, "tradeIDs": tradeIDs,
            ]))
        }
        publish(frames)
        return result
    }

    private func cancel(ids: [String]?) -> Response {
        var frames: [String] = []
        let (canceled, notCanceled): ([String], [String: String]) = state.withLock { state in
            let nowMs = Self.nowMs(offset: state.clockOffsetMs)
            let targets = ids ?? state.orderSequence.filter { state.orders[$0]?.owner == state.credentials.apiKey && state.orders[$0]?.status == "LIVE" }
            var canceled: [String] = []
            var notCanceled: [String: String] = [:]
            for id in targets {
                guard var order = state.orders[id], order.owner == state.credentials.apiKey else {
                    notCanceled[id] = "order not found"
                    continue
                }
                guard order.status == "LIVE" else {
                    notCanceled[id] = "already canceled or matched"
                    continue
                }
                order.status = "CANCELED"
                state.orders[id] = order
                canceled.append(id)
                if let token = state.tokens[order.tokenID] {
                    frames.append(Self.orderFrame(order, token: token, type: "CANCELLATION", status: "CANCELED", nowMs: nowMs))
                }
            }
            return (canceled, notCanceled)
        }
        publish(frames)
        return FakeHTTPJSON.response(.ok, ["canceled": canceled, "not_canceled": notCanceled])
    }

    private func expireHeartbeatIfLapsed() {
        let lapsed: Bool = state.withLock { state in
            guard state.heartbeatID != nil, let last = state.lastHeartbeat, ContinuousClock.now - last > heartbeatTimeout else { return false }
            state.heartbeatID = nil
            state.lastHeartbeat = nil
            state.heartbeatLapses += 1
            return true
        }
        if lapsed {
            logger.info("Fake CLOB heartbeat lapsed; cancelling all orders")
            _ = cancel(ids: nil)
        }
    }

    private func heartbeat(body: [UInt8], endpoint: String) -> Response {
        let json = FakeHTTPJSON.parse(ByteBuffer(bytes: body)) as? [String: Any]
        let sent = (json?["heartbeat_id"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        let next: String? = state.withLock { state in
            if let sent, sent != state.heartbeatID { return nil }
            let id = UUID().uuidString.lowercased()
            state.heartbeatID = id
            state.lastHeartbeat = .now
            return id
        }
        guard let next else { return reject(endpoint, .badRequest, "Invalid Heartbeat ID") }
        return FakeHTTPJSON.response(.ok, ["heartbeat_id": next])
    }

    // MARK: - Reads

    private func token(_ id: String?) -> FakeClobToken? {
        guard let id else { return nil }
        return state.withLock { $0.tokens[id] }
    }

    private func book(tokenID: String, endpoint: String) -> Response {
        guard let token = token(tokenID) else { return reject(endpoint, .notFound, "No orderbook exists for the requested token id") }
        let (bids, asks, nowMs): ([Decimal: Decimal], [Decimal: Decimal], Int64) = state.withLock { state in
            var bids: [Decimal: Decimal] = [:], asks: [Decimal: Decimal] = [:]
            for order in state.orders.values where order.tokenID == tokenID && order.status == "LIVE" {
                if order.side == .buy { bids[order.price, default: 0] += order.remaining } else { asks[order.price, default: 0] += order.remaining }
            }
            return (bids, asks, Self.nowMs(offset: state.clockOffsetMs))
        }
        // Real books list bids ascending and asks descending (best last).
        let levels = { (book: [Decimal: Decimal], ascending: Bool) in
            book.keys.sorted { ascending ? $0 < $1 : $0 > $1 }.map { ["price": $0.plainText, "size": book[$0]!.plainText] }
        }
        return FakeHTTPJSON.response(.ok, [
            "market": token.market, "asset_id": token.tokenID, "timestamp": String(nowMs), "hash": Hex.encode(Array(SHA256.hash(data: Array("\(bids)\(asks)".utf8))), prefix: false).prefix(40),
            "bids": levels(bids, true), "asks": levels(asks, false), "min_order_size": token.minOrderSize.plainText,
            "tick_size": token.tick.value.plainText, "neg_risk": token.negRisk, "last_trade_price": "",
        ] as [String: Any])
    }

    private func clobMarket(conditionID: String, endpoint: String) -> Response {
        let tokens = state.withLock { $0.tokens.values.filter { $0.market == conditionID }.sorted { $0.outcome > $1.outcome } }
        guard let first = tokens.first else { return reject(endpoint, .notFound, "market not found") }
        return FakeHTTPJSON.response(.ok, [
            "t": tokens.map { ["t": $0.tokenID, "o": $0.outcome] }, "mts": NSDecimalNumber(decimal: first.tick.value), "nr": first.negRisk,
            "fd": ["r": 0.07, "e": 1],
        ] as [String: Any])
    }

    private func openOrderItems(market: String?, assetID: String?, id: String?) -> [[String: Any]] {
        state.withLock { state in
            state.orderSequence.compactMap { state.orders[$0] }.filter { order in
                order.owner == state.credentials.apiKey && order.status == "LIVE" && (assetID == nil || order.tokenID == assetID)
                    && (id == nil || order.id == id) && (market == nil || state.tokens[order.tokenID]?.market == market)
            }.map { order in
                let token = state.tokens[order.tokenID]
                return [
                    "id": order.id, "status": order.status, "owner": order.owner, "maker_address": order.makerAddress,
                    "market": token?.market ?? "", "asset_id": order.tokenID, "side": order.side.wire, "original_size": order.original.plainText,
                    "size_matched": order.matched.plainText, "price": order.price.plainText, "outcome": token?.outcome ?? "",
                    "expiration": String(order.expiration), "order_type": order.orderType, "associate_trades": order.associateTrades,
                    "created_at": order.createdAtSeconds,
                ] as [String: Any]
            }
        }
    }

    private func tradeItems(market: String?, assetID: String?, after: Int64?) -> [[String: Any]] {
        state.withLock { state in
            state.trades.filter { trade in
                (assetID == nil || trade.tokenID == assetID) && (after == nil || trade.matchTimeSeconds >= after!)
                    && (market == nil || state.tokens[trade.tokenID]?.market == market)
            }.compactMap { trade in
                guard let token = state.tokens[trade.tokenID] else { return nil }
                var item = Self.tradeObject(trade, token: token)
                item["status"] = "TRADE_STATUS_" + trade.status
                return item
            }
        }
    }

    private func page(cursor: String?, endpoint: String, items: [[String: Any]]) -> Response {
        let pageSize = state.withLock { $0.pageSize }
        let cursorText = cursor ?? "MA=="
        guard let decoded = Data(base64Encoded: cursorText).flatMap({ Int(String(decoding: $0, as: UTF8.self)) }), decoded >= 0 else {
            return reject(endpoint, .badRequest, "invalid next_cursor")
        }
        let slice = Array(items.dropFirst(decoded).prefix(pageSize))
        let end = decoded + slice.count
        let next = end >= items.count ? "LTE=" : Data(String(end).utf8).base64EncodedString()
        return FakeHTTPJSON.response(.ok, ["data": slice, "next_cursor": next, "limit": pageSize, "count": slice.count] as [String: Any])
    }

    private func balance(assetType: String, tokenID: String?) -> Response {
        let (collateral, positions, perExchange) = state.withLock { ($0.collateral, $0.positions, $0.allowancesPerExchange) }
        let amount = assetType.uppercased() == "CONDITIONAL" ? positions[tokenID ?? ""] ?? 0 : collateral
        let balance = Self.sixDecimals(amount)
        let unlimited = "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        if perExchange {
            return FakeHTTPJSON.response(.ok, ["balance": balance, "allowances": [
                ClobExchange.ctfV2.address.checksummed: unlimited, ClobExchange.negRiskV2.address.checksummed: unlimited,
            ]] as [String: Any])
        }
        return FakeHTTPJSON.response(.ok, ["balance": balance, "allowance": unlimited])
    }

    // MARK: - Wire helpers

    private func reject(_ endpoint: String, _ status: HTTPResponse.Status, _ reason: String, headers: [(String, String)] = []) -> Response {
        state.withLock { Self.refusal(&$0, endpoint, status, reason, headers: headers) }
    }

    private static func refusal(_ state: inout State, _ endpoint: String, _ status: HTTPResponse.Status, _ reason: String,
                                headers: [(String, String)] = []) -> Response {
        state.rejections.append(FakeClobRejection(endpoint: endpoint, status: status.code, reason: reason))
        return FakeHTTPJSON.response(status, ["error": reason], headers: headers)
    }

    private func publish(_ frames: [String]) {
        guard !frames.isEmpty, let sink = state.withLock({ $0.onUserEvent }) else { return }
        for frame in frames { sink(frame) }
    }

    private func serverNowMs() -> Int64 { Self.nowMs(offset: state.withLock { $0.clockOffsetMs }) }

    private static func nowMs(offset: Int64) -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) + offset }

    private static func orderFrame(_ order: OrderRecord, token: FakeClobToken, type: String, status: String, nowMs: Int64) -> String {
        FakeHTTPJSON.string([
            "event_type": "order", "id": order.id, "owner": order.owner, "market": token.market, "asset_id": order.tokenID,
            "side": order.side.wire, "original_size": order.original.plainText, "size_matched": order.matched.plainText,
            "price": order.price.plainText, "type": type, "timestamp": String(nowMs), "created_at": String(order.createdAtSeconds),
            "expiration": String(order.expiration), "order_type": order.orderType, "status": status, "maker_address": order.makerAddress,
            "order_owner": order.owner, "associate_trades": order.associateTrades, "outcome": token.outcome,
        ] as [String: Any])
    }

    private static func tradeObject(_ trade: TradeRecord, token: FakeClobToken) -> [String: Any] {
        [
            "id": trade.id, "taker_order_id": trade.takerOrderID, "market": token.market, "asset_id": trade.tokenID,
            "side": trade.side.wire, "size": trade.size.plainText, "price": trade.price.plainText, "status": trade.status,
            "owner": trade.owner, "fee_rate_bps": "0", "match_time": String(trade.matchTimeSeconds),
            "last_update": String(trade.matchTimeSeconds), "trade_owner": trade.owner, "maker_address": trade.makerAddress,
            "transaction_hash": trade.transactionHash, "bucket_index": 0, "trader_side": trade.traderSide, "outcome": token.outcome,
            "maker_orders": trade.makers.map { fill in
                [
                    "order_id": fill.order.id, "owner": fill.order.owner, "maker_address": fill.order.makerAddress,
                    "matched_amount": fill.amount.plainText, "price": fill.order.price.plainText, "fee_rate_bps": "0",
                    "asset_id": fill.order.tokenID, "side": fill.order.side.wire, "outcome": token.outcome,
                ]
            },
        ]
    }

    private static func tradeFrame(_ trade: TradeRecord, token: FakeClobToken, nowMs: Int64) -> String {
        var object = tradeObject(trade, token: token)
        object["event_type"] = "trade"
        object["type"] = "TRADE"
        object["timestamp"] = String(nowMs)
        return FakeHTTPJSON.string(object)
    }

    private static func roundToTick(_ value: Decimal, tick: Decimal) -> Decimal {
        var steps = value / tick
        var rounded = Decimal()
        NSDecimalRound(&rounded, &steps, 0, .plain)
        return rounded * tick
    }

    private static func sixDecimals(_ value: Decimal) -> String {
        var scaled = value * 1_000_000
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .down)
        return rounded.plainText
    }
}
