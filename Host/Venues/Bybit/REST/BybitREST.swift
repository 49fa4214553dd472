import AsyncHTTPClient
import Foundation
import HostCore
import Logging
import NIOHTTP1
import VenueKit

/// Bybit v5 public market data over REST: instruments, klines, tickers, server time, order books.
///
/// Every request goes through one loop that knows Bybit's limits: HTTP 403 "access too frequent"
/// closes the shared ``BybitRESTGate`` (all requests wait, 10 minutes by default), HTTP 429 and
/// `retCode` 10006 wait until `X-Bapi-Limit-Reset-Timestamp` (or `Retry-After`), 5xx, `retCode`
/// 10000/10016 and transport failures retry with jittered backoff. Other failures are thrown at
/// once as ``BybitRESTError`` with a message saying what to do.
///
/// ## Configuration keys:
/// - `base_url` (string, optional, default `https://api.bybit.com`): REST base URL; testnet is
///   `https://api-testnet.bybit.com`, the fake venue prints its own.
/// - `timeout` (duration, optional, default 10 s): per-request deadline.
/// - ``RetryPolicy`` fields: attempts, backoff, the 403 pause and the longest rate-limit wait.
public final class BybitREST: Sendable {
    /// How the client retries and waits.
    public struct RetryPolicy: Sendable, Hashable {
        /// Attempts per call, the first included (≥ 1).
        public var maxAttempts: Int
        /// Delays between retries of 5xx and transport failures (and of rate limits without a reset time).
        public var backoff: BackoffPolicy
        /// How long every request pauses after HTTP 403 (Bybit: "at least 10 minutes").
        public var ipBanPause: Duration
        /// While paused after a 403, requests wait (true) or fail at once with `.ipRateLimited` (false).
        public var waitOutIPBan: Bool
        /// A rate-limit reset further away than this is thrown instead of waited for.
        public var maxRateLimitWait: Duration

        public init(maxAttempts: Int = 4, backoff: BackoffPolicy = BackoffPolicy(base: .milliseconds(500), max: .seconds(15)),
                    ipBanPause: Duration = .seconds(600), waitOutIPBan: Bool = true, maxRateLimitWait: Duration = .seconds(60)) {
            self.maxAttempts = max(1, maxAttempts)
            self.backoff = backoff
            self.ipBanPause = ipBanPause
            self.waitOutIPBan = waitOutIPBan
            self.maxRateLimitWait = maxRateLimitWait
        }
    }

    /// The production REST host.
    public static let mainnet = "https://api.bybit.com"
    /// The testnet REST host.
    public static let testnet = "https://api-testnet.bybit.com"
    /// Rows per kline request (the venue's maximum).
    public static let klinePageLimit = 1000

    public let retry: RetryPolicy
    /// The IP-wide 403 pause; share one between clients on the same IP.
    public let gate: BybitRESTGate
    /// Page size of linear `instruments-info` (1…1000).
    public let instrumentsPageSize: Int
    private let transport: RESTTransport
    private let counters: VenueCounters?
    private let logger: Logger

    /// - Parameters:
    ///   - baseURL: REST base URL without trailing slash.
    ///   - httpClient: Shared client by default; tests may inject their own.
    ///   - timeout: Per-request deadline.
    ///   - counters: Counts `requests` and `requestFailures` when given.
    public init(baseURL: String = BybitREST.mainnet, httpClient: HTTPClient = .shared, timeout: Duration = .seconds(10),
                retry: RetryPolicy = RetryPolicy(), gate: BybitRESTGate = BybitRESTGate(), instrumentsPageSize: Int = 1000,
                counters: VenueCounters? = nil, logger: Logger) {
        self.transport = RESTTransport(client: httpClient, baseURL: baseURL, timeout: timeout, logger: logger)
        self.retry = retry
        self.gate = gate
        self.instrumentsPageSize = min(1000, max(1, instrumentsPageSize))
        self.counters = counters
        self.logger = logger
    }

    /// The base URL requests go to.
    public var baseURL: String { transport.baseURL }

    // MARK: - Endpoints

