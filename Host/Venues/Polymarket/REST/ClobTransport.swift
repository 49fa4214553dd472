import NIOHTTP1
import VenueKit

extension RESTTransport {
    /// ``RESTTransport/execute(_:path:query:headers:body:)`` with its failures as `ClobError`:
    /// with `unknownIfSent`, a failure after the request may have reached the venue is
    /// `.outcomeUnknown` (order submission) instead of `.retryable` (reads, idempotent calls).
    func clob(
        _ method: HTTPMethod, path: String, query: [(String, String)] = [], headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil, unknownIfSent: Bool = false
    ) async throws(ClobError) -> Response {
        do {
            return try await execute(method, path: path, query: query, headers: headers, body: body)
        } catch {
            if unknownIfSent && error.mayHaveBeenSent {
                throw ClobError(kind: .outcomeUnknown, endpoint: error.endpoint,
                                message: "no readable response after the request was sent (\(error.message)); reconcile through open orders and trades")
            }
            throw ClobError(kind: .retryable(after: nil), endpoint: error.endpoint, message: "transport failure: \(error.message)")
        }
    }
}
