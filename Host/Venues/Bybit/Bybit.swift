import Foundation

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

extension Bybit.Category {
    /// Regular-tier (non-VIP) fees: spot 0.1 % / 0.1 %, linear perpetuals 0.055 % taker and
    /// 0.02 % maker. The default of paper trading on Bybit data; `host.paper_*` fees override it.
    public var fees: (taker: Decimal, maker: Decimal) {
        switch self {
        case .spot: (Decimal(string: "0.001")!, Decimal(string: "0.001")!)
        case .linear: (Decimal(string: "0.00055")!, Decimal(string: "0.0002")!)
        }
    }
}
