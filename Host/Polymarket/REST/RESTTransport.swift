import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// One HTTP exchange with a Polymarket REST service; maps transport failures onto `ClobError`.
struct RESTTransport: Sendable {
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var json: JSONValue? { JSONValue.parse(body) }
    }

    let client: HTTPClient
    let baseURL: String
    let timeout: Duration
    let logger: Logger

    init(client: HTTPClient, baseURL: String, timeout: Duration, logger: Logger) {
        self.client = client
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
        self.logger = logger
    }

    /// Sends one request. `unknownIfSent`: a failure after the request may have reached the venue
    /// is `.outcomeUnknown` (order submission) instead of `.retryable` (reads, idempotent calls).
    func execute(
        _ method: HTTPMethod, path: String, query: [(String, String)] = [], headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil, unknownIfSent: Bool = false
    ) async throws(ClobError) -> Response {
        let endpoint = "\(method.rawValue) \(path)"
        var request = HTTPClientRequest(url: baseURL + path + Self.encode(query: query))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "strategy-host")
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let (seconds, attoseconds) = timeout.components
        let amount = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        do {
            let response = try await client.execute(request, timeout: amount, logger: logger)
            let buffer = try await response.body.collect(upTo: 16 << 20)
            return Response(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
        } catch {
            let beforeSend = Self.failedBeforeSending(error)
            logger.warning("REST transport failure", metadata: [
                "http.endpoint": "\(endpoint)", "error": "\(error)", "http.sent": "\(!beforeSend)",
            ])
            if unknownIfSent && !beforeSend {
                throw ClobError(kind: .outcomeUnknown, endpoint: endpoint,
                                message: "no readable response after the request was sent (\(error)); reconcile through open orders and trades")
            }
            throw ClobError(kind: .retryable(after: nil), endpoint: endpoint, message: "transport failure: \(error)")
        }
    }

    /// Failures that prove the request never left this process (no connection was made).
    static func failedBeforeSending(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [HTTPClientError.connectTimeout, .getConnectionFromPoolTimeout, .invalidURL, .alreadyShutdown, .emptyHost, .emptyScheme]
                .contains(error)
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return true }
        if let error = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode) { return true }
        // NIOPosix's connection error (not a dependency of this target) carries every failed connect attempt.
        return String(describing: type(of: error)) == "NIOConnectionError"
    }

    static func encode(query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return "?" + query.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }

    /// `Retry-After` in seconds (integer or decimal); HTTP-date forms are ignored.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let text = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces),
              let seconds = Double(text), seconds >= 0 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The venue's message: `errorMsg` / `error` / `message` of a JSON body, else the body text.
    static func venueMessage(_ response: Response) -> String? {
        if let json = response.json {
            for key in ["errorMsg", "error", "message"] {
                if let text = json[key]?.nonEmptyString { return text }
            }
            return nil
        }
        let text = String(decoding: response.body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