    /// `GET /v5/market/instruments-info` of a category, every page (linear pages by `cursor`;
    /// spot has no pagination). Instruments not `Trading` and malformed items are returned
    /// apart and logged, never mixed into `instruments`.
    public func instruments(category: Bybit.Category) async throws(BybitRESTError) -> Instruments {
        let path = "/v5/market/instruments-info"
        let endpoint = "GET \(path)"
        var all = Instruments(category: category, instruments: [], notTrading: [], malformed: [])
        var cursor: String?
        var seen: Set<String> = []
        repeat {
            var query = [("category", category.rawValue)]
            if category == .linear { query.append(("limit", String(instrumentsPageSize))) }
            if let cursor { query.append(("cursor", cursor)) }
            let (result, _) = try await get(path, query: query)
            let (page, next) = try BybitRESTParser.instrumentsPage(result, category: category, endpoint: endpoint)
            all.instruments += page.instruments
            all.notTrading += page.notTrading
            all.malformed += page.malformed
            if let next, !seen.insert(next).inserted {
                throw BybitRESTParser.invalid(endpoint, "nextPageCursor \"\(next)\" repeats: the venue's pagination loops")
            }
            cursor = category == .linear ? next : nil
        } while cursor != nil
        if !all.notTrading.isEmpty {
            logger.info("Bybit instruments not trading skipped", metadata: [
                "bybit.category": "\(category.rawValue)", "bybit.skipped": "\(all.notTrading.count)",
                "bybit.sample": "\(all.notTrading.prefix(5).map(\.description))",
            ])
        }
        if !all.malformed.isEmpty {
            logger.warning("Bybit instruments malformed skipped", metadata: [
                "bybit.category": "\(category.rawValue)", "bybit.skipped": "\(all.malformed.count)",
                "bybit.sample": "\(all.malformed.prefix(5).map(\.description))",
            ])
        }
        return all
    }

    /// `GET /v5/market/kline` for every candle starting in `startMs...endMs`, oldest first.
    ///
    /// Requests windows of at most 1000 candles each, so every answer is complete whatever
    /// order the venue truncates in; rows arrive newest first and are returned oldest first.
    public func klines(category: Bybit.Category, symbol: String, interval: Interval, startMs: Int64,
                       endMs: Int64) async throws(BybitRESTError) -> [Kline] {
        guard startMs <= endMs else { return [] }
        let window = Int64(Self.klinePageLimit) * interval.shortestMs
        var out: [Kline] = []
        var from = startMs
        while from <= endMs {
            let to = min(endMs, from + window - 1)
            let page = try await klinePage(category: category, symbol: symbol, interval: interval, startMs: from, endMs: to)
            for row in page where row.startMs >= from && row.startMs <= to && row.startMs > (out.last?.startMs ?? .min) {
                out.append(row)
            }
            if to == endMs { break }
            from = to + 1
        }
        return out
    }

    /// The latest `count` candles up to `nowMs` (default: this machine's clock), oldest first;
    /// with `closedOnly`, a candle still open at `nowMs` is left out (then up to `count` closed ones).
    /// Fewer come back when the symbol is younger than the span.
    public func latestKlines(category: Bybit.Category, symbol: String, interval: Interval, count: Int, nowMs: Int64? = nil,
                             closedOnly: Bool = false) async throws(BybitRESTError) -> [Kline] {
        guard count > 0 else { return [] }
        let now = nowMs ?? Self.wallMs()
        let span = Int64(count + (closedOnly ? 1 : 0)) * interval.longestMs
        var rows = try await klines(category: category, symbol: symbol, interval: interval, startMs: max(0, now - span), endMs: now)
        if closedOnly, let last = rows.last, Self.isOpen(last, interval: interval, nowMs: now) { rows.removeLast() }
        return Array(rows.suffix(count))
    }

    /// `GET /v5/market/tickers` of a category (or one symbol).
    public func tickers(category: Bybit.Category, symbol: String? = nil) async throws(BybitRESTError) -> Tickers {
        let path = "/v5/market/tickers"
        var query = [("category", category.rawValue)]
        if let symbol { query.append(("symbol", symbol)) }
        let (result, _) = try await get(path, query: query)
        let tickers = try BybitRESTParser.tickers(result, category: category, endpoint: "GET \(path)")
        if !tickers.malformed.isEmpty {
            logger.warning("Bybit tickers malformed skipped", metadata: [
                "bybit.category": "\(category.rawValue)", "bybit.skipped": "\(tickers.malformed.count)",
                "bybit.sample": "\(tickers.malformed.prefix(5).map(\.description))",
            ])
        }
        return tickers
    }

    /// The `count` symbols of a category with the highest 24 h turnover (ties by symbol), from
    /// one `tickers` call; `quoteAsset` (e.g. `USDT`) keeps only symbols ending in it.
    public func topSymbolsByTurnover(category: Bybit.Category, count: Int, quoteAsset: String? = nil) async throws(BybitRESTError) -> [String] {
        let tickers = try await tickers(category: category)
        return tickers.topByTurnover(count) { ticker in
            guard let quoteAsset else { return true }
            return ticker.symbol.hasSuffix(quoteAsset) && ticker.symbol.count > quoteAsset.count
        }
    }

