/// Binance spot: market data (combined WebSocket streams, the local order book by Binance's
/// documented procedure, REST snapshots, exchange info, 24 h tickers, klines) on the venue kit.
///
/// Folders: `Streams` (frame parsers, book synchronisation, the stream client), `REST` (the
/// REST client, request-weight budget), `Fakes` (a loopback venue speaking the real protocols).
public enum Binance {
    /// The venue's name in instruments, configuration and logs.
    public static let venue = "binance"
}
