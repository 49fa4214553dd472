import VenueKit
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PolymarketSigning
import Synchronization

/// REST client for the Polymarket CLOB (`https://clob.polymarket.com`).
///
/// Authenticated (L2) calls build the body bytes once, HMAC exactly those bytes with the path
/// (no query string) and a server-aligned timestamp, and send the same bytes. The clock offset is
/// measured with `serverTime()` and re-measured (one retry) when the venue refuses a timestamp.
///
/// Order submission never retries by itself: a failure after the request was sent is
/// `.outcomeUnknown`, and the caller reconciles through `openOrders` / `trades`.
public final class ClobClient: Sendable {
    private struct State {
        var credentials: ApiCredentials?
        var skewMs: Int64
        var consecutiveRateLimits = 0
    }

    private let transport: RESTTransport
    private let signer: PrivateKey?
    private let signatureType: SignatureType
    private let chainID: UInt64
    private let localClockMs: @Sendable () -> Int64
    private let logger: Logger
    private let state: Mutex<State>

    /// - Parameters:
    ///   - baseURL: CLOB REST base URL without trailing slash.
    ///   - credentials: L2 API credentials; `nil` until `createOrDeriveApiKey()` installs them.
    ///   - signer: The wallet key (EOA). Its address is `POLY_ADDRESS`; it signs L1 requests.
    ///   - signatureType: How orders are signed (sent as `signature_type` to `/balance-allowance`).
    ///   - httpClient: `HTTPClient.shared` by default.
    ///   - timeout: Per-request deadline.
    ///   - clockSkewMs: Initial server-minus-local offset; `serverTime()` re-measures it.
    ///   - localClockMs: Local wall clock in unix ms (injectable for tests).
    public init(
        baseURL: String = ClobEndpoints.production.rest, credentials: ApiCredentials? = nil, signer: PrivateKey? = nil,
        signatureType: SignatureType = .eoa, chainID: UInt64 = 137, httpClient: HTTPClient = .shared,
        timeout: Duration = .seconds(10), clockSkewMs: Int64 = 0,
        localClockMs: @escaping @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) },
        logger: Logger
    ) {
        self.transport = RESTTransport(client: httpClient, baseURL: baseURL, timeout: timeout, logger: logger)
        self.signer = signer
        self.signatureType = signatureType
        self.chainID = chainID
        self.localClockMs = localClockMs
        self.logger = logger
        self.state = Mutex(State(credentials: credentials, skewMs: clockSkewMs))
    }

    /// The L2 credentials in use.
    public var credentials: ApiCredentials? { state.withLock { $0.credentials } }

    /// Replaces the L2 credentials (e.g. after recreating a revoked key).
    public func use(credentials: ApiCredentials) { state.withLock { $0.credentials = credentials } }

    /// Server clock minus local clock, in ms, as last measured.
    public var clockSkewMs: Int64 { state.withLock { $0.skewMs } }

    /// The local clock corrected by the measured skew, in unix seconds (what `POLY_TIMESTAMP` carries).
    public func serverAlignedSeconds() -> Int64 {
        (localClockMs() + clockSkewMs) / 1000
    }

    // MARK: - Public endpoints

    /// `GET /time` (unix seconds). Measures and keeps the clock skew used to sign requests.
    @discardableResult
    public func serverTime() async throws(ClobError) -> Int64 {
        let before = localClockMs()
        let response = try await transport.clob(.GET, path: "/time")
        let after = localClockMs()
        let endpoint = "GET /time"
        try check(response, endpoint: endpoint)
        let text = String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let seconds = Int64(text) ?? response.json?.int64 ?? response.json?["time"]?.int64 else {
            throw ClobError(kind: .invalidResponse, status: response.status, endpoint: endpoint, message: "time is not an integer: \(text.prefix(100))")
        }
        // The venue truncates to whole seconds: its clock is in [s, s+1), so take the middle.
        let skew = seconds * 1000 + 500 - (before + after) / 2
        state.withLock { $0.skewMs = skew }
        logger.debug("CLOB clock skew measured", metadata: ["clob.skew_ms": "\(skew)"])
        return seconds
    }

    /// `GET /book?token_id=`.
    public func book(tokenID: String) async throws(ClobError) -> RESTBook {
        let endpoint = "GET /book"
        let response = try await transport.clob(.GET, path: "/book", query: [("token_id", tokenID)])
        try check(response, endpoint: endpoint)
        guard let json = response.json, let book = ClobParse.book(json) else { throw invalid(response, endpoint, "book is not an object") }
        return book
    }

    /// `GET /tick-size?token_id=`.
    public func tickSize(tokenID: String) async throws(ClobError) -> TickSize {
        let endpoint = "GET /tick-size"
        let response = try await transport.clob(.GET, path: "/tick-size", query: [("token_id", tokenID)])
        try check(response, endpoint: endpoint)
        guard let value = response.json?["minimum_tick_size"]?.decimal, let tick = try? TickSize(value: value) else {
            throw invalid(response, endpoint, "minimum_tick_size missing or not an allowed tick")
        }
        return tick
    }

    /// `GET /neg-risk?token_id=`.
    public func negRisk(tokenID: String) async throws(ClobError) -> Bool {
        let endpoint = "GET /neg-risk"
        let response = try await transport.clob(.GET, path: "/neg-risk", query: [("token_id", tokenID)])
        try check(response, endpoint: endpoint)
        guard let flag = response.json?["neg_risk"]?.bool else { throw invalid(response, endpoint, "neg_risk missing") }
        return flag
    }

    // MARK: - L1: API keys

    /// Creates an API key (`POST /auth/api-key`), or derives the existing one (`GET /auth/derive-api-key`)
    /// when creation is refused. The result is installed for L2 calls.
    public func createOrDeriveApiKey(nonce: UInt64 = 0) async throws(ClobError) -> ApiCredentials {
        let credentials: ApiCredentials
        do {
            credentials = try await apiKey(.POST, path: "/auth/api-key", nonce: nonce)
        } catch let error where error.kind == .rejected || error.kind == .invalidResponse {
            logger.info("CLOB API key creation refused; deriving", metadata: ["error": "\(error)"])
            credentials = try await apiKey(.GET, path: "/auth/derive-api-key", nonce: nonce)
        }
        use(credentials: credentials)
        return credentials
    }

    private func apiKey(_ method: HTTPMethod, path: String, nonce: UInt64) async throws(ClobError) -> ApiCredentials {
        let endpoint = "\(method.rawValue) \(path)"
        guard let signer else {
            throw ClobError(kind: .unauthorized, endpoint: endpoint, message: "no wallet key configured for L1 authentication")
        }
        var response: RESTTransport.Response!
        for attempt in 0..<2 {
            let headers: [(name: String, value: String)]
            do {
                headers = try L1Auth.headers(privateKey: signer, timestamp: serverAlignedSeconds(), nonce: nonce, chainID: chainID)
            } catch {
                throw ClobError(kind: .unauthorized, endpoint: endpoint, message: "L1 signing failed: \(error)")
            }
            response = try await transport.clob(method, path: path, headers: headers)
            if attempt == 0, Self.isTimestampRefusal(response) { try await serverTime(); continue }
            break
        }
        try check(response, endpoint: endpoint)
        guard let json = response.json, let key = json["apiKey"]?.nonEmptyString, let secret = json["secret"]?.nonEmptyString,
              let passphrase = json["passphrase"]?.nonEmptyString else {
            throw invalid(response, endpoint, "response has no apiKey/secret/passphrase")
        }
        return ApiCredentials(apiKey: key, secret: secret, passphrase: passphrase)
    }

    // MARK: - L2: orders

    /// `POST /order`. Returns only for an accepted order; otherwise throws:
    /// `.rejected` (venue refused, e.g. FOK not filled — `venueMessage` has the reason, `orderStatus`
    /// the response's status, `unmatched` for a kill), `.retryable` (429, or a transport failure
    /// before the request left this process), `.cancelOnly`, `.unauthorized`, or `.outcomeUnknown`
    /// (sent, and the answer does not prove the order was not placed: no readable answer, or a 5xx —
    /// the venue may have placed it before failing; reconcile, never resubmit).
    public func postOrder(_ order: SignedOrder, type: ClobOrderType, postOnly: Bool = false, deferExec: Bool = false)
        async throws(ClobError) -> PostOrderResult
    {
        let endpoint = "POST /order"
        guard let owner = credentials?.apiKey else {
            throw ClobError(kind: .unauthorized, endpoint: endpoint, message: "no API credentials: call createOrDeriveApiKey() first")
        }
        let body = order.body(owner: owner, orderType: type, postOnly: postOnly, deferExec: deferExec)
        let response = try await authenticated(.POST, path: "/order", body: body, unknownIfSent: true)
        if response.status >= 500 {
            // Only an explicit cancel-only answer proves the order was refused before processing; any
            // other 5xx may come after the order was placed (a gateway failing on the way back).
            do {
                try check(response, endpoint: endpoint)
            } catch where error.kind != .cancelOnly {
                throw ClobError(kind: .outcomeUnknown, status: response.status, venueMessage: error.venueMessage, endpoint: endpoint,
                                message: "HTTP \(response.status) after the order was sent: it may have been placed; reconcile through open orders and trades")
            }
        }
        let json = response.json
        let venueMessage = json.flatMap { $0["errorMsg"]?.nonEmptyString ?? $0["error"]?.nonEmptyString }
        if (200..<300).contains(response.status) || (400..<500).contains(response.status) && ![401, 429].contains(response.status) {
            guard let json, json.object != nil else {
                if (200..<300).contains(response.status) {
                    throw ClobError(kind: .outcomeUnknown, status: response.status, endpoint: endpoint,
                                    message: "unreadable order response; reconcile through open orders and trades")
                }
                throw ClobError(kind: .rejected, status: response.status, venueMessage: RESTTransport.venueMessage(response),
                                endpoint: endpoint, message: "order refused")
            }
            let statusText = json["status"]?.string?.lowercased() ?? ""
            if let venueMessage {
                throw ClobError(kind: .rejected, status: response.status, venueMessage: venueMessage, endpoint: endpoint, message: "order rejected",
                                orderStatus: statusText.isEmpty ? nil : statusText)
            }
            if (200..<300).contains(response.status), json["success"]?.bool == nil {
                // A 2xx that does not say whether it succeeded may well have placed the order.
                throw ClobError(kind: .outcomeUnknown, status: response.status, endpoint: endpoint,
                                message: "order response has no success flag; reconcile through open orders and trades")
            }
            guard (200..<300).contains(response.status), json["success"]?.bool == true,
                  let status = OrderPlacementStatus(rawValue: statusText), let orderID = json["orderID"]?.nonEmptyString
            else {
                throw ClobError(kind: .rejected, status: response.status, venueMessage: statusText.isEmpty ? nil : statusText,
                                endpoint: endpoint, message: "order not accepted (success \(json["success"]?.bool.map(String.init) ?? "absent"), status '\(statusText)')",
                                orderStatus: statusText.isEmpty ? nil : statusText)
            }
            state.withLock { $0.consecutiveRateLimits = 0 }
            return PostOrderResult(
                orderID: orderID, status: status, makingAmount: json["makingAmount"]?.decimal, takingAmount: json["takingAmount"]?.decimal,
                tradeIDs: json["tradeIDs"]?.array?.compactMap(\.string) ?? [],
                transactionHashes: json["transactionsHashes"]?.array?.compactMap(\.string) ?? []
            )
        }
        try check(response, endpoint: endpoint)
        throw invalid(response, endpoint, "unexpected HTTP status")
    }

    /// `DELETE /order` for one order.
    public func cancel(orderID: String) async throws(ClobError) -> CancelResult {
        try await cancelRequest(path: "/order", body: Array("{\"orderID\":\(ClobParse.quoted(orderID))}".utf8))
    }

    /// `DELETE /orders` for several orders.
    public func cancel(orderIDs: [String]) async throws(ClobError) -> CancelResult {
        try await cancelRequest(path: "/orders", body: Array("[\(orderIDs.map(ClobParse.quoted).joined(separator: ","))]".utf8))
    }

    /// `DELETE /cancel-all`: every open order of this key.
    public func cancelAll() async throws(ClobError) -> CancelResult {
        try await cancelRequest(path: "/cancel-all", body: nil)
    }

    private func cancelRequest(path: String, body: [UInt8]?) async throws(ClobError) -> CancelResult {
        let endpoint = "DELETE \(path)"
        let response = try await authenticated(.DELETE, path: path, body: body)
        try check(response, endpoint: endpoint)
        guard let json = response.json, let result = ClobParse.cancel(json) else { throw invalid(response, endpoint, "cancel response is not an object") }
        return result
    }

    /// `GET /data/orders`, all pages (`next_cursor` from `MA==` until `LTE=`).
    public func openOrders(market: String? = nil, assetID: String? = nil) async throws(ClobError) -> [OpenOrder] {
        var query: [(String, String)] = []
        if let market { query.append(("market", market)) }
        if let assetID { query.append(("asset_id", assetID)) }
        return try await paged(path: "/data/orders", query: query).compactMap(ClobParse.openOrder)
    }

    /// `GET /data/trades`, all pages; `after` is unix seconds.
    public func trades(market: String? = nil, assetID: String? = nil, after: Int64? = nil) async throws(ClobError) -> [ClobTrade] {
        var query: [(String, String)] = []
        if let market { query.append(("market", market)) }
        if let assetID { query.append(("asset_id", assetID)) }
        if let after { query.append(("after", String(after))) }
        return try await paged(path: "/data/trades", query: query).compactMap(ClobParse.trade)
    }

    /// `GET /balance-allowance`: balance (and allowance) in units.
    public func balanceAllowance(assetType: BalanceAssetType = .collateral, tokenID: String? = nil) async throws(ClobError) -> BalanceAllowance {
        let endpoint = "GET /balance-allowance"
        var query = [("asset_type", assetType.rawValue)]
        if let tokenID { query.append(("token_id", tokenID)) }
        query.append(("signature_type", String(signatureType.rawValue)))
        let response = try await authenticated(.GET, path: "/balance-allowance", query: query, body: nil)
        try check(response, endpoint: endpoint)
        guard let json = response.json, let balance = ClobParse.units(json["balance"]) else {
            throw invalid(response, endpoint, "balance missing or not a 6-decimal integer string")
        }
        var allowances: [String: Decimal] = [:]
        for (spender, value) in json["allowances"]?.object ?? [:] { allowances[spender] = ClobParse.units(value) }
        return BalanceAllowance(balance: balance, allowance: ClobParse.units(json["allowance"]), allowances: allowances)
    }

    /// `POST /v1/heartbeats`: pass `nil` to start a chain, then the id returned by the previous beat.
    /// Once started, the venue cancels all orders if no beat arrives within 10 s.
    public func heartbeat(id: String?) async throws(ClobError) -> String {
        let endpoint = "POST /v1/heartbeats"
        let body = Array("{\"heartbeat_id\":\(id.map(ClobParse.quoted) ?? "null")}".utf8)
        let response = try await authenticated(.POST, path: "/v1/heartbeats", body: body)
        try check(response, endpoint: endpoint)
        guard let next = response.json?["heartbeat_id"]?.nonEmptyString else { throw invalid(response, endpoint, "heartbeat_id missing") }
        return next
    }

    // MARK: - Plumbing

    /// Sends an L2-signed request; re-measures the clock once when the venue refuses the timestamp.
    private func authenticated(
        _ method: HTTPMethod, path: String, query: [(String, String)] = [], body: [UInt8]?, unknownIfSent: Bool = false
    ) async throws(ClobError) -> RESTTransport.Response {
        let endpoint = "\(method.rawValue) \(path)"
        guard let credentials, let address = signer?.address else {
            throw ClobError(kind: .unauthorized, endpoint: endpoint, message: "no API credentials or wallet key configured")
        }
        var attempt = 0
        while true {
            let headers: [(name: String, value: String)]
            do {
                headers = try L2Auth.headers(credentials: credentials, address: address, timestamp: serverAlignedSeconds(),
                                             method: method.rawValue, path: path, body: body)
            } catch {
                throw ClobError(kind: .unauthorized, endpoint: endpoint, message: "L2 signing failed (API secret unusable): \(error)")
            }
            let response = try await transport.clob(method, path: path, query: query, headers: headers, body: body, unknownIfSent: unknownIfSent)
            if attempt == 0, Self.isTimestampRefusal(response) {
                logger.warning("CLOB refused the request timestamp; re-measuring clock skew", metadata: ["http.endpoint": "\(endpoint)"])
                attempt += 1
                try await serverTime()
                continue
            }
            return response
        }
    }

    private func paged(path: String, query: [(String, String)]) async throws(ClobError) -> [JSONValue] {
        let endpoint = "GET \(path)"
        var items: [JSONValue] = []
        var cursor = "MA=="
        var seen: Set<String> = []
        while cursor != "LTE=", seen.insert(cursor).inserted {
            let response = try await authenticated(.GET, path: path, query: query + [("next_cursor", cursor)], body: nil)
            try check(response, endpoint: endpoint)
            guard let json = response.json else { throw invalid(response, endpoint, "page is not JSON") }
            if let page = json.array { return items + page }  // unpaginated form
            guard let page = json["data"]?.array else { throw invalid(response, endpoint, "page has no data array") }
            items += page
            guard let next = json["next_cursor"]?.nonEmptyString else { break }
            cursor = next
        }
        return items
    }

    static func isTimestampRefusal(_ response: RESTTransport.Response) -> Bool {
        response.status == 401 && (RESTTransport.venueMessage(response)?.lowercased().contains("timestamp") ?? false)
    }

    /// Throws the classified error for a non-2xx response.
    private func check(_ response: RESTTransport.Response, endpoint: String) throws(ClobError) {
        let status = response.status
        if (200..<300).contains(status) {
            return
        }
        let message = RESTTransport.venueMessage(response)
        switch status {
        case 401:
            throw ClobError(kind: .unauthorized, status: status, venueMessage: message, endpoint: endpoint,
                            message: "API key revoked or invalid: recreate it with createOrDeriveApiKey() (L1: POST /auth/api-key or GET /auth/derive-api-key)")
        case 429:
            let after = RESTTransport.retryAfter(response.headers) ?? state.withLock { state in
                state.consecutiveRateLimits += 1
                return .milliseconds(min(500 << min(state.consecutiveRateLimits - 1, 6), 30_000))
            }
            throw ClobError(kind: .retryable(after: after), status: status, venueMessage: message, endpoint: endpoint, message: "rate limited")
        case 503 where message.map { $0.lowercased().contains("cancel-only") || $0.lowercased().contains("cancel only") } ?? false:
            throw ClobError(kind: .cancelOnly, status: status, venueMessage: message, endpoint: endpoint, message: "venue is in cancel-only mode")
        case 500...:
            throw ClobError(kind: .retryable(after: RESTTransport.retryAfter(response.headers)), status: status, venueMessage: message,
                            endpoint: endpoint, message: "venue unavailable")
        default:
            throw ClobError(kind: .rejected, status: status, venueMessage: message, endpoint: endpoint, message: "request refused")
        }
    }

    private func invalid(_ response: RESTTransport.Response, _ endpoint: String, _ message: String) -> ClobError {
        ClobError(kind: .invalidResponse, status: response.status, venueMessage: RESTTransport.venueMessage(response), endpoint: endpoint, message: message)
    }
}