    /// `GET /v5/market/time`.
    public func serverTime() async throws(BybitRESTError) -> ServerTime {
        let path = "/v5/market/time"
        let (result, time) = try await get(path, query: [])
        return try BybitRESTParser.serverTime(result, envelopeMs: time, endpoint: "GET \(path)")
    }

    /// `GET /v5/market/orderbook` with `limit` levels per side (1…1000 on both spot and linear).
    public func orderBook(category: Bybit.Category, symbol: String, limit: Int) async throws(BybitRESTError) -> OrderBook {
        let path = "/v5/market/orderbook"
        let (result, _) = try await get(path, query: [("category", category.rawValue), ("symbol", symbol), ("limit", String(limit))])
        return try BybitRESTParser.orderBook(result, endpoint: "GET \(path)")
    }

    // MARK: - Requests

    private func klinePage(category: Bybit.Category, symbol: String, interval: Interval, startMs: Int64,
                           endMs: Int64) async throws(BybitRESTError) -> [Kline] {
        let path = "/v5/market/kline"
        let (result, _) = try await get(path, query: [
            ("category", category.rawValue), ("symbol", symbol), ("interval", interval.rawValue),
            ("start", String(startMs)), ("end", String(endMs)), ("limit", String(Self.klinePageLimit)),
        ])
        return try BybitRESTParser.klines(result, endpoint: "GET \(path)")
    }

    /// One call: waits at the gate, sends, retries what may be retried; returns `result` and the envelope's `time`.
    private func get(_ path: String, query: [(String, String)]) async throws(BybitRESTError) -> (result: JSONValue, timeMs: Int64?) {
        let endpoint = "GET \(path)"
        var attempt = 0
        while true {
            attempt += 1
            try await passGate(endpoint)
            do {
                return try await once(path, query: query, endpoint: endpoint)
            } catch {
                if let counters { VenueCounters.add(counters.requestFailures) }
                guard error.isRetryable, attempt < retry.maxAttempts else { throw error }
                if error.code == .ipRateLimited {
                    guard retry.waitOutIPBan else { throw error }
                    continue
                }
                let delay = error.retryAfter ?? retry.backoff.delay(attempt: attempt - 1)
                guard delay <= retry.maxRateLimitWait else { throw error }
                logger.warning("Bybit REST request failed; retrying", metadata: [
                    "http.endpoint": "\(endpoint)", "error.code": "\(error.code)", "retry.attempt": "\(attempt)",
                    "retry.delay_ms": "\(Self.milliseconds(delay))", "error": "\(error)",
                ])
                do { try await Task.sleep(for: delay) } catch {
                    throw BybitRESTError(code: .cancelled, endpoint: endpoint, message: "cancelled while backing off")
                }
            }
        }
    }

    private func passGate(_ endpoint: String) async throws(BybitRESTError) {
        guard let left = gate.remaining else { return }
        guard retry.waitOutIPBan else {
            throw BybitRESTError(code: .ipRateLimited, endpoint: endpoint, retryAfter: left,
                                 message: "REST requests are paused after Bybit's HTTP 403 (IP rate limit); \(Self.milliseconds(left) / 1000) s left")
        }
        logger.notice("Bybit REST request waiting out the IP rate-limit pause", metadata: [
            "http.endpoint": "\(endpoint)", "bybit.pause_left_ms": "\(Self.milliseconds(left))",
        ])
        do { try await gate.waitUntilOpen() } catch {
            throw BybitRESTError(code: .cancelled, endpoint: endpoint, message: "cancelled while waiting out the IP rate-limit pause")
        }
    }

