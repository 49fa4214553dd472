import VenueKit
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Market discovery through the Gamma API (`https://gamma-api.polymarket.com`). No authentication.
public final class GammaClient: Sendable {
    private let transport: RESTTransport
    private let logger: Logger

    /// - Parameters:
    ///   - baseURL: Gamma base URL without trailing slash.
    ///   - httpClient: Shared client by default; tests may inject their own.
    ///   - timeout: Per-request deadline.
    public init(baseURL: String = ClobEndpoints.production.gamma, httpClient: HTTPClient = .shared,
                timeout: Duration = .seconds(10), logger: Logger) {
        self.transport = RESTTransport(client: httpClient, baseURL: baseURL, timeout: timeout, logger: logger)
        self.logger = logger
    }

    /// `GET /markets/slug/{slug}`; `nil` when Gamma does not know the slug.
    public func market(slug: String) async throws(ClobError) -> GammaMarket? {
        let path = "/markets/slug/\(slug)"
        guard let json = try await get(path) else { return nil }
        return try GammaMarket.parse(json, endpoint: "GET \(path)")
    }

    /// `GET /markets?slug=…` (array form); markets that are not up/down are skipped.
    public func markets(slug: String) async throws(ClobError) -> [GammaMarket] {
        guard let json = try await get("/markets", query: [("slug", slug)]) else { return [] }
        guard let items = json.array else { throw invalid("GET /markets", "expected an array") }
        return items.compactMap { try? GammaMarket.parse($0, endpoint: "GET /markets") }
    }

    /// `GET /events/slug/{slug}`; `nil` when unknown.
    public func event(slug: String) async throws(ClobError) -> GammaEvent? {
        let path = "/events/slug/\(slug)"
        guard let json = try await get(path) else { return nil }
        return try GammaEvent.parse(json, endpoint: "GET \(path)")
    }

    /// `GET /public-search?q=…`: the matching events with their up/down markets.
    public func search(query: String) async throws(ClobError) -> [GammaEvent] {
        guard let json = try await get("/public-search", query: [("q", query)]) else { return [] }
        return (json["events"]?.array ?? []).compactMap { try? GammaEvent.parse($0, endpoint: "GET /public-search") }
    }

    /// `GET /series?slug=…` (e.g. `btc-up-or-down-5m`); `nil` when unknown.
    public func series(slug: String) async throws(ClobError) -> GammaSeries? {
        guard let json = try await get("/series", query: [("slug", slug)]) else { return nil }
        let first = json.array?.first ?? (json.object != nil ? json : nil)
        guard let first else { return nil }
        return try GammaSeries.parse(first, endpoint: "GET /series")
    }

    /// The market whose window contains `nowMs` and the one after it, in window order (either may be
    /// missing when not listed yet).
    ///
    /// 5m/15m/4h slugs are exact, so they are fetched directly. Hourly and daily slugs are observed
    /// rather than documented: those are discovered through search first, with slugs as the fallback.
    public func currentAndNext(asset: String, duration: UpDownDuration, nowMs: Int64) async throws(ClobError) -> [GammaMarket] {
        let currentStart = UpDownSlug.windowStart(duration: duration, containing: nowMs)
        let nextStart = UpDownSlug.windowEnd(duration: duration, windowStartMs: currentStart)
        var found: [Int64: GammaMarket] = [:]
        if duration == .hourly || duration == .daily {
            let query = "\(UpDownSlug.longName(asset: asset).capitalized) Up or Down"
            do {
                for event in try await search(query: query) {
                    for market in event.markets where market.asset == asset.lowercased() && market.duration == duration
                        && (market.windowStartMs == currentStart || market.windowStartMs == nextStart) {
                        found[market.windowStartMs] = market
                    }
                }
            } catch {
                logger.warning("Gamma search failed; falling back to slugs", metadata: ["gamma.query": "\(query)", "error": "\(error)"])
            }
        }
        for start in [currentStart, nextStart] where found[start] == nil {
            let slug = UpDownSlug.slug(asset: asset, duration: duration, windowStartMs: start)
            if let market = try await market(slug: slug) { found[start] = market }
        }
        return found.values.sorted { $0.windowStartMs < $1.windowStartMs }
    }

    private func get(_ path: String, query: [(String, String)] = []) async throws(ClobError) -> JSONValue? {
        let response = try await transport.clob(.GET, path: path, query: query)
        let endpoint = "GET \(path)"
        switch response.status {
        case 200..<300:
            guard let json = response.json else { throw invalid(endpoint, "body is not JSON") }
            return json
        case 404:
            return nil
        case 429:
            throw ClobError(kind: .retryable(after: RESTTransport.retryAfter(response.headers)), status: 429,
                            venueMessage: RESTTransport.venueMessage(response), endpoint: endpoint, message: "rate limited")
        case 500...:
            throw ClobError(kind: .retryable(after: nil), status: response.status,
                            venueMessage: RESTTransport.venueMessage(response), endpoint: endpoint, message: "server error")
        default:
            throw ClobError(kind: .rejected, status: response.status, venueMessage: RESTTransport.venueMessage(response),
                            endpoint: endpoint, message: "request refused")
        }
    }

    private func invalid(_ endpoint: String, _ message: String) -> ClobError {
        ClobError(kind: .invalidResponse, endpoint: endpoint, message: message)
    }
}
