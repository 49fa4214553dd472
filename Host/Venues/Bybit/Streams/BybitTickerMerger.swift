/// Keeps the full ticker of every symbol of one connection: a `snapshot` replaces it, a
/// `delta` (linear sends only the fields that changed) is merged into the last snapshot.
///
/// Spot sends snapshots only, so a spot ticker is always whole.
public struct BybitTickerMerger: Sendable {
    /// The merged ticker of each venue symbol.
    public private(set) var tickers: [String: BybitStreamMessage.Ticker] = [:]
    /// Deltas that arrived before any snapshot of their symbol (nothing to merge into).
    public private(set) var droppedDeltas = 0

    public init() {}

    /// The merged ticker after `message`, or nil for a delta with no snapshot before it.
    public mutating func apply(_ message: BybitStreamMessage.Ticker) -> BybitStreamMessage.Ticker? {
        switch message.kind {
        case .snapshot:
            tickers[message.symbol] = message
            return message
        case .delta:
            guard var merged = tickers[message.symbol] else {
                droppedDeltas += 1
                return nil
            }
            merged.fields.merge(message.fields)
            merged.tsNs = message.tsNs
            merged.crossSequence = message.crossSequence ?? merged.crossSequence
            tickers[message.symbol] = merged
            return merged
        }
    }

    /// Forgets every ticker (a new connection starts with snapshots).
    public mutating func reset() { tickers.removeAll(keepingCapacity: true) }
}
