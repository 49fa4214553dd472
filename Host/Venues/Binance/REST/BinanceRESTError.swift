import Foundation

/// A failed Binance REST request, with what the operator should do about it.
///
/// `description` names the venue, the request (method, path, symbol), the HTTP status, Binance's
/// own `code`/`msg` when it sent them, and the remedy. It holds no secrets (market-data
/// requests carry none).
public struct BinanceRESTError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; compare against the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case rateLimited, ipBanned, serverError, transport, invalidSymbol, rejected, forbidden, malformedBody, cancelled
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// HTTP 429: the request-weight limit was exceeded; retried after `Retry-After` until attempts ran out.
        public static let rateLimited = Code(.rateLimited)
        /// HTTP 418: the IP is banned until `retryAfter` ends; this client sends nothing more.
        public static let ipBanned = Code(.ipBanned)
        /// HTTP 5xx: Binance failed; retried with backoff until attempts ran out.
        public static let serverError = Code(.serverError)
        /// No readable answer (connection refused, reset, timeout); retried with backoff until attempts ran out.
        public static let transport = Code(.transport)
        /// Binance does not know the symbol (`-1121 Invalid symbol.`): delisted or misspelled.
        public static let invalidSymbol = Code(.invalidSymbol)
        /// Any other refusal (4xx with a Binance code), e.g. a bad parameter.
        public static let rejected = Code(.rejected)
        /// HTTP 403: a web-application-firewall rule refused the request.
        public static let forbidden = Code(.forbidden)
        /// The body is not the documented shape (counted; never applied).
        public static let malformedBody = Code(.malformedBody)
        /// The calling task was cancelled while waiting for request weight or for an answer.
        public static let cancelled = Code(.cancelled)

        public var description: String {
            switch base {
            case .rateLimited: "rate_limited"
            case .ipBanned: "ip_banned"
            case .serverError: "server_error"
            case .transport: "transport"
            case .invalidSymbol: "invalid_symbol"
            case .rejected: "rejected"
            case .forbidden: "forbidden"
            case .malformedBody: "malformed_body"
            case .cancelled: "cancelled"
            }
        }
    }

    public var code: Code
    /// Method and path, e.g. `GET /api/v3/depth`.
    public var endpoint: String
    /// The symbol the request was about, if any.
    public var symbol: String?
    /// HTTP status, when an answer arrived.
    public var status: Int?
    /// Binance's error `code` (e.g. -1121) and `msg`, when the body carried them.
    public var binanceCode: Int?
    public var binanceMessage: String?
    /// How long Binance asked us to wait (429 and 418 `Retry-After`).
    public var retryAfter: Duration?
    /// What went wrong, in words.
    public var message: String
    /// What to do about it.
    public var remedy: String

    public init(code: Code, endpoint: String, symbol: String? = nil, status: Int? = nil, binanceCode: Int? = nil,
                binanceMessage: String? = nil, retryAfter: Duration? = nil, message: String, remedy: String) {
        self.code = code
        self.endpoint = endpoint
        self.symbol = symbol
        self.status = status
        self.binanceCode = binanceCode
        self.binanceMessage = binanceMessage
        self.retryAfter = retryAfter
        self.message = message
        self.remedy = remedy
    }

    /// True when the same request may be sent again later (after ``retryAfter`` when set).
    public var isRetryable: Bool {
        code == .rateLimited || code == .serverError || code == .transport || code == .malformedBody
    }

    /// Always false: the client sends market-data reads only, which change nothing at the venue.
    public var isSubmitOutcomeUnknown: Bool { false }

    /// A label without associated values, for metrics.
    public var shortDescription: String { code.description }

    public var description: String {
        var text = "Binance \(endpoint)"
        if let symbol { text += " (symbol \(symbol))" }
        text += " failed"
        if let status { text += ": HTTP \(status)" }
        if let binanceCode { text += ", code \(binanceCode)" }
        if let binanceMessage, !binanceMessage.isEmpty { text += " \"\(binanceMessage)\"" }
        text += ". \(message)"
        if !remedy.isEmpty { text += " What to do: \(remedy)" }
        return text
    }
}
