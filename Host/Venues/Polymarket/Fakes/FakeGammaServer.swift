import VenueFakes
import VenueKit
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// One up/down market window served by `FakeGammaServer`.
public struct FakeGammaWindow: Sendable, Hashable {
    public var id: String
    public var slug: String
    /// Short ticker, e.g. `btc`.
    public var asset: String
    /// `5m`, `15m`, `4h`, `hourly` or `daily`.
    public var duration: String
    public var startMs: Int64
    public var endMs: Int64
    public var conditionID: String
    public var upTokenID: String
    public var downTokenID: String
    public var tick: Decimal
    public var minOrderSize: Decimal
    public var negRisk: Bool
    /// TWAP-resolved (adds `cryptoMarketConfig` with `twapEnabled`) when set.
    public var twapLookbackSeconds: Int?
    public var closed: Bool
    public var acceptingOrders: Bool
    /// List outcomes as `["Down","Up"]` to check that clients find Up by name.
    public var downListedFirst: Bool

    public init(
        slug: String, asset: String, duration: String, startMs: Int64, endMs: Int64, upTokenID: String, downTokenID: String,
        conditionID: String? = nil, id: String? = nil, tick: Decimal = Decimal(string: "0.01")!, minOrderSize: Decimal = 5,
        negRisk: Bool = false, twapLookbackSeconds: Int? = nil, closed: Bool = false, acceptingOrders: Bool = true,
        downListedFirst: Bool = false
    ) {
        self.id = id ?? String(abs(slug.hashValue % 10_000_000))
        self.slug = slug
        self.asset = asset
        self.duration = duration
        self.startMs = startMs
        self.endMs = endMs
        self.conditionID = conditionID ?? "0x" + String(repeating: "0", count: 48) + String(format: "%016llx", UInt64(startMs))
        self.upTokenID = upTokenID
        self.downTokenID = downTokenID
        self.tick = tick
        self.minOrderSize = minOrderSize
        self.negRisk = negRisk
        self.twapLookbackSeconds = twapLookbackSeconds
        self.closed = closed
        self.acceptingOrders = acceptingOrders
        self.downListedFirst = downListedFirst
    }

    /// A 5m/15m/4h window with the venue's slug `{asset}-updown-{duration}-{start s}` and token ids derived from it.
    public static func interval(asset: String, duration: String, seconds: Int64, startMs: Int64, tick: Decimal = Decimal(string: "0.01")!,
                                negRisk: Bool = false, twapLookbackSeconds: Int? = nil) -> FakeGammaWindow {
        let start = startMs / 1000
        return FakeGammaWindow(
            slug: "\(asset)-updown-\(duration)-\(start)", asset: asset, duration: duration, startMs: startMs, endMs: startMs + seconds * 1000,
            upTokenID: "1\(start)1", downTokenID: "1\(start)2", tick: tick, negRisk: negRisk, twapLookbackSeconds: twapLookbackSeconds
        )
    }
}

/// A fake Gamma API on 127.0.0.1 serving configured up/down windows in the real Gamma JSON shape
/// (`outcomes`, `clobTokenIds`, `outcomePrices` as JSON-encoded strings).
public final class FakeGammaServer: Sendable {
    private struct State {
        var windows: [String: FakeGammaWindow] = [:]
        var requests: [String] = []
    }

    private let state = Mutex(State())
    private let host: FakeHTTPHost

    public init(logger: Logger = Logger(label: "FakeGammaServer")) {
        self.host = FakeHTTPHost(name: "FakeGammaServer", logger: logger)
    }

    public func start() async throws {
        _ = try await host.start { [self] request, _ in self.handle(request) }
    }

    public func stop() async { await host.stop() }

    public var port: Int { host.port ?? 0 }
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func add(_ window: FakeGammaWindow) { state.withLock { $0.windows[window.slug] = window } }
    public func remove(slug: String) { state.withLock { $0.windows[slug] = nil } }
    public var windows: [FakeGammaWindow] { state.withLock { Array($0.windows.values) } }
    /// Requests served so far, as `path?query`.
    public var requests: [String] { state.withLock { $0.requests } }

