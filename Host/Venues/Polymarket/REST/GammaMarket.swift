import VenueKit
import Foundation

/// One up/down market as Gamma describes it, reduced to what trading needs.
public struct GammaMarket: Sendable, Hashable {
    /// How the start and end prices are taken.
    public enum Resolution: Sendable, Hashable {
        /// The oracle value at the window boundaries.
        case spot
        /// A time-weighted average over the trailing `lookbackSeconds` at each boundary.
        case twap(lookbackSeconds: Int)
    }

    /// Gamma `feeSchedule`: taker fee per share is `rate × (p(1−p))^exponent`.
    public struct FeeSchedule: Sendable, Hashable {
        public var rate: Decimal
        public var exponent: Decimal
        public var takerOnly: Bool
        public var rebateRate: Decimal
        public init(rate: Decimal, exponent: Decimal, takerOnly: Bool, rebateRate: Decimal) {
            self.rate = rate
            self.exponent = exponent
            self.takerOnly = takerOnly
            self.rebateRate = rebateRate
        }
    }

    public var id: String
    public var question: String
    public var slug: String
    /// Condition id (`0x` + 64 hex), the `market` field of CLOB messages.
    public var conditionID: String
    /// Token of the "Up" outcome (found by name in `outcomes`, not assumed first).
    public var upTokenID: String
    public var downTokenID: String
    /// Window start = `eventStartTime` (unix ms).
    public var windowStartMs: Int64
    /// Window end = `endDate` = resolution time (unix ms).
    public var windowEndMs: Int64
    public var tickSize: Decimal
    /// Minimum resting order size in shares.
    public var minOrderSize: Decimal
    public var negRisk: Bool
    public var active: Bool
    public var acceptingOrders: Bool
    public var closed: Bool
    public var feesEnabled: Bool
    public var feeSchedule: FeeSchedule?
    public var resolution: Resolution
    public var resolutionSource: String?
    /// Short ticker (`btc`), from `cryptoMarketConfig` or the slug; `nil` when neither says.
    public var asset: String?
    public var duration: UpDownDuration?
    /// Outcome prices in the order of Up, Down, when Gamma sent them.
    public var upPrice: Decimal?
    public var downPrice: Decimal?

    public init(
        id: String, question: String, slug: String, conditionID: String, upTokenID: String, downTokenID: String,
        windowStartMs: Int64, windowEndMs: Int64, tickSize: Decimal, minOrderSize: Decimal, negRisk: Bool,
        active: Bool = true, acceptingOrders: Bool = true, closed: Bool = false, feesEnabled: Bool = false,
        feeSchedule: FeeSchedule? = nil, resolution: Resolution = .spot, resolutionSource: String? = nil,
        asset: String? = nil, duration: UpDownDuration? = nil, upPrice: Decimal? = nil, downPrice: Decimal? = nil
    ) {
        self.id = id
        self.question = question
        self.slug = slug
        self.conditionID = conditionID
        self.upTokenID = upTokenID
        self.downTokenID = downTokenID
        self.windowStartMs = windowStartMs
        self.windowEndMs = windowEndMs
        self.tickSize = tickSize
        self.minOrderSize = minOrderSize
        self.negRisk = negRisk
        self.active = active
        self.acceptingOrders = acceptingOrders
        self.closed = closed
        self.feesEnabled = feesEnabled
        self.feeSchedule = feeSchedule
        self.resolution = resolution
        self.resolutionSource = resolutionSource
        self.asset = asset
        self.duration = duration
        self.upPrice = upPrice
        self.downPrice = downPrice
    }

    /// Parses one Gamma market object (the body of `/markets/slug/{slug}`).
    public static func parse(json bytes: [UInt8]) throws(ClobError) -> GammaMarket {
        guard let value = JSONValue.parse(bytes) else {
            throw ClobError(kind: .invalidResponse, endpoint: "gamma market", message: "body is not JSON")
        }
        return try parse(value, endpoint: "gamma market")
    }

