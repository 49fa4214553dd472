/// Bybit v5, spot and linear: market data (public WebSocket topics `orderbook`, `publicTrade`,
/// `tickers`, `kline`; REST `instruments-info` and klines) on the venue kit.
///
/// Folders: `Streams` (frame parsers, book sequencing, the stream client), `REST` (the REST
/// client), `Fakes` (a loopback venue speaking the real protocols).
public enum Bybit {
    /// The venue's name in instruments, configuration and logs.
    public static let venue = "bybit"

    /// A Bybit v5 product line.
    public enum Category: String, Sendable, Hashable, CaseIterable {
        case spot
        case linear
    }
}