    private func handle(_ request: Request) -> Response {
        let path = request.uri.path
        let query = request.uri.queryParameters
        let windows = state.withLock { state in
            state.requests.append(path + (request.uri.query.map { "?" + $0 } ?? ""))
            return state.windows
        }
        func notFound() -> Response { FakeHTTPJSON.response(.notFound, ["type": "not found error", "error": "id not found"]) }
        if path.hasPrefix("/markets/slug/") {
            guard let window = windows[String(path.dropFirst("/markets/slug/".count))] else { return notFound() }
            return FakeHTTPJSON.response(.ok, Self.market(window, embedEvent: true))
        }
        if path.hasPrefix("/events/slug/") {
            guard let window = windows[String(path.dropFirst("/events/slug/".count))] else { return notFound() }
            return FakeHTTPJSON.response(.ok, Self.event(window, withMarkets: true))
        }
        switch path {
        case "/markets":
            let slug = query["slug"].map(String.init)
            let found = windows.values.filter { slug == nil || $0.slug == slug }.sorted { $0.startMs < $1.startMs }
            return FakeHTTPJSON.response(.ok, found.map { Self.market($0, embedEvent: true) })
        case "/events":
            let slug = query["slug"].map(String.init)
            let found = windows.values.filter { slug == nil || $0.slug == slug }.sorted { $0.startMs < $1.startMs }
            return FakeHTTPJSON.response(.ok, found.map { Self.event($0, withMarkets: true) })
        case "/public-search":
            let words = (query["q"].map(String.init) ?? "").lowercased().split(separator: " ")
            let found = windows.values.filter { window in
                let title = Self.title(window).lowercased()
                return words.allSatisfy { title.contains($0) }
            }.sorted { $0.startMs < $1.startMs }
            return FakeHTTPJSON.response(.ok, [
                "events": found.map { Self.event($0, withMarkets: true) }, "tags": [Any](), "profiles": [Any](),
                "pagination": ["hasMore": false, "totalResults": found.count],
            ] as [String: Any])
        case "/series":
            let slug = query["slug"].map(String.init) ?? ""
            let members = windows.values.filter { Self.seriesSlug($0) == slug }.sorted { $0.startMs < $1.startMs }
            guard let first = members.first else { return FakeHTTPJSON.response(.ok, [Any]()) }
            return FakeHTTPJSON.response(.ok, [[
                "id": String(abs(slug.hashValue % 100_000)), "ticker": slug, "slug": slug, "title": "\(first.asset.uppercased()) Up or Down \(first.duration)",
                "seriesType": "single", "recurrence": first.duration, "active": true, "closed": false,
                "events": members.map { Self.event($0, withMarkets: false) },
            ] as [String: Any]])
        default:
            return notFound()
        }
    }

    private static func longName(_ asset: String) -> String {
        switch asset.lowercased() {
        case "btc": "Bitcoin"
        case "eth": "Ethereum"
        case "sol": "Solana"
        default: asset.uppercased()
        }
    }

    private static func title(_ window: FakeGammaWindow) -> String {
        "\(longName(window.asset)) Up or Down - \(iso(window.startMs)) to \(iso(window.endMs))"
    }

    private static func seriesSlug(_ window: FakeGammaWindow) -> String { "\(window.asset)-up-or-down-\(window.duration)" }

    private static func iso(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    private static func jsonText(_ array: [String]) -> String {
        // Gamma writes these with a space after the comma: "[\"Up\", \"Down\"]".
        "[" + array.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }

    private static func event(_ window: FakeGammaWindow, withMarkets: Bool) -> [String: Any] {
        var object: [String: Any] = [
            "id": "e" + window.id, "ticker": window.slug, "slug": window.slug, "title": title(window),
            "startTime": iso(window.startMs), "endDate": iso(window.endMs), "active": !window.closed, "closed": window.closed,
            "negRisk": window.negRisk, "seriesSlug": seriesSlug(window),
            "series": [["id": "s1", "slug": seriesSlug(window), "recurrence": window.duration, "title": "\(window.asset.uppercased()) Up or Down"]],
        ]
        if withMarkets { object["markets"] = [market(window, embedEvent: false)] }
        return object
    }

    private static func market(_ window: FakeGammaWindow, embedEvent: Bool) -> [String: Any] {
        let outcomes = window.downListedFirst ? ["Down", "Up"] : ["Up", "Down"]
        let tokens = window.downListedFirst ? [window.downTokenID, window.upTokenID] : [window.upTokenID, window.downTokenID]
        var object: [String: Any] = [
            "id": window.id, "question": title(window), "conditionId": window.conditionID, "slug": window.slug,
            "resolutionSource": window.twapLookbackSeconds == nil
                ? "https://data.chain.link/streams/\(window.asset)-usd" : "https://data.chain.link/streams/\(window.asset)-usd-twap-60s-streams",
            "endDate": iso(window.endMs), "startDate": iso(window.startMs - 86_400_000), "eventStartTime": iso(window.startMs),
            "outcomes": jsonText(outcomes), "outcomePrices": jsonText(["0.5", "0.5"]), "clobTokenIds": jsonText(tokens),
            "active": !window.closed, "closed": window.closed, "acceptingOrders": window.acceptingOrders && !window.closed,
            "enableOrderBook": true, "orderPriceMinTickSize": NSDecimalNumber(decimal: window.tick), "orderMinSize": NSDecimalNumber(decimal: window.minOrderSize),
            "negRisk": window.negRisk, "feesEnabled": true, "feeType": "crypto_fees", "makerBaseFee": 1000, "takerBaseFee": 1000,
            "feeSchedule": ["exponent": 1, "rate": 0.07, "takerOnly": true, "rebateRate": 0.2],
        ]
        if let lookback = window.twapLookbackSeconds {
            object["cryptoMarketConfig"] = [
                "id": "\(window.asset)-\(window.duration)-twap-\(lookback)", "asset": window.asset, "duration": window.duration,
                "twapEnabled": true, "twapLookbackSeconds": lookback,
            ] as [String: Any]
        }
        if embedEvent { object["events"] = [event(window, withMarkets: false)] }
        return object
    }
}