    static func parse(_ json: JSONValue, endpoint: String) throws(ClobError) -> GammaMarket {
        func fail(_ message: String) -> ClobError {
            ClobError(kind: .invalidResponse, endpoint: endpoint, message: message)
        }
        guard json.object != nil else { throw fail("market is not an object") }
        guard let slug = json["slug"]?.nonEmptyString else { throw fail("market has no slug") }
        guard let outcomes = json["outcomes"]?.embeddedArray?.compactMap(\.string) else {
            throw fail("market \(slug) has no outcomes")
        }
        guard let tokens = json["clobTokenIds"]?.embeddedArray?.compactMap(\.string), tokens.count == outcomes.count else {
            throw fail("market \(slug) has no clobTokenIds matching its outcomes")
        }
        let names = outcomes.map { $0.lowercased() }
        guard let upIndex = names.firstIndex(of: "up"), let downIndex = names.firstIndex(of: "down") else {
            throw fail("market \(slug) is not an up/down market (outcomes \(outcomes))")
        }
        guard let endMs = json["endDate"]?.string.flatMap(ISO8601Millis.parse) else {
            throw fail("market \(slug) has no endDate")
        }
        let parsedSlug = UpDownSlug.parse(slug: slug)
        let config = json["cryptoMarketConfig"]
        let duration = config?["duration"]?.string.flatMap(UpDownDuration.init(rawValue:)) ?? parsedSlug?.duration
        let eventStart = json["events"]?.array?.first?["startTime"]?.string.flatMap(ISO8601Millis.parse)
        let startMs = json["eventStartTime"]?.string.flatMap(ISO8601Millis.parse) ?? eventStart ?? parsedSlug?.windowStartMs
            ?? duration.map { endMs - $0.seconds * 1000 }
        guard let startMs else { throw fail("market \(slug) has no eventStartTime") }
        guard let tick = json["orderPriceMinTickSize"]?.decimal, tick > 0 else {
            throw fail("market \(slug) has no orderPriceMinTickSize")
        }
        var resolution = Resolution.spot
        if config?["twapEnabled"]?.bool == true {
            guard let lookback = config?["twapLookbackSeconds"]?.int64 else {
                throw fail("market \(slug) is TWAP-resolved without twapLookbackSeconds")
            }
            resolution = .twap(lookbackSeconds: Int(lookback))
        }
        var fees: FeeSchedule?
        if let schedule = json["feeSchedule"], schedule.object != nil {
            fees = FeeSchedule(
                rate: schedule["rate"]?.decimal ?? 0, exponent: schedule["exponent"]?.decimal ?? 1,
                takerOnly: schedule["takerOnly"]?.bool ?? true, rebateRate: schedule["rebateRate"]?.decimal ?? 0
            )
        }
        let prices = json["outcomePrices"]?.embeddedArray?.map(\.decimal)
        return GammaMarket(
            id: json["id"]?.string ?? "",
            question: json["question"]?.string ?? "",
            slug: slug,
            conditionID: json["conditionId"]?.string ?? "",
            upTokenID: tokens[upIndex],
            downTokenID: tokens[downIndex],
            windowStartMs: startMs,
            windowEndMs: endMs,
            tickSize: tick,
            minOrderSize: json["orderMinSize"]?.decimal ?? 0,
            negRisk: json["negRisk"]?.bool ?? false,
            active: json["active"]?.bool ?? true,
            acceptingOrders: json["acceptingOrders"]?.bool ?? false,
            closed: json["closed"]?.bool ?? false,
            feesEnabled: json["feesEnabled"]?.bool ?? false,
            feeSchedule: fees,
            resolution: resolution,
            resolutionSource: json["resolutionSource"]?.nonEmptyString,
            asset: config?["asset"]?.nonEmptyString?.lowercased() ?? parsedSlug?.asset,
            duration: duration,
            upPrice: prices.flatMap { $0.count == outcomes.count ? $0[upIndex] : nil },
            downPrice: prices.flatMap { $0.count == outcomes.count ? $0[downIndex] : nil }
        )
    }
}

/// A Gamma event: a group of markets (one per up/down window).
public struct GammaEvent: Sendable, Hashable {
    public var id: String
    public var slug: String
    public var title: String
    public var startTimeMs: Int64?
    public var endDateMs: Int64?
    public var seriesSlug: String?
    public var closed: Bool
    /// The event's up/down markets (others are skipped).
    public var markets: [GammaMarket]

    static func parse(_ json: JSONValue, endpoint: String) throws(ClobError) -> GammaEvent {
        guard json.object != nil, let slug = json["slug"]?.nonEmptyString else {
            throw ClobError(kind: .invalidResponse, endpoint: endpoint, message: "event has no slug")
        }
        var markets: [GammaMarket] = []
        for item in json["markets"]?.array ?? [] {
            if let market = try? GammaMarket.parse(item, endpoint: endpoint) { markets.append(market) }
        }
        return GammaEvent(
            id: json["id"]?.string ?? "", slug: slug, title: json["title"]?.string ?? "",
            startTimeMs: json["startTime"]?.string.flatMap(ISO8601Millis.parse),
            endDateMs: json["endDate"]?.string.flatMap(ISO8601Millis.parse),
            seriesSlug: json["seriesSlug"]?.nonEmptyString ?? json["series"]?.array?.first?["slug"]?.nonEmptyString,
            closed: json["closed"]?.bool ?? false, markets: markets
        )
    }
}

/// A Gamma series (e.g. `btc-up-or-down-5m`) and the events it lists.
public struct GammaSeries: Sendable, Hashable {
    public var id: String
    public var slug: String
    public var title: String
    public var recurrence: String?
    /// Event summaries: slug and window times (their markets are fetched with `GammaClient.event(slug:)`).
    public var events: [GammaEvent]

    static func parse(_ json: JSONValue, endpoint: String) throws(ClobError) -> GammaSeries {
        guard json.object != nil, let slug = json["slug"]?.nonEmptyString else {
            throw ClobError(kind: .invalidResponse, endpoint: endpoint, message: "series has no slug")
        }
        var events: [GammaEvent] = []
        for item in json["events"]?.array ?? [] {
            if let event = try? GammaEvent.parse(item, endpoint: endpoint) { events.append(event) }
        }
        return GammaSeries(id: json["id"]?.string ?? "", slug: slug, title: json["title"]?.string ?? "",
                           recurrence: json["recurrence"]?.nonEmptyString, events: events)
    }
}
