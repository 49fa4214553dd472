import Testing
@testable import VenueKit

struct CircuitBreakerTests {
    static let second: Int64 = 1_000_000_000
    static func breaker() -> CircuitBreaker {
        CircuitBreaker(policy: .init(failureThreshold: 3, openFor: .seconds(10), maxOpenFor: .seconds(40)))
    }

    @Test("the breaker stays closed below the failure threshold")
    func closedBelowThreshold() {
        let b = Self.breaker()
        b.failed(now: 0)
        b.failed(now: 1)
        #expect(b.state == .closed)
        #expect(b.request(now: 2) == .proceed)
    }

    @Test("the threshold-th consecutive failure opens the breaker and attempts wait for the open period")
    func opensAtThreshold() {
        let b = Self.breaker()
        for t in 0..<3 { b.failed(now: Int64(t)) }
        #expect(b.state == .open)
        #expect(b.openings == 1)
        #expect(b.request(now: 2 + 4 * Self.second) == .wait(nanoseconds: 10 * Self.second - 4 * Self.second))
    }

    @Test("a success in between restarts the failure count")
    func successResetsCount() {
        let b = Self.breaker()
        b.failed(now: 0)
        b.failed(now: 1)
        b.succeeded()
        b.failed(now: 2)
        b.failed(now: 3)
        #expect(b.state == .closed)
    }

    @Test("after the open period one trial goes through half-open and a second caller waits")
    func halfOpenAllowsOneTrial() {
        let b = Self.breaker()
        for t in 0..<3 { b.failed(now: Int64(t)) }
        #expect(b.request(now: 11 * Self.second) == .proceed)
        #expect(b.state == .halfOpen)
        if case .wait = b.request(now: 11 * Self.second) {} else { Issue.record("a second attempt during the trial must wait") }
    }

    @Test("a successful trial closes the breaker")
    func trialSuccessCloses() {
        let b = Self.breaker()
        for t in 0..<3 { b.failed(now: Int64(t)) }
        _ = b.request(now: 11 * Self.second)
        b.succeeded()
        #expect(b.state == .closed)
        #expect(b.request(now: 11 * Self.second) == .proceed)
    }

    @Test("a failed trial opens the breaker again for twice as long, capped")
    func trialFailureDoublesOpenPeriod() {
        let b = Self.breaker()
        for t in 0..<3 { b.failed(now: Int64(t)) }
        var now = 11 * Self.second
        _ = b.request(now: now)
        b.failed(now: now)
        #expect(b.request(now: now) == .wait(nanoseconds: 20 * Self.second))
        now += 20 * Self.second
        _ = b.request(now: now)
        b.failed(now: now)
        #expect(b.request(now: now) == .wait(nanoseconds: 40 * Self.second))
        now += 40 * Self.second
        _ = b.request(now: now)
        b.failed(now: now)
        #expect(b.request(now: now) == .wait(nanoseconds: 40 * Self.second))
        #expect(b.openings == 4)
    }
}
