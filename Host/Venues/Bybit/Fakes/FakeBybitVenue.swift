import Bybit

/// A loopback Bybit venue speaking the real WebSocket and REST protocols, for tests, benchmarks
/// and `host fake-venue bybit`.
public enum FakeBybit {
    /// The venue this fake imitates.
    public static let venue = Bybit.venue
}
