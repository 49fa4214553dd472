import Foundation

/// Binance spot: market data (combined WebSocket streams, the local order book by Binance's
/// documented procedure, REST snapshots, exchange info, 24 h tickers, klines) on the venue kit.
///
/// Folders: `Streams` (frame parsers, book synchronisation, the stream client), `REST` (the
/// REST client, request-weight budget), `Fakes` (a loopback venue speaking the real protocols).
public enum Binance {
    /// The venue's name in instruments, configuration and logs.
    public static let venue = "binance"
}

extension Binance {
    /// Spot's regular-tier fees (no BNB discount): 0.1 % for takers and makers. The default of
    /// paper trading on Binance data; `host.paper_taker_fee` / `paper_maker_fee` override it.
    public static let spotFees = (taker: Decimal(string: "0.001")!, maker: Decimal(string: "0.001")!)
}