    private func once(_ path: String, query: [(String, String)], endpoint: String) async throws(BybitRESTError) -> (result: JSONValue, timeMs: Int64?) {
        if let counters { VenueCounters.add(counters.requests) }
        let response: RESTTransport.Response
        do {
            response = try await transport.execute(.GET, path: path, query: query)
        } catch {
            throw BybitRESTError(code: .transport, endpoint: endpoint, message: "no answer: \(error.message)")
        }
        let status = response.status
        switch status {
        case 200..<300:
            break
        case 403:
            let pause = retry.ipBanPause
            gate.close(for: pause)
            logger.error("Bybit IP rate limit hit: HTTP 403 access too frequent; every REST request pauses", metadata: [
                "http.endpoint": "\(endpoint)", "bybit.pause_s": "\(Self.milliseconds(pause) / 1000)",
            ])
            throw BybitRESTError(code: .ipRateLimited, endpoint: endpoint, httpStatus: status, retMsg: Self.bodyText(response),
                                 retryAfter: pause,
                                 message: "this IP went over Bybit's 600 requests per 5 s; all REST requests pause \(Self.milliseconds(pause) / 1000) s as Bybit asks — lower the request rate (fewer symbols, longer intervals) and share one BybitRESTGate per IP")
        case 429:
            throw BybitRESTError(code: .rateLimited, endpoint: endpoint, httpStatus: status, retMsg: Self.bodyText(response),
                                 retryAfter: Self.resetDelay(response.headers),
                                 message: "rate limited (HTTP 429); waiting for the reset the venue named")
        case 500...:
            throw BybitRESTError(code: .serverError, endpoint: endpoint, httpStatus: status, retMsg: Self.bodyText(response),
                                 message: "server error; retried with backoff")
        default:
            if let json = JSONValue.parse(response.body), let envelope = try? BybitRESTParser.envelope(json, endpoint: endpoint),
               envelope.retCode != 0 {
                throw classify(envelope, response: response, query: query, endpoint: endpoint)
            }
            throw BybitRESTError(code: .httpError, endpoint: endpoint, httpStatus: status, retMsg: Self.bodyText(response),
                                 message: "unexpected HTTP status; check the base URL (\(transport.baseURL)) and the path")
        }
        let json = try BybitRESTParser.json(response.body, endpoint: endpoint, status: status)
        let envelope = try BybitRESTParser.envelope(json, endpoint: endpoint, status: status)
        guard envelope.retCode == 0 else { throw classify(envelope, response: response, query: query, endpoint: endpoint) }
        guard let result = envelope.result, result.object != nil else {
            throw BybitRESTParser.invalid(endpoint, "retCode 0 without a result object", status: status)
        }
        return (result, envelope.timeMs)
    }

    /// A non-zero `retCode` as an error that says what to do (codes from Bybit's error.mdx).
    private func classify(_ envelope: BybitRESTParser.Envelope, response: RESTTransport.Response, query: [(String, String)],
                          endpoint: String) -> BybitRESTError {
        let code = envelope.retCode
        let message = envelope.retMsg
        func error(_ kind: BybitRESTError.Code, _ text: String, retryAfter: Duration? = nil) -> BybitRESTError {
            BybitRESTError(code: kind, endpoint: endpoint, httpStatus: response.status, retCode: code, retMsg: message,
                           retryAfter: retryAfter, message: text)
        }
        let symbol = query.first { $0.0 == "symbol" }?.1
        let category = query.first { $0.0 == "category" }?.1 ?? "linear"
        switch code {
        case 10006:
            return error(.rateLimited, "too many requests (retCode 10006); waiting until X-Bapi-Limit-Reset-Timestamp",
                         retryAfter: Self.resetDelay(response.headers))
        case 10000, 10016:
            return error(.serverError, "the venue failed or timed out on its side; retried with backoff")
        case 10001 where symbol != nil && message.lowercased().contains("symbol"):
            return error(.unknownSymbol,
                         "Bybit does not list \(symbol!) in category \(category); check instruments-info for that category (spot and linear list different symbols; names are upper case)")
        case 10001:
            return error(.invalidRequest, "parameter error; check category, symbol, interval code and limit range")
        case 10002:
            return error(.venueError, "request time outside the receive window; sync this machine's clock")
        default:
            return error(.venueError, "the venue refused the request")
        }
    }

    /// Wait from `X-Bapi-Limit-Reset-Timestamp` (ms since the epoch), else `Retry-After`.
    static func resetDelay(_ headers: HTTPHeaders, nowMs: Int64 = wallMs()) -> Duration? {
        if let text = headers.first(name: "X-Bapi-Limit-Reset-Timestamp"), let reset = Int64(text.trimmingCharacters(in: .whitespaces)) {
            return .milliseconds(max(0, reset - nowMs))
        }
        return RESTTransport.retryAfter(headers)
    }

    private static func bodyText(_ response: RESTTransport.Response) -> String? {
        if let message = RESTTransport.venueMessage(response) { return message }
        if let json = response.json, let text = json["retMsg"]?.nonEmptyString { return text }
        return nil
    }

    private static func isOpen(_ kline: Kline, interval: Interval, nowMs: Int64) -> Bool {
        guard let length = interval.milliseconds else {
            // A month: open while now is in the same UTC calendar month.
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let start = Date(timeIntervalSince1970: Double(kline.startMs) / 1000)
            let now = Date(timeIntervalSince1970: Double(nowMs) / 1000)
            return calendar.isDate(start, equalTo: now, toGranularity: .month)
        }
        return kline.startMs + length > nowMs
    }

    static func wallMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let c = duration.components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }
}
