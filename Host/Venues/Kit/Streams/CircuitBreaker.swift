import Synchronization

/// Keeps a venue that keeps failing from being hammered: after `failureThreshold`
/// consecutive failures (connection attempts, REST calls) the breaker **opens** and refuses
/// attempts for `openFor`; then it is **half-open**: one trial is let through — its success
/// closes the breaker, its failure opens it again for twice as long (up to `maxOpenFor`).
///
/// Time is passed in (monotonic ns), so the policy is tested without sleeping.
package final class CircuitBreaker: Sendable {
    package enum State: String, Sendable, Equatable {
        case closed
        case open
        case halfOpen = "half_open"
    }

    package struct Policy: Sendable, Equatable {
        package var failureThreshold: Int
        package var openFor: Duration
        package var maxOpenFor: Duration

        package init(failureThreshold: Int = 5, openFor: Duration = .seconds(30), maxOpenFor: Duration = .seconds(600)) {
            self.failureThreshold = max(1, failureThreshold)
            self.openFor = openFor
            self.maxOpenFor = max(openFor, maxOpenFor)
        }

        package static let standard = Policy()
    }

    /// What a caller may do now.
    package enum Decision: Sendable, Equatable {
        /// Go ahead (closed, or the half-open trial).
        case proceed
        /// Do not try before this many ns have passed.
        case wait(nanoseconds: Int64)
    }

    private struct Inner {
        var state: State = .closed
        var failures = 0
        var openUntil: Int64 = 0
        var currentOpenNs: Int64
        var trialInFlight = false
        var openings: Int64 = 0
    }

    package let policy: Policy
    private let inner: Mutex<Inner>

    package init(policy: Policy = .standard) {
        self.policy = policy
        inner = Mutex(Inner(currentOpenNs: Self.ns(policy.openFor)))
    }

    package var state: State { inner.withLock { $0.state } }
    /// Times the breaker opened since it was made.
    package var openings: Int64 { inner.withLock { $0.openings } }

    /// Asks to make an attempt at monotonic time `now`.
    package func request(now: Int64) -> Decision {
        inner.withLock { s in
            switch s.state {
            case .closed:
                return .proceed
            case .open:
                guard now >= s.openUntil else { return .wait(nanoseconds: s.openUntil - now) }
                s.state = .halfOpen
                s.trialInFlight = true
                return .proceed
            case .halfOpen:
                if s.trialInFlight { return .wait(nanoseconds: max(1_000_000, s.currentOpenNs / 10)) }
                s.trialInFlight = true
                return .proceed
            }
        }
    }

    /// The attempt worked: the breaker closes and the failure count restarts.
    package func succeeded() {
        inner.withLock { s in
            s.state = .closed
            s.failures = 0
            s.trialInFlight = false
            s.currentOpenNs = Self.ns(policy.openFor)
        }
    }

    /// The attempt failed at `now`; returns the state afterwards.
    @discardableResult
    package func failed(now: Int64) -> State {
        inner.withLock { s in
            switch s.state {
            case .closed:
                s.failures += 1
                if s.failures >= policy.failureThreshold { open(&s, now: now) }
            case .halfOpen:
                s.currentOpenNs = min(s.currentOpenNs * 2, Self.ns(policy.maxOpenFor))
                open(&s, now: now)
            case .open:
                break
            }
            return s.state
        }
    }

    private func open(_ s: inout Inner, now: Int64) {
        s.state = .open
        s.openUntil = now + s.currentOpenNs
        s.trialInFlight = false
        s.failures = 0
        s.openings += 1
    }

    private static func ns(_ d: Duration) -> Int64 {
        let c = d.components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}
