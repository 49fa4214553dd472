/// An error from Bybit's v5 REST market-data API, classified so the caller knows what to do.
///
/// `code` says what happened; ``isRetryable`` whether the same request may be sent again
/// (after ``retryAfter`` when set); `message` says what went wrong and what to do about it.
/// Every request of this client is a public read, so no error leaves an order's outcome unknown
/// (``isSubmitOutcomeUnknown`` is always false). `description` holds no secrets (there are none
/// on public endpoints) and at most a short sample of a malformed body.
public struct BybitRESTError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; compare against the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case ipRateLimited, rateLimited, unknownSymbol, invalidRequest, venueError, serverError, httpError, transport,
                 invalidResponse, cancelled
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// HTTP 403 "access too frequent": the IP went over 600 requests per 5 s. Every request
        /// of the client pauses (10 minutes by default), as Bybit asks.
        public static let ipRateLimited = Code(.ipRateLimited)
        /// HTTP 429 or `retCode` 10006 "Too many visits!": wait until the reset the venue named.
        public static let rateLimited = Code(.rateLimited)
        /// `retCode` 10001 naming the symbol: the category does not list it.
        public static let unknownSymbol = Code(.unknownSymbol)
        /// `retCode` 10001 (parameter error) for another reason.
        public static let invalidRequest = Code(.invalidRequest)
        /// Any other non-zero `retCode`.
        public static let venueError = Code(.venueError)
        /// HTTP 5xx, or `retCode` 10000/10016 (server timeout / server error).
        public static let serverError = Code(.serverError)
        /// A non-2xx status that is not one of the above (e.g. 404 for a wrong base URL).
        public static let httpError = Code(.httpError)
        /// No readable answer (connection refused, reset, timeout).
        public static let transport = Code(.transport)
        /// The answer is not the v5 envelope or `result` lacks what the endpoint promises.
        public static let invalidResponse = Code(.invalidResponse)
        /// The calling task was cancelled while waiting out a rate limit or a backoff.
        public static let cancelled = Code(.cancelled)

        public var description: String {
            switch base {
            case .ipRateLimited: "ip_rate_limited"
            case .rateLimited: "rate_limited"
            case .unknownSymbol: "unknown_symbol"
            case .invalidRequest: "invalid_request"
            case .venueError: "venue_error"
            case .serverError: "server_error"
            case .httpError: "http_error"
            case .transport: "transport"
            case .invalidResponse: "invalid_response"
            case .cancelled: "cancelled"
            }
        }
    }

    public var code: Code
    /// Method and path, e.g. `GET /v5/market/kline`.
    public var endpoint: String
    /// HTTP status, when an answer arrived.
    public var httpStatus: Int?
    /// The envelope's `retCode`, when there was one and it was not 0.
    public var retCode: Int?
    /// The envelope's `retMsg` (or the body text of a non-JSON error answer).
    public var retMsg: String?
    /// How long to wait before sending again, when the venue said so (or the IP pause left).
    public var retryAfter: Duration?
    /// What went wrong and what to do about it.
    public var message: String
    /// Where the error was made.
    public var file: String
    public var line: Int

    public init(code: Code, endpoint: String, httpStatus: Int? = nil, retCode: Int? = nil, retMsg: String? = nil,
                retryAfter: Duration? = nil, message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.endpoint = endpoint
        self.httpStatus = httpStatus
        self.retCode = retCode
        self.retMsg = retMsg
        self.retryAfter = retryAfter
        self.message = message
        self.file = file
        self.line = line
    }

    /// True when the same request may be sent again (after ``retryAfter`` when set).
    public var isRetryable: Bool {
        code == .ipRateLimited || code == .rateLimited || code == .serverError || code == .transport
    }

    /// Always false: this client only reads public market data, nothing it sends changes state.
    public var isSubmitOutcomeUnknown: Bool { false }

    /// A label without associated values, for metrics.
    public var shortDescription: String { code.description }

    public var description: String {
        var text = "BybitRESTError(\(code), \(endpoint)"
        if let httpStatus { text += ", HTTP \(httpStatus)" }
        if let retCode { text += ", retCode \(retCode)" }
        text += "): \(message)"
        if let retMsg, !retMsg.isEmpty { text += " — venue: \(retMsg)" }
        return text
    }
}
