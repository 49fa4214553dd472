import AsyncHTTPClient
import Foundation
import HostCore
import Logging
import NIOHTTP1
import Synchronization
import VenueKit

/// The Binance spot market-data REST client: depth snapshots, exchange info (→ instruments),
/// 24 h tickers (→ the most traded symbols) and klines (→ history warm-up), paced by the IP's
/// request-weight budget.
///
/// Every request is admitted by a ``RequestWeightBudget`` first (FIFO, sleeping while the budget
/// is spent) and every answer's `X-MBX-USED-WEIGHT-1M` is fed back into it. A 429 blocks all
/// requests until its `Retry-After` and the request is retried; 5xx answers and transport
/// failures are retried with jittered exponential backoff; a 418 (IP ban) stops the client:
/// nothing more is sent and every call throws ``BinanceRESTError/Code/ipBanned`` naming the end
/// of the ban, until ``resumeAfterBan()``.
///
/// ## Configuration keys:
/// - `base_url` (string, optional, default `https://api.binance.com`): REST base, no trailing slash.
/// - `weight_limit` (int, optional, default 6000): request weight per window.
/// - `weight_window` (duration, optional, default 60 s).
/// - `weight_safety_margin` (int, optional, default 10 % of the limit).
/// - `max_attempts` (int, optional, default 4, range 1…): tries per request for 429/5xx/transport failures.
///
/// - Important: Thread-safe; share one instance per IP so the budget sees every request.
public final class BinanceREST: Sendable {
    /// How the client talks to Binance.
    public struct Configuration: Sendable {
        /// REST base URL, e.g. `https://api.binance.com` or a fake's `http://127.0.0.1:P`.
        public var baseURL: String
        /// Per-request deadline.
        public var timeout: Duration
        /// The request-weight budget.
        public var budget: RequestWeightBudget.Configuration
        /// Tries per request (429, 5xx and transport failures are retried).
        public var maxAttempts: Int
        /// Delay between tries after a 5xx or a transport failure.
        public var backoff: BackoffPolicy

        public init(baseURL: String = "https://api.binance.com", timeout: Duration = .seconds(10),
                    budget: RequestWeightBudget.Configuration = .init(), maxAttempts: Int = 4,
                    backoff: BackoffPolicy = BackoffPolicy(base: .milliseconds(500), max: .seconds(8))) {
            self.baseURL = baseURL
            self.timeout = timeout
            self.budget = budget
            self.maxAttempts = max(maxAttempts, 1)
            self.backoff = backoff
        }
    }

    /// The weight picture, for logs and `/metrics`.
    public struct WeightStatus: Sendable, Hashable {
        /// Binance's last `X-MBX-USED-WEIGHT-1M`.
        public var lastReported: Int?
        /// This client's estimate of the weight used in the current window.
        public var estimatedUsed: Int
        /// The configured limit (after adopting exchange info's, when lower).
        public var limit: Int
        /// Requests waiting for weight.
        public var queued: Int
    }

    private struct BanState {
        var untilMs: Int64
        var retryAfter: Duration?
        var request: String
    }

    public let configuration: Configuration
    private let transport: RESTTransport
    private let pacer: RequestPacer
    private let counters: VenueCounters?
    private let logger: Logger
    private let ban = Mutex<BanState?>(nil)
    private let malformedCount = Atomic<Int64>(0)

