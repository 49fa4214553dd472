import Binance

/// A loopback Binance venue speaking the real WebSocket and REST protocols, for tests, benchmarks
/// and `host fake-venue binance`.
public enum FakeBinance {
    /// The venue this fake imitates.
    public static let venue = Binance.venue
}
