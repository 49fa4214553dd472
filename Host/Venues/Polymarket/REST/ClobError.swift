/// An error from the Polymarket CLOB or Gamma REST APIs, classified for order safety.
///
/// `kind` tells the caller what it may do next: `.retryable` may be retried (after the given
/// delay), `.outcomeUnknown` must never be retried blindly — the request reached the venue and
/// the caller reconciles through `openOrders`/`trades` — and the others need a human or a new
/// decision. `description` never contains secrets or payloads.
public struct ClobError: Error, Sendable, CustomStringConvertible {
    /// What the caller may do about the failure.
    public enum Kind: Sendable, Hashable {
        /// Transient (rate limit, 5xx, transport failure before the request was sent); retry after the delay.
        case retryable(after: Duration?)
        /// The venue refused the request with a reason (`venueMessage`), e.g. an FOK order that could not fill.
        case rejected
        /// The request was sent and the answer does not prove whether it took effect (no readable
        /// answer, or a 5xx to an order submission): the order may or may not exist.
        case outcomeUnknown
        /// The API key is revoked or invalid, or the L1 signature was refused.
        case unauthorized
        /// The venue only accepts cancels right now (503 "cancel-only").
        case cancelOnly
        /// The response could not be parsed.
        case invalidResponse
    }

    public var kind: Kind
    /// HTTP status, when a response arrived.
    public var status: Int?
    /// The venue's own message (`errorMsg` / `error`), when it sent one.
    public var venueMessage: String?
    /// Method and path of the request, e.g. `POST /order`.
    public var endpoint: String
    /// Our explanation of what went wrong.
    public var message: String
    /// The order response's `status` field (lowercased: `live`, `matched`, `delayed`, `unmatched`…)
    /// when a refused `POST /order` answer carried one. `unmatched` on an FOK/FAK order is a kill.
    public var orderStatus: String?

    public init(kind: Kind, status: Int? = nil, venueMessage: String? = nil, endpoint: String, message: String, orderStatus: String? = nil) {
        self.kind = kind
        self.status = status
        self.venueMessage = venueMessage
        self.endpoint = endpoint
        self.message = message
        self.orderStatus = orderStatus
    }

    /// True when a refused FOK/FAK order was killed by the matching engine (nothing or not enough
    /// to match) rather than refused as invalid: the response's status says `unmatched`.
    public var isUnmatchedKill: Bool { kind == .rejected && orderStatus == "unmatched" }

    /// True when the same request may be sent again.
    public var isRetryable: Bool {
        if case .retryable = kind { return true }
        return false
    }

    /// True when an order submission may have reached the venue; reconcile, never resubmit.
    public var isSubmitOutcomeUnknown: Bool { kind == .outcomeUnknown }

    /// A label without associated values, for metrics.
    public var shortDescription: String {
        switch kind {
        case .retryable: "retryable"
        case .rejected: "rejected"
        case .outcomeUnknown: "outcome_unknown"
        case .unauthorized: "unauthorized"
        case .cancelOnly: "cancel_only"
        case .invalidResponse: "invalid_response"
        }
    }

    public var description: String {
        var text = "ClobError(\(shortDescription), \(endpoint)"
        if let status { text += ", HTTP \(status)" }
        text += "): \(message)"
        if let venueMessage, !venueMessage.isEmpty { text += " — venue: \(venueMessage)" }
        return text
    }
}

/// Base URLs of the Polymarket services.
public struct ClobEndpoints: Sendable, Hashable {
    /// CLOB REST, e.g. `https://clob.polymarket.com` (no trailing slash).
    public var rest: String
    /// Gamma market discovery, e.g. `https://gamma-api.polymarket.com`.
    public var gamma: String
    /// Market-channel WebSocket URL.
    public var marketWS: String
    /// User-channel WebSocket URL.
    public var userWS: String
    /// RTDS (crypto prices) WebSocket URL.
    public var rtds: String

    public init(rest: String, gamma: String, marketWS: String, userWS: String, rtds: String) {
        self.rest = rest
        self.gamma = gamma
        self.marketWS = marketWS
        self.userWS = userWS
        self.rtds = rtds
    }

    /// The production venue.
    public static let production = ClobEndpoints(
        rest: "https://clob.polymarket.com",
        gamma: "https://gamma-api.polymarket.com",
        marketWS: "wss://ws-subscriptions-clob.polymarket.com/ws/market",
        userWS: "wss://ws-subscriptions-clob.polymarket.com/ws/user",
        rtds: "wss://ws-live-data.polymarket.com"
    )

    /// Fake servers on 127.0.0.1 (tests and dry runs): CLOB REST, Gamma, the market/user channel server and RTDS.
    public static func loopback(clobPort: Int, gammaPort: Int, streamsPort: Int, rtdsPort: Int) -> ClobEndpoints {
        ClobEndpoints(
            rest: "http://127.0.0.1:\(clobPort)",
            gamma: "http://127.0.0.1:\(gammaPort)",
            marketWS: "ws://127.0.0.1:\(streamsPort)/ws/market",
            userWS: "ws://127.0.0.1:\(streamsPort)/ws/user",
            rtds: "ws://127.0.0.1:\(rtdsPort)/"
        )
    }
}
