/// Decides which up/down windows to keep subscribed as time passes. Pure: the caller supplies the
/// known markets, the resolutions it has seen and the time.
///
/// A window is subscribed from `leadTimeMs` before its start, so the next window is live before
/// the current one ends (no gap at the rollover). An ended window stays until it is resolved (or
/// Gamma marks it closed), or until `graceMs` after its end at the latest.
public struct WindowSchedule: Sendable, Hashable {
    /// Subscribe to a window this long before it starts.
    public var leadTimeMs: Int64
    /// Drop an ended window this long after its end even if no resolution was seen.
    public var graceMs: Int64
    /// Look up the following window this long before it must be subscribed.
    public var lookupLeadMs: Int64

    public init(leadTimeMs: Int64 = 60_000, graceMs: Int64 = 600_000, lookupLeadMs: Int64 = 120_000) {
        self.leadTimeMs = leadTimeMs
        self.graceMs = graceMs
        self.lookupLeadMs = lookupLeadMs
    }

    /// What to do now.
    public struct Plan: Sendable, Hashable {
        /// The window containing now, if known.
        public var current: GammaMarket?
        /// The earliest known window starting after now.
        public var next: GammaMarket?
        /// Windows that should be subscribed now (current, next within the lead time, and ended
        /// windows still awaiting resolution), in window order.
        public var subscribe: [GammaMarket]
        /// Windows to unsubscribe and forget.
        public var drop: [GammaMarket]
        /// Start of the first window not known yet (the end of the latest known window), or `nil`
        /// when nothing is known.
        public var followingWindowStartMs: Int64?
        /// When to look that window up (already due when ≤ now).
        public var lookupAtMs: Int64
    }

    /// - Parameters:
    ///   - markets: Windows of one series known so far (any order).
    ///   - resolvedConditionIDs: Markets seen resolved (`market_resolved`), by condition id.
    ///   - nowMs: Current time, unix ms.
    public func plan(markets: [GammaMarket], resolvedConditionIDs: Set<String> = [], nowMs: Int64) -> Plan {
        let ordered = markets.sorted { ($0.windowStartMs, $0.slug) < ($1.windowStartMs, $1.slug) }
        var subscribe: [GammaMarket] = []
        var drop: [GammaMarket] = []
        for market in ordered {
            if nowMs >= market.windowEndMs {
                let resolved = market.closed || resolvedConditionIDs.contains(market.conditionID)
                if resolved || nowMs >= market.windowEndMs + graceMs { drop.append(market) } else { subscribe.append(market) }
            } else if nowMs >= market.windowStartMs - leadTimeMs {
                subscribe.append(market)
            }
        }
        let current = ordered.first { $0.windowStartMs <= nowMs && nowMs < $0.windowEndMs }
        let next = ordered.first { $0.windowStartMs > nowMs }
        let latestEnd = ordered.map(\.windowEndMs).max()
        return Plan(
            current: current, next: next, subscribe: subscribe, drop: drop, followingWindowStartMs: latestEnd,
            lookupAtMs: latestEnd.map { $0 - leadTimeMs - lookupLeadMs } ?? nowMs
        )
    }
}