    /// - Parameters:
    ///   - counters: the venue's counters (`requests`, `requestFailures`, `malformed`), when shared.
    ///   - nowMs: wall clock in unix ms (the budget aligns windows to it, as Binance does).
    public init(configuration: Configuration = .init(), httpClient: HTTPClient = .shared, counters: VenueCounters? = nil,
                logger: Logger, nowMs: @escaping @Sendable () -> Int64 = BinanceREST.wallClockMs) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "venue"] = "\(Binance.venue)"
        self.logger = logger
        self.transport = RESTTransport(client: httpClient, baseURL: configuration.baseURL, timeout: configuration.timeout, logger: logger)
        self.pacer = RequestPacer(configuration: configuration.budget, nowMs: nowMs)
        self.counters = counters
    }

    /// Unix ms from the system clock.
    public static let wallClockMs: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    // MARK: - Status

    /// Used and estimated request weight.
    public var weight: WeightStatus {
        let now = pacer.nowMs()
        let (reported, estimated, limit) = pacer.withBudget { budget in
            (budget.lastReportedUsed, budget.estimatedUsed(nowMs: now), budget.configuration.limit)
        }
        return WeightStatus(lastReported: reported, estimatedUsed: estimated, limit: limit, queued: pacer.queued)
    }

    /// Bodies that did not parse since start.
    public var malformedBodies: Int64 { malformedCount.load(ordering: .relaxed) }

    /// When the IP ban ends (unix ms), while this client is stopped by a 418.
    public var bannedUntilMs: Int64? { ban.withLock { $0?.untilMs } }

    /// Lets requests go out again after a 418, once the ban has ended; returns whether it did.
    @discardableResult
    public func resumeAfterBan() -> Bool {
        let now = pacer.nowMs()
        let lifted = ban.withLock { state -> Bool in
            guard let until = state?.untilMs, now >= until else { return state == nil }
            state = nil
            return true
        }
        if lifted { pacer.withBudget { $0.liftBan() } }
        return lifted
    }

    // MARK: - Endpoints

    /// `GET /api/v3/depth?symbol=&limit=`: the book snapshot for the local-book procedure.
    /// With `.automatic`, 5000 levels (weight 250) when the budget has room, else 1000 (weight 50).
    public func depth(symbol: String, limit: DepthLimit = .automatic) async throws(BinanceRESTError) -> BinanceDepthSnapshot {
        let need: RequestWeightBudget.Need
        switch limit {
        case .automatic: need = .preferring(heavy: BinanceWeights.depth(limit: 5000), light: BinanceWeights.depth(limit: 1000))
        case .levels(let n): need = .weight(BinanceWeights.depth(limit: n))
        }
        let response = try await get("/api/v3/depth", symbol: symbol, need: need) { weight in
            let levels: Int
            switch limit {
            case .automatic: levels = weight >= BinanceWeights.depth(limit: 5000) ? 5000 : 1000
            case .levels(let n): levels = n
            }
            return [("symbol", symbol), ("limit", "\(levels)")]
        }
        return try parse(response, "GET /api/v3/depth", symbol: symbol) { (body: [UInt8]) throws(StreamParseError) in try BinanceDepthSnapshot.parse(body) }
    }

    /// `GET /api/v3/exchangeInfo` (all symbols, or only `symbols`) → instruments of the TRADING
    /// symbols; the others come back in `skipped` (and are logged). A published REQUEST_WEIGHT
    /// limit lower than the configured one is adopted.
    public func exchangeInfo(symbols: [String]? = nil) async throws(BinanceRESTError) -> BinanceExchangeInfo {
        let query: [(String, String)] = symbols.map { [("symbols", JSONText.array($0))] } ?? []
        let response = try await get("/api/v3/exchangeInfo", symbol: symbols?.count == 1 ? symbols?.first : nil,
                                     need: .weight(BinanceWeights.exchangeInfo)) { _ in query }
        let info = try parse(response, "GET /api/v3/exchangeInfo", symbol: nil, BinanceRESTParser.exchangeInfo)
        if let published = info.requestWeightLimit {
            pacer.withBudget { $0.adopt(limit: published.limit, windowMs: published.windowMs) }
        }
        for skipped in info.skipped {
            logger.info("Binance symbol skipped", metadata: [
                "instrument.symbol": "\(skipped.symbol)", "binance.status": "\(skipped.status)", "reason": "\(skipped.reason)",
            ])
        }
        return info
    }

    /// `GET /api/v3/ticker/24hr` (MINI): all symbols (weight 80), or `symbols` (2/40/80 by count).
    public func tickers24h(symbols: [String]? = nil) async throws(BinanceRESTError) -> [BinanceTicker24h] {
        var query: [(String, String)] = [("type", "MINI")]
        if let symbols { query.append(("symbols", JSONText.array(symbols))) }
        let response = try await get("/api/v3/ticker/24hr", symbol: nil, need: .weight(BinanceWeights.ticker24h(symbolCount: symbols?.count))) { _ in
            query
        }
        return try parse(response, "GET /api/v3/ticker/24hr", symbol: nil, BinanceRESTParser.tickers24h)
    }

    /// The `count` most traded symbols by 24 h quote volume (ties by name), optionally only
    /// those quoted in `quoteAsset` and only among `instruments` (pass exchange info's, so
    /// halted and delisted symbols are never chosen).
    public func topSymbols(count: Int, quoteAsset: String? = nil, among instruments: [Instrument]? = nil) async throws(BinanceRESTError) -> [BinanceTicker24h] {
        BinanceTicker24h.top(try await tickers24h(), count: count, quoteAsset: quoteAsset, instruments: instruments)
    }

    /// One `GET /api/v3/klines` page (weight 2), oldest first; at most `limit` (≤ 1000) rows.
    /// The newest row may be the candle still open (see ``BinanceRESTKline/isClosed(atMs:)``).
    public func klines(symbol: String, interval: BinanceKlineInterval, startTime: Int64? = nil, endTime: Int64? = nil,
                       limit: Int = 1000) async throws(BinanceRESTError) -> [BinanceRESTKline] {
        var query: [(String, String)] = [("symbol", symbol), ("interval", interval.rawValue), ("limit", "\(min(max(limit, 1), 1000))")]
        if let startTime { query.append(("startTime", "\(startTime)")) }
        if let endTime { query.append(("endTime", "\(endTime)")) }
        let response = try await get("/api/v3/klines", symbol: symbol, need: .weight(BinanceWeights.klines)) { _ in query }
        return try parse(response, "GET /api/v3/klines", symbol: symbol, BinanceRESTParser.klines)
    }

    /// The newest `count` klines up to `endTime` (default: now), paging backwards 1000 at a
    /// time; oldest first. Fewer come back when the symbol's history is shorter.
    public func recentKlines(symbol: String, interval: BinanceKlineInterval, count: Int, endTime: Int64? = nil) async throws(BinanceRESTError) -> [BinanceRESTKline] {
        var pages: [[BinanceRESTKline]] = []
        var remaining = count
        var end = endTime
        while remaining > 0 {
            let limit = min(remaining, 1000)
            let page = try await klines(symbol: symbol, interval: interval, endTime: end, limit: limit)
            guard let oldest = page.first else { break }
            pages.append(page)
            remaining -= page.count
            if page.count < limit { break }
            end = oldest.openTime - 1
        }
        let rows = pages.reversed().flatMap { $0 }
        return Array(rows.suffix(count))
    }

    /// Every kline with an open time in `startTime...endTime`, paging forwards 1000 at a time; oldest first.
    public func klines(symbol: String, interval: BinanceKlineInterval, from startTime: Int64, through endTime: Int64) async throws(BinanceRESTError) -> [BinanceRESTKline] {
        var rows: [BinanceRESTKline] = []
        var start = startTime
        while start <= endTime {
            let page = try await klines(symbol: symbol, interval: interval, startTime: start, endTime: endTime, limit: 1000)
            rows.append(contentsOf: page.filter { $0.openTime >= start && $0.openTime <= endTime })
            guard let last = page.last, page.count == 1000 else { break }
            start = last.openTime + 1
        }
        return rows
    }

    /// `GET /api/v3/time` → the server's unix ms.
    public func serverTime() async throws(BinanceRESTError) -> Int64 {
        let response = try await get("/api/v3/time", symbol: nil, need: .weight(BinanceWeights.time)) { _ in [] }
        return try parse(response, "GET /api/v3/time", symbol: nil, BinanceRESTParser.serverTime)
    }

    /// `GET /api/v3/ping`: succeeds when Binance answers.
    public func ping() async throws(BinanceRESTError) {
        _ = try await get("/api/v3/ping", symbol: nil, need: .weight(BinanceWeights.ping)) { _ in [] }
    }

    // MARK: - Request loop

    /// Admits, sends and classifies one GET, retrying 429 / 5xx / transport failures.
    private func get(_ path: String, symbol: String?, need: RequestWeightBudget.Need,
                     query: (_ weight: Int) -> [(String, String)]) async throws(BinanceRESTError) -> RESTTransport.Response {
        let endpoint = "GET \(path)"
        var attempt = 0
        while true {
            attempt += 1
            let weight: Int
            switch await pacer.admit(need) {
            case .proceed(let booked): weight = booked
            case .cancelled:
                throw BinanceRESTError(code: .cancelled, endpoint: endpoint, symbol: symbol, message: "The request was cancelled before it was sent.", remedy: "")
            case .banned(let until):
                throw bannedError(endpoint: endpoint, symbol: symbol, untilMs: until, sent: false)
            }
            if let counters { VenueCounters.add(counters.requests) }
            let response: RESTTransport.Response
            do {
                response = try await transport.execute(.GET, path: path, query: query(weight))
            } catch {
                if let counters { VenueCounters.add(counters.requestFailures) }
                if Task.isCancelled {
                    throw BinanceRESTError(code: .cancelled, endpoint: endpoint, symbol: symbol, message: "Cancelled while waiting for the answer.", remedy: "")
                }
                let failure = BinanceRESTError(code: .transport, endpoint: endpoint, symbol: symbol,
                                               message: "No readable answer after \(attempt) attempt(s): \(error.message).",
                                               remedy: "Check the network path to \(configuration.baseURL); the request is retried later.")
                try await retryOrThrow(failure, attempt: attempt)
                continue
            }
            observeWeight(response)
            if (200..<300).contains(response.status) { return response }
            if let counters { VenueCounters.add(counters.requestFailures) }
            let error = classify(response, endpoint: endpoint, symbol: symbol, attempt: attempt)
            switch error.code {
            case .rateLimited:
                let retryMs = error.retryAfter.map(Self.milliseconds)
                pacer.withBudget { $0.rateLimited(retryAfterMs: retryMs, nowMs: pacer.nowMs()) }
                logger.warning("Binance rate limit hit, all requests wait", metadata: [
                    "http.endpoint": "\(endpoint)", "http.status": "\(response.status)",
                    "binance.retry_after_ms": "\(retryMs.map(String.init) ?? "none")", "binance.used_weight": "\(weight)",
                ])
                guard attempt < configuration.maxAttempts else { throw error }
            case .ipBanned:
                let now = pacer.nowMs()
                let retryMs = error.retryAfter.map(Self.milliseconds)
                pacer.withBudget { $0.banned(retryAfterMs: retryMs, nowMs: now) }
                let until = pacer.withBudget { $0.bannedUntilMs } ?? now
                ban.withLock { $0 = BanState(untilMs: until, retryAfter: error.retryAfter, request: endpoint + (symbol.map { " symbol=\($0)" } ?? "")) }
                var banned = bannedError(endpoint: endpoint, symbol: symbol, untilMs: until, sent: true)
                banned.binanceCode = error.binanceCode
                banned.binanceMessage = error.binanceMessage
                logger.critical("Binance banned this IP; the venue stops sending requests", metadata: [
                    "http.endpoint": "\(endpoint)", "binance.ban_until_ms": "\(until)", "error": "\(banned)",
                ])
                throw banned
            case .serverError:
                try await retryOrThrow(error, attempt: attempt)
            default:
                logger.warning("Binance refused a request", metadata: [
                    "http.endpoint": "\(endpoint)", "http.status": "\(response.status)", "error": "\(error)",
                ])
                throw error
            }
        }
    }

    /// Sleeps the backoff delay before another try, or throws `error` when attempts ran out.
    private func retryOrThrow(_ failure: BinanceRESTError, attempt: Int) async throws(BinanceRESTError) {
        guard attempt < configuration.maxAttempts else {
            logger.error("Binance request failed", metadata: ["error": "\(failure)", "http.attempts": "\(attempt)"])
            throw failure
        }
        let delay = configuration.backoff.delay(attempt: attempt - 1)
        logger.warning("Binance request failed, retrying", metadata: [
            "http.endpoint": "\(failure.endpoint)", "error.code": "\(failure.code)", "http.attempt": "\(attempt)",
            "http.delay_ms": "\(Self.milliseconds(delay))",
        ])
        do { try await Task.sleep(for: delay) } catch {
            throw BinanceRESTError(code: .cancelled, endpoint: failure.endpoint, symbol: failure.symbol, message: "Cancelled while waiting to retry.", remedy: "")
        }
    }

    private func observeWeight(_ response: RESTTransport.Response) {
        guard let text = response.headers.first(name: "X-MBX-USED-WEIGHT-1M"), let used = Int(text.trimmingCharacters(in: .whitespaces)) else { return }
        let now = pacer.nowMs()
        pacer.withBudget { $0.observe(usedWeight: used, nowMs: now) }
    }

    /// Turns a non-2xx answer into a typed error with the remedy.
    private func classify(_ response: RESTTransport.Response, endpoint: String, symbol: String?, attempt: Int) -> BinanceRESTError {
        let body = BinanceRESTParser.errorBody(response.body)
        let retryAfter = RESTTransport.retryAfter(response.headers)
        let status = response.status
        func error(_ code: BinanceRESTError.Code, _ message: String, _ remedy: String) -> BinanceRESTError {
            BinanceRESTError(code: code, endpoint: endpoint, symbol: symbol, status: status, binanceCode: body?.code,
                             binanceMessage: body?.message ?? (body == nil ? RESTTransport.venueMessage(response) : nil),
                             retryAfter: retryAfter, message: message, remedy: remedy)
        }
        switch status {
        case 429:
            return error(.rateLimited, "The request-weight limit was exceeded (attempt \(attempt)).",
                         "Requests wait for Retry-After; lower the number of symbols or resyncs if this recurs, or Binance bans the IP (418).")
        case 418:
            return error(.ipBanned, "The IP is banned.", "")
        case 403:
            return error(.forbidden, "A Binance web-application-firewall rule refused the request.",
                         "Do not retry at once; check the request and the IP's reputation, and try again later.")
        case 500...:
            return error(.serverError, "Binance failed to answer (attempt \(attempt)); the request is a read, so it is retried.",
                         "Nothing to do unless it persists; then check Binance's status page.")
        default:
            if body?.code == -1121 {
                return error(.invalidSymbol, "Binance does not know symbol \(symbol ?? "(none)") (delisted, halted long ago, or misspelled).",
                             "Remove it from the configuration or check its spelling (Binance symbols are upper case, e.g. BTCUSDT) against exchangeInfo.")
            }
            return error(.rejected, "Binance refused the request.", "Check the request parameters against the Binance spot API documentation.")
        }
    }

    private func bannedError(endpoint: String, symbol: String?, untilMs: Int64, sent: Bool) -> BinanceRESTError {
        let state = ban.withLock { $0 }
        let seconds = max((untilMs - pacer.nowMs() + 999) / 1000, 0)
        let origin = state?.request ?? endpoint
        let message = sent
            ? "Binance banned this IP address (HTTP 418) for sending requests after rate-limit (429) warnings. The Binance venue stops: no further requests are sent."
            : "Not sent: Binance banned this IP address (HTTP 418 answering \(origin)); the Binance venue sends no requests until the ban is over and it is resumed."
        let remedy = "Wait until the ban ends at \(Self.iso8601(untilMs)) (Retry-After \(state?.retryAfter.map { "\(Self.milliseconds($0) / 1000) s" } ?? "unknown"), \(seconds) s from now), then restart the Binance venue. Bans grow from 2 minutes to 3 days when requests continue: reduce the number of symbols, resyncs or history requests, and make sure no other process on this IP uses the Binance API."
        return BinanceRESTError(code: .ipBanned, endpoint: endpoint, symbol: symbol, status: sent ? 418 : nil,
                                retryAfter: state?.retryAfter, message: message, remedy: remedy)
    }

    private func parse<T>(_ response: RESTTransport.Response, _ endpoint: String, symbol: String?,
                          _ parser: ([UInt8]) throws(StreamParseError) -> T) throws(BinanceRESTError) -> T {
        do {
            return try parser(response.body)
        } catch {
            malformedCount.add(1, ordering: .relaxed)
            if let counters { VenueCounters.add(counters.malformed) }
            let sample = String(decoding: response.body.prefix(200), as: UTF8.self)
            logger.warning("Binance body malformed", metadata: [
                "http.endpoint": "\(endpoint)", "error.code": "\(error.code)", "error.offset": "\(error.offset)",
                "error.expected": "\(error.expected)", "body.sample": "\(sample)", "body.bytes": "\(response.body.count)",
            ])
            throw BinanceRESTError(code: .malformedBody, endpoint: endpoint, symbol: symbol, status: response.status,
                                   message: "The body is not the documented shape: \(error) (\(response.body.count) bytes).",
                                   remedy: "Nothing is applied from it; if it persists, Binance changed the format: update the parser.")
        }
    }

    // MARK: - Helpers

    static func milliseconds(_ duration: Duration) -> Int64 {
        let c = duration.components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }

    static func iso8601(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
