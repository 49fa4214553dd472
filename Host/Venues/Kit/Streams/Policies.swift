import HostCore

/// When to send the venue's keep-alive and when a silent connection counts as dead.
public struct HeartbeatPolicy: Sendable, Hashable {
    /// Time between keep-alive pings.
    public var interval: Duration
    /// A connection with no inbound frame (not even a pong) for this long is closed and reopened.
    public var staleAfter: Duration

    public init(interval: Duration, staleAfter: Duration) {
        self.interval = interval
        self.staleAfter = staleAfter
    }

}

/// Jittered exponential backoff between reconnect attempts.
public struct BackoffPolicy: Sendable, Hashable {
    /// Delay before the first retry.
    public var base: Duration
    /// Upper bound of any delay.
    public var max: Duration
    /// Fraction (0...1) of each delay that is randomised away, so shards do not reconnect in lockstep.
    public var jitter: Double

    public init(base: Duration, max: Duration, jitter: Double = 0.5) {
        self.base = base
        self.max = max
        self.jitter = Swift.min(Swift.max(jitter, 0), 1)
    }

    /// 0.25 s doubling to 30 s, half of each delay jittered (as the official SDK).
    public static let standard = BackoffPolicy(base: .milliseconds(250), max: .seconds(30))

    /// The delay before retry number `attempt` (0 = first retry after a healthy connection).
    public func delay(attempt: Int) -> Duration {
        delay(attempt: attempt, random: Double.random(in: 0...1))
    }

    /// Deterministic form: `random` in 0...1 picks the point inside the jitter band.
    public func delay(attempt: Int, random: Double) -> Duration {
        let exponent = Swift.min(Swift.max(attempt, 0), 30)
        let baseSeconds = Self.seconds(base)
        let capped = Swift.min(baseSeconds * Double(1 << exponent), Self.seconds(max))
        let seconds = capped * (1 - jitter * Swift.min(Swift.max(random, 0), 1))
        return .nanoseconds(Int64(seconds * 1e9))
    }

    package static func seconds(_ d: Duration) -> Double { d.inSeconds }
}

/// A connection's life, reported so the host can mark the shard's books stale and resync.
public enum ConnectionEvent: Sendable, Hashable {
    /// The socket opened and the initial subscription was sent.
    case connected(shard: Int)
    /// The socket closed (server close, network error, or after `.stale`); a reconnect follows.
    case disconnected(shard: Int, reason: String)
    /// Nothing (not even a keep-alive answer) arrived within the heartbeat policy's `staleAfter`.
    case stale(shard: Int)
    /// A reconnect re-sent the full subscription; fresh snapshots follow.
    case resubscribed(shard: Int, assets: Int)
}
