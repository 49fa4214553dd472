/// Binance's REST request weights (BN-docs rest-api.md, "LIMITS" and each endpoint's weight).
public enum BinanceWeights {
    /// `GET /api/v3/depth`: 5 (limit 1–100), 25 (101–500), 50 (501–1000), 250 (1001–5000).
    public static func depth(limit: Int) -> Int {
        switch limit {
        case ...100: 5
        case 101...500: 25
        case 501...1000: 50
        default: 250
        }
    }

    /// `GET /api/v3/exchangeInfo`.
    public static let exchangeInfo = 20
    /// `GET /api/v3/klines`.
    public static let klines = 2
    /// `GET /api/v3/time` and `GET /api/v3/ping`.
    public static let time = 1
    public static let ping = 1

    /// `GET /api/v3/ticker/24hr`: 2 with one `symbol`, 80 with none; with `symbols`, 2 (1–20),
    /// 40 (21–100), 80 (101 or more).
    public static func ticker24h(symbolCount: Int?) -> Int {
        guard let count = symbolCount else { return 80 }
        switch count {
        case ...20: return 2
        case 21...100: return 40
        default: return 80
        }
    }
}

/// The request-weight budget of one IP as a pure state machine (times are unix ms, passed in).
///
/// Binance counts weight per fixed window (`X-MBX-USED-WEIGHT-1M`: per UTC minute) and answers
/// 429 beyond the limit, then 418 (a ban) to an IP that keeps going. The budget admits a request
/// only when both estimates leave room below `limit − safetyMargin`:
/// - the weight this process sent in the last `window` (a sliding window; it bounds every fixed
///   window, whatever its alignment), and
/// - the weight Binance last reported for the current fixed window, plus what this process sent
///   since that report (covers other processes on the same IP).
///
/// A 429 blocks every admission until its `Retry-After` has passed; a 418 bans until its end.
///
/// - Complexity: `admit` is O(requests in the window).
public struct RequestWeightBudget: Sendable {
    /// Limits of the budget.
    public struct Configuration: Sendable, Hashable {
        /// Binance's REQUEST_WEIGHT limit per window (6,000 per minute since 2023-08-25).
        public var limit: Int
        /// The window in ms (60,000 on Binance; shorter in tests).
        public var windowMs: Int64
        /// Weight kept free for requests that must not wait (and for estimation error).
        public var safetyMargin: Int
        /// A depth request takes 5000 levels (weight 250) only when at least this much weight
        /// remains afterwards and no other request waits; else 1000 levels (weight 50).
        public var deepDepthReserve: Int

        /// - Parameters:
        ///   - limit: weight per window; default 6,000.
        ///   - windowMs: window length; default one minute.
        ///   - safetyMargin: default 10 % of `limit`.
        ///   - deepDepthReserve: default half of `limit`.
        public init(limit: Int = 6_000, windowMs: Int64 = 60_000, safetyMargin: Int? = nil, deepDepthReserve: Int? = nil) {
            self.limit = max(limit, 1)
            self.windowMs = max(windowMs, 1)
            self.safetyMargin = min(max(safetyMargin ?? limit / 10, 0), max(limit - 1, 0))
            self.deepDepthReserve = max(deepDepthReserve ?? limit / 2, 0)
        }

        /// The weight that may be used per window.
        public var capacity: Int { max(limit - safetyMargin, 1) }
    }

    /// What a request needs.
    public enum Need: Sendable, Hashable {
        /// This weight.
        case weight(Int)
        /// The heavier weight when the budget has room (see ``Configuration/deepDepthReserve``), else the lighter.
        case preferring(heavy: Int, light: Int)
    }

    /// The budget's answer.
    public enum Decision: Sendable, Hashable {
        /// Send now; this weight was booked.
        case proceed(weight: Int)
        /// Ask again at this time (unix ms).
        case wait(untilMs: Int64)
        /// The IP is banned until this time (unix ms); send nothing.
        case banned(untilMs: Int64)
    }

    public private(set) var configuration: Configuration
    /// Weight booked by this process: (time, weight), oldest first.
    private var booked: [(ms: Int64, weight: Int)] = []
    private var bookedStart = 0
    /// Binance's last report: used weight in fixed window `window`, received at `ms`.
    private var report: (used: Int, window: Int64, ms: Int64)?
    /// No admission before this (a 429's Retry-After).
    public private(set) var blockedUntilMs: Int64?
    /// Banned (418) until this.
    public private(set) var bannedUntilMs: Int64?

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Lowers the limit to Binance's published one (from exchange info) when both count over
    /// the same window; never raises it.
    public mutating func adopt(limit: Int, windowMs: Int64) {
        guard windowMs == configuration.windowMs, limit < configuration.limit, limit > 0 else { return }
        let margin = Double(configuration.safetyMargin) / Double(configuration.limit)
        let reserve = Double(configuration.deepDepthReserve) / Double(configuration.limit)
        configuration = Configuration(limit: limit, windowMs: windowMs,
                                      safetyMargin: Int(Double(limit) * margin), deepDepthReserve: Int(Double(limit) * reserve))
    }

