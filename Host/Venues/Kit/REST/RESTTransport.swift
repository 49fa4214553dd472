import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A request that got no readable response.
package struct TransportFailure: Error, Sendable, CustomStringConvertible {
    /// Method and path, e.g. `POST /order`.
    package var endpoint: String
    /// The request may have reached the venue (false: the connection was never made).
    package var mayHaveBeenSent: Bool
    /// What failed.
    package var message: String

    package var description: String { "\(endpoint): \(message)" }
}

/// One HTTP exchange with a venue's REST service (any venue): JSON accept header, a timeout,
/// and transport failures classified by whether the request may have left this process, so a
/// venue can treat a failed order submission as "outcome unknown" and a failed read as retryable.
package struct RESTTransport: Sendable {
    package struct Response: Sendable {
        package var status: Int
        package var headers: HTTPHeaders
        package var body: [UInt8]
        package var json: JSONValue? { JSONValue.parse(body) }

        package init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    package let client: HTTPClient
    package let baseURL: String
    package let timeout: Duration
    package let logger: Logger

    package init(client: HTTPClient, baseURL: String, timeout: Duration, logger: Logger) {
        self.client = client
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
        self.logger = logger
    }

    /// Sends one request; any answer (whatever its status) is returned, no answer throws.
    package func execute(
        _ method: HTTPMethod, path: String, query: [(String, String)] = [], headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil
    ) async throws(TransportFailure) -> Response {
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
            throw TransportFailure(endpoint: endpoint, mayHaveBeenSent: !beforeSend, message: "\(error)")
        }
    }

    /// Failures that prove the request never left this process (no connection was made).
    package static func failedBeforeSending(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [HTTPClientError.connectTimeout, .getConnectionFromPoolTimeout, .invalidURL, .alreadyShutdown, .emptyHost, .emptyScheme]
                .contains(error)
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return true }
        if let error = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode) { return true }
        // NIOPosix's connection error (not a dependency of this target) carries every failed connect attempt.
        return String(describing: type(of: error)) == "NIOConnectionError"
    }

    package static func encode(query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return "?" + query.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }

    /// `Retry-After` in seconds (integer or decimal); HTTP-date forms are ignored.
    package static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let text = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces),
              let seconds = Double(text), seconds >= 0 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The venue's message: `errorMsg` / `error` / `message` of a JSON body, else the body text.
    package static func venueMessage(_ response: Response) -> String? {
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
