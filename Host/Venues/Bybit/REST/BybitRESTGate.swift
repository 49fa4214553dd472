import Synchronization

/// The IP-wide pause after Bybit's HTTP 403 "access too frequent".
///
/// Bybit limits an IP to 600 requests per 5 s across all endpoints; past that it answers 403 and
/// asks clients to stop for at least 10 minutes. The pause is the IP's, not one request's, so
/// every client on the same IP should share one gate: requests check it before sending and
/// wait (or fail fast) while it is closed.
public final class BybitRESTGate: Sendable {
    private let closedUntil = Mutex<ContinuousClock.Instant?>(nil)
    private let lastEnd = Mutex<ContinuousClock.Instant?>(nil)

    public init() {}

    /// Closes the gate for `pause` from now (never shortens a longer pause); returns its end.
    @discardableResult
    public func close(for pause: Duration) -> ContinuousClock.Instant {
        let end = ContinuousClock.now + pause
        let closed = closedUntil.withLock { until in
            if let current = until, current > end { return current }
            until = end
            return end
        }
        lastEnd.withLock { $0 = closed }
        return closed
    }

    /// The end of the latest pause, kept after it passed (nil: never closed) — for health and logs.
    public var lastPauseEnd: ContinuousClock.Instant? { lastEnd.withLock { $0 } }

    /// Time left until the gate opens; nil when open.
    public var remaining: Duration? {
        closedUntil.withLock { until in
            guard let end = until else { return nil }
            let left = end - ContinuousClock.now
            if left <= .zero {
                until = nil
                return nil
            }
            return left
        }
    }

    /// Waits until the gate is open; throws `CancellationError` when the task is cancelled first.
    public func waitUntilOpen() async throws(CancellationError) {
        while let left = remaining {
            do { try await Task.sleep(for: left) } catch { throw CancellationError() }
        }
    }
}