    /// The last used weight Binance reported (any window), if any.
    public var lastReportedUsed: Int? { report?.used }

    /// Estimated weight used in the current window at `nowMs` (the larger of both estimates).
    public mutating func estimatedUsed(nowMs: Int64) -> Int {
        expire(nowMs: nowMs)
        return max(slidingSum(), reportedEstimate(nowMs: nowMs))
    }

    /// Books the request's weight and answers `.proceed`, or says when to ask again.
    ///
    /// - Parameter othersWaiting: other requests queue behind this one; a `.preferring` need
    ///   then takes the lighter weight so the queue drains sooner.
    public mutating func admit(_ need: Need, nowMs: Int64, othersWaiting: Bool = false) -> Decision {
        if let banned = bannedUntilMs {
            return .banned(untilMs: banned)
        }
        if let blocked = blockedUntilMs {
            if nowMs < blocked { return .wait(untilMs: blocked) }
            blockedUntilMs = nil
        }
        expire(nowMs: nowMs)
        let used = max(slidingSum(), reportedEstimate(nowMs: nowMs))
        let capacity = configuration.capacity
        let weight: Int
        switch need {
        case .weight(let value):
            weight = max(value, 0)
        case .preferring(let heavy, let light):
            let roomAfterHeavy = capacity - used - heavy
            weight = !othersWaiting && roomAfterHeavy >= configuration.deepDepthReserve ? heavy : light
        }
        // A request heavier than the whole capacity goes alone, when nothing else is booked.
        if used + weight <= capacity || used == 0 {
            book(weight, nowMs: nowMs)
            return .proceed(weight: weight)
        }
        return .wait(untilMs: max(whenFits(weight, nowMs: nowMs), nowMs + 1))
    }

    /// Records Binance's `X-MBX-USED-WEIGHT-1M` of an answer received at `nowMs`.
    public mutating func observe(usedWeight: Int, nowMs: Int64) {
        report = (max(usedWeight, 0), nowMs / configuration.windowMs, nowMs)
    }

    /// A 429: no request before `nowMs + retryAfterMs` (at least until the window ends when
    /// Binance gave no `Retry-After`).
    public mutating func rateLimited(retryAfterMs: Int64?, nowMs: Int64) {
        let until = nowMs + (retryAfterMs ?? (configuration.windowMs - nowMs % configuration.windowMs))
        blockedUntilMs = max(blockedUntilMs ?? until, until)
    }

    /// A 418: banned until `nowMs + retryAfterMs` (a full window when Binance gave no `Retry-After`).
    public mutating func banned(retryAfterMs: Int64?, nowMs: Int64) {
        let until = nowMs + (retryAfterMs ?? configuration.windowMs)
        bannedUntilMs = max(bannedUntilMs ?? until, until)
    }

    /// Lifts a ban (the operator's decision after it ended).
    public mutating func liftBan() { bannedUntilMs = nil }

    // MARK: - Internals

    private mutating func book(_ weight: Int, nowMs: Int64) {
        booked.append((nowMs, weight))
    }

    private mutating func expire(nowMs: Int64) {
        let horizon = nowMs - configuration.windowMs
        while bookedStart < booked.count, booked[bookedStart].ms <= horizon { bookedStart += 1 }
        if bookedStart > 256, bookedStart * 2 > booked.count {
            booked.removeFirst(bookedStart)
            bookedStart = 0
        }
    }

    private func slidingSum() -> Int {
        var sum = 0
        for index in bookedStart..<booked.count { sum += booked[index].weight }
        return sum
    }

    /// Binance's report for the current window plus what was booked after it; 0 in a later window.
    private func reportedEstimate(nowMs: Int64) -> Int {
        guard let report, report.window == nowMs / configuration.windowMs else { return 0 }
        var since = 0
        for index in bookedStart..<booked.count where booked[index].ms > report.ms { since += booked[index].weight }
        return report.used + since
    }

    /// The earliest time `weight` fits under both estimates, assuming nothing else is booked.
    private func whenFits(_ weight: Int, nowMs: Int64) -> Int64 {
        let capacity = configuration.capacity
        var until = nowMs
        // Sliding window: drop the oldest bookings until the rest plus `weight` fit.
        var sum = slidingSum()
        var index = bookedStart
        while sum + weight > capacity, index < booked.count {
            sum -= booked[index].weight
            until = booked[index].ms + configuration.windowMs + 1
            index += 1
        }
        // Binance's fixed window: the report is forgotten when the window ends.
        if reportedEstimate(nowMs: nowMs) + weight > capacity {
            until = max(until, (nowMs / configuration.windowMs + 1) * configuration.windowMs)
        }
        return until
    }
}
